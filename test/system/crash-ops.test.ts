/**
 * kill -9 at random moments of `delete`, `secret set`, `secret delete` and `init --force`, on
 * the file tier and on the TPM tier (swtpm): the CLI in a real child process, SIGKILL after a
 * random delay, then the store must be the old state or the new one, with every key record
 * beside its key file and no key file without its record, and it must still open, sign (checked
 * with node:crypto) and unseal. test/system/processes.test.ts does the same for `init` and
 * `change-passphrase`. The tally of where the kills landed is printed at the end.
 */
import { createHash, randomInt, verify } from 'node:crypto';
import { cpSync, existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  TempDirs,
  describeResult,
  isLitter,
  jsonOf,
  listTree,
  runCli,
  runFixture,
  sleep,
  startCli,
  whenState,
} from '../helpers/proc';
import { Swtpm } from '../helpers/swtpm';

const KILLS = Number(process.env.DK_CRASH_KILLS ?? '5');
const MESSAGE = 'kill -9 ops message';
const PEM_SUFFIX = '.tss2.pem';

const tmp = new TempDirs();
let swtpm: Swtpm | undefined;
afterAll(async () => {
  await swtpm?.stop();
  tmp.cleanup();
});

const tally = new Map<string, number>();
function count(label: string): void {
  tally.set(label, (tally.get(label) ?? 0) + 1);
}
afterAll(() => {
  console.log(
    'kill -9 tally (op, tier: where the kill landed -> state after):\n' +
      [...tally]
        .sort()
        .map(([k, v]) => `  ${v} × ${k}`)
        .join('\n'),
  );
});

type Tier = 'encrypted-file' | 'tpm2';

interface Op {
  name: string;
  args: string[];
  input?: string;
  /** From the files alone, before anything opens the store: did the op take effect? */
  state(store: string, before: Snapshot): 'old' | 'new';
  /** What the store must then hold. */
  expect(check: Check, state: 'old' | 'new', before: Snapshot): void;
}

interface Snapshot {
  identity: Buffer;
  token: Buffer;
}

interface Check {
  identity: { name: string; keyAlias: string; publicKey: string };
  signatures: Record<string, string>;
  publicKeys: Record<string, string>;
  secrets: Record<string, string>;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const read = (store: string, rel: string) =>
  existsSync(path.join(store, rel)) ? readFileSync(path.join(store, rel)) : Buffer.alloc(0);

const OPS: Op[] = [
  {
    name: 'deleteKey',
    args: ['delete', 'victim'],
    state: (store) => (existsSync(path.join(store, 'keys', 'victim.json')) ? 'old' : 'new'),
    expect: (c, state) => expect('victim' in c.signatures).toBe(state === 'old'),
  },
  {
    name: 'secrets.set',
    args: ['secret', 'set', 'token'],
    input: 'new value',
    state: (store, before) =>
      sha(read(store, 'secrets/token.json')) === sha(before.token) ? 'old' : 'new',
    expect: (c, state) => expect(c.secrets.token).toBe(state === 'old' ? 'old value' : 'new value'),
  },
  {
    name: 'secrets.delete',
    args: ['secret', 'delete', 'token'],
    state: (store) => (existsSync(path.join(store, 'secrets', 'token.json')) ? 'old' : 'new'),
    expect: (c, state) => expect(c.secrets.token).toBe(state === 'old' ? 'old value' : undefined),
  },
  {
    name: 'init --force',
    args: ['init', '--force', '--name', 'replacement'],
    state: (store, before) =>
      sha(read(store, 'identity.json')) === sha(before.identity) ? 'old' : 'new',
    expect: (c, state, before) => {
      expect(c.identity.name).toBe(state === 'old' ? 'original' : 'replacement');
      const old = JSON.parse(before.identity.toString('utf8'));
      if (state === 'old') expect(c.identity.publicKey).toBe(old.publicKey);
      else expect(c.identity.publicKey).not.toBe(old.publicKey);
    },
  },
];

function envFor(tier: Tier): Record<string, string> {
  return tier === 'tpm2' ? { DEVICE_KEYSTORE_TCTI: swtpm!.tcti } : {};
}

function cli(tier: Tier, args: string[]): string[] {
  return ['--backend', tier, ...args];
}

/** A store with an identity, a key "victim" and a secret "token", made once per tier and copied. */
async function makeTemplate(tier: Tier): Promise<string> {
  const store = path.join(tmp.make('dk-ops-template-'), 'store');
  const env = envFor(tier);
  for (const [args, input] of [
    [['init', '--name', 'original', '--dir', store], undefined],
    [['create-key', 'victim', '--dir', store], undefined],
    [['secret', 'set', 'token', '--dir', store], 'old value'],
  ] as const) {
    const r = await runCli(cli(tier, [...args]), { env, ...(input ? { input } : {}) });
    expect(r.code, describeResult(r)).toBe(0);
  }
  return store;
}

function copyOf(template: string): string {
  const store = path.join(tmp.make('dk-ops-'), 'store');
  cpSync(template, store, { recursive: true });
  return store;
}

/**
 * Key records and key files. A record without its key file is never allowed. A key file without
 * its record is what a writer killed between its two steps leaves (the side file goes first on
 * create, last on delete); `orphansAllowed` says whether that is allowed here (straight after a
 * kill) or not (after the next locked call, which sweeps them). Returns the orphans found.
 */
function checkRecordsAndFiles(
  store: string,
  tier: Tier,
  where: string,
  orphansAllowed: boolean,
): string[] {
  const orphans: string[] = [];
  for (const sub of ['keys', 'sealing']) {
    const dir = path.join(store, sub);
    const names = existsSync(dir) ? readdirSync(dir).filter((n) => !n.startsWith('.')) : [];
    const records = names.filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -5));
    const sides = names
      .filter((n) => n.endsWith(PEM_SUFFIX))
      .map((n) => n.slice(0, -PEM_SUFFIX.length));
    if (tier === 'tpm2') {
      expect(
        records.filter((r) => !sides.includes(r)),
        `${where}: records without key files in ${sub}/`,
      ).toEqual([]);
      orphans.push(
        ...sides.filter((k) => !records.includes(k)).map((k) => `${sub}/${k}${PEM_SUFFIX}`),
      );
    } else {
      expect(sides, `${where}: ${sub}/`).toEqual([]);
    }
  }
  if (!orphansAllowed) expect(orphans, `${where}: key files without records`).toEqual([]);
  return orphans;
}

function verifies(pem: string, sig: string): boolean {
  return verify('sha256', Buffer.from(MESSAGE), pem, Buffer.from(sig, 'base64'));
}

/** How long one full run of `op` takes here, so the kills spread over all of it. */
async function timeOp(tier: Tier, template: string, op: Op): Promise<number> {
  const store = copyOf(template);
  const t0 = performance.now();
  const r = await runCli(cli(tier, [...op.args, '--dir', store]), {
    env: envFor(tier),
    ...(op.input ? { input: op.input } : {}),
  });
  expect(r.code, describeResult(r)).toBe(0);
  return performance.now() - t0;
}

async function killOnce(
  tier: Tier,
  template: string,
  op: Op,
  trigger: number | ((store: string, done: Promise<unknown>) => Promise<unknown>),
): Promise<void> {
  const store = copyOf(template);
  const before: Snapshot = {
    identity: read(store, 'identity.json'),
    token: read(store, 'secrets/token.json'),
  };
  const run = startCli(cli(tier, [...op.args, '--dir', store]), {
    env: envFor(tier),
    timeoutMs: 60_000,
    ...(op.input ? { input: op.input } : {}),
  });
  const delay = typeof trigger === 'number' ? randomInt(0, trigger + 1) : undefined;
  await Promise.race([
    delay === undefined
      ? (trigger as Exclude<typeof trigger, number>)(store, run.done)
      : sleep(delay),
    run.done,
  ]);
  run.child.kill('SIGKILL');
  const killed = await run.done;
  const completed = killed.code === 0;
  expect(completed || killed.signal === 'SIGKILL', describeResult(killed)).toBe(true);
  const state = op.state(store, before);
  if (completed) expect(state).toBe('new');
  const at = delay === undefined ? 'at the chosen point' : `after ${delay} ms`;
  const where = `${op.name} on ${tier} killed ${at} (${completed ? 'completed' : state})`;
  const tree = await listTree(store);
  // The dead process's lock is expected (the check takes it over); a temp file is inert litter.
  const litter = tree.filter((p) => isLitter(p) && (p.endsWith('.tmp') || p.endsWith('.staged')));
  const orphanIdentityKeys = tree.filter(
    (p) =>
      /^keys\/identity-[0-9a-f]+\.json$/.test(p) &&
      !read(store, 'identity.json').includes(path.basename(p, '.json')),
  );

  // Straight after the kill, before anything opens (and so repairs) the store.
  const orphans = checkRecordsAndFiles(store, tier, where, true);

  if (tier === 'tpm2') await swtpm!.restart(); // objects a dead process left loaded go with it
  const check = await runFixture('check-ops.cjs', [store, tier], { env: envFor(tier) });
  const body = jsonOf(check) as Check & { error?: unknown };
  expect(body.error, `${where}: ${describeResult(check)}`).toBeUndefined();
  op.expect(body, state, before);
  expect(verifies(body.identity.publicKey, body.signatures[body.identity.keyAlias]!), where).toBe(
    true,
  );
  for (const [alias, pem] of Object.entries(body.publicKeys)) {
    expect(verifies(pem, body.signatures[alias]!), `${where}: ${alias}`).toBe(true);
  }
  checkRecordsAndFiles(store, tier, `${where}, after the check`, false);
  // No lock is left; an atomic write's temp file cut short by the kill is inert.
  expect(
    (await listTree(store)).filter(
      (p) => isLitter(p) && !p.endsWith('.tmp') && !p.endsWith('.staged'),
    ),
  ).toEqual([]);

  const landed = completed
    ? 'completed before the kill'
    : `killed ${state === 'new' ? 'after' : 'before'} its commit point${litter.length ? ' (a temp file left)' : ''}${orphanIdentityKeys.length ? ' (the new identity key left unused)' : ''}` +
      (orphans.length ? ' (a key file without its record left, swept by the next write)' : '');
  count(
    `${op.name}, ${tier}${delay === undefined ? ', at the chosen point' : ''}: ${landed} -> ${state} state`,
  );
}

for (const tier of ['encrypted-file', 'tpm2'] as const) {
  describe(`kill -9 during store writes, ${tier} tier`, () => {
    let template: string;
    beforeAll(async () => {
      if (tier === 'tpm2') swtpm = await Swtpm.start();
      template = await makeTemplate(tier);
    }, 120_000);

    if (tier === 'tpm2') {
      it('deleteKey killed the moment its record is gone, before its key file: swept by the next write', async () => {
        const op = OPS.find((o) => o.name === 'deleteKey')!;
        const recordGone = (store: string, done: Promise<unknown>) =>
          whenState(
            path.join(store, 'keys'),
            () => (existsSync(path.join(store, 'keys', 'victim.json')) ? undefined : true),
            done,
          ).promise;
        for (let i = 0; i < 3; i++) await killOnce(tier, template, op, recordGone);
      }, 120_000);

      it('the state such a kill leaves (key file, no record): delete says E_NOT_FOUND and removes the file', async () => {
        const store = copyOf(template);
        rmSync(path.join(store, 'keys', 'victim.json'));
        const r = await runCli(cli(tier, ['delete', 'victim', '--dir', store, '--json']), {
          env: envFor(tier),
        });
        expect(r.code, describeResult(r)).not.toBe(0);
        expect(jsonOf(r).error.code).toBe('E_NOT_FOUND');
        expect(existsSync(path.join(store, 'keys', `victim${PEM_SUFFIX}`))).toBe(false);
        checkRecordsAndFiles(store, tier, 'after delete of a half-deleted key', false);
      });
    }

    for (const op of OPS) {
      it(`${op.name}: killed at ${KILLS} random moments, the store is the old state or the new one`, async () => {
        // The window follows the machine's load: 1.5 × one full run of the op, measured here.
        const window = Math.max(300, Math.round((await timeOp(tier, template, op)) * 1.5));
        for (let i = 0; i < KILLS; i++) await killOnce(tier, template, op, window);
      }, 240_000);
    }
  });
}
