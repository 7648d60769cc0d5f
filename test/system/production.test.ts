/**
 * The production checklist (doctor --production) and the failures it exists for, reproduced:
 * an identity that is gone after a restart (a store on tmpfs, on a container's overlay layer,
 * in the temporary directory), a build that works in development but not in production (the
 * package installed without its addon), a passphrase kept beside the keys, and a lost device with
 * no recovery secret. The checklist runs from a copy of the package installed as a dependency,
 * as it would in a product, against a real swtpm for the good store.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keystore } from '../../src/index';
import { PRODUCTION_CHECKS } from '../../src/production/report';
import { storageFacts } from '../../src/store/persistence';
import { portableInstall, type PortableInstall } from '../helpers/other-user';
import { ROOT, childEnv } from '../helpers/proc';
import { Swtpm } from '../helpers/swtpm';

const PASS = 'production: Gannet-Moor-8080-ledgers';
/** The checklist's items, in order (the issue's list: eight of them). */
const IDS: string[] = [...PRODUCTION_CHECKS];

/**
 * Stores that must not look ephemeral live on a persistent disk outside os.tmpdir(): the
 * checkout's, or, for a checkout that is itself inside the temporary directory (CI often clones
 * there), the first other candidate that is not ephemeral.
 */
async function persistentBase(): Promise<string> {
  const candidates = [
    path.join(ROOT, '.test-stores'),
    path.join(os.homedir(), '.cache', 'device-keystore-test-stores'),
    '/var/tmp/device-keystore-test-stores',
  ];
  let chosen = candidates[0]!;
  for (const c of candidates) {
    if ((await storageFacts(c)).ephemeral.length === 0) {
      chosen = c;
      break;
    }
  }
  return path.join(chosen, `production-${process.pid}`);
}
let base: string;
let installed: PortableInstall;
let bare: PortableInstall;
let tpm: Swtpm;

beforeAll(async () => {
  base = await persistentBase();
  mkdirSync(base, { recursive: true });
  installed = portableInstall('production', { asDependency: true });
  bare = portableInstall('production-no-addon', { asDependency: true, addon: false });
  tpm = await Swtpm.start();
});
afterAll(async () => {
  await tpm?.stop();
  installed?.remove();
  bare?.remove();
  if (base) rmSync(base, { recursive: true, force: true });
});

interface Run {
  status: number | null;
  json: Record<string, any>;
  text: string;
}

function cli(
  install: PortableInstall,
  args: string[],
  env: Record<string, string> = {},
  input?: string,
): Run {
  const r = spawnSync(process.execPath, [install.cli, ...args, '--json'], {
    encoding: 'utf8',
    env: childEnv(env),
    timeout: 120_000,
    ...(input !== undefined ? { input } : {}),
  });
  let json: Record<string, any> = {};
  try {
    json = JSON.parse(r.stdout) as Record<string, any>;
  } catch {
    // Reported through `text` by the assertion that needed it.
  }
  return { status: r.status, json, text: `exit ${r.status}\n${r.stdout}\n${r.stderr}` };
}

function verdicts(r: Run): Record<string, string> {
  expect(
    r.json.items?.map((i: { id: string }) => i.id),
    r.text,
  ).toEqual(IDS);
  return Object.fromEntries(
    r.json.items.map((i: { id: string; verdict: string }) => [i.id, i.verdict]),
  );
}

function itemOf(r: Run, id: string): { verdict: string; evidence: string[]; fix?: string } {
  return r.json.items.find((i: { id: string }) => i.id === id);
}

describe('doctor --production', () => {
  it('has the eight items', () => expect(IDS).toHaveLength(8));

  it('a good store (TPM keys, persistent disk, installed package, recovery secret): every item passes, exit 0', async () => {
    const dir = path.join(base, 'good');
    const facts = await storageFacts(base);
    const env = { DEVICE_KEYSTORE_TCTI: tpm.tcti };
    expect(cli(installed, ['init', '--name', 'good', '--dir', dir], env).status).toBe(0);
    expect(
      cli(installed, ['secret', 'set', 'recovery', '--dir', dir], env, 'recovery envelope').status,
    ).toBe(0);
    const r = cli(
      installed,
      ['doctor', '--production', '--recovery-secret', 'recovery', '--dir', dir],
      env,
    );
    const v = verdicts(r);
    if (facts.ephemeral.length > 0) {
      // This machine has no persistent disk for the checkout (a container without a volume):
      // the storage item says so, and everything else still passes.
      expect(v.storage, r.text).toBe('fail');
      expect({ ...v, storage: 'pass' }).toEqual(Object.fromEntries(IDS.map((id) => [id, 'pass'])));
      return;
    }
    expect(v, r.text).toEqual(Object.fromEntries(IDS.map((id) => [id, 'pass'])));
    expect(r.status).toBe(0);
    expect(r.json.verdict).toBe('pass');
    expect(itemOf(r, 'addon').evidence.join()).toMatch(
      /compiled for this machine when the package was installed/,
    );
    expect(itemOf(r, 'identity').evidence.join()).toMatch(
      /a fresh process \(pid \d+\) read it and signed a random challenge/,
    );
    expect(itemOf(r, 'survival').evidence.join()).toMatch(/cannot be restored on another device/);
    expect(itemOf(r, 'recovery').evidence.join()).toMatch(
      /"recovery" is stored \(its value was not read\)/,
    );
    for (const i of r.json.items) expect(i.fix, i.id).toBeUndefined();
  });

  it('a lost device without a recovery secret: named, with the fix; a configured but missing one fails', () => {
    const dir = path.join(base, 'no-recovery');
    const env = { DEVICE_KEYSTORE_TCTI: tpm.tcti };
    expect(cli(installed, ['init', '--name', 'lost', '--dir', dir], env).status).toBe(0);
    const r = cli(installed, ['doctor', '--production', '--dir', dir], env);
    expect(itemOf(r, 'recovery').verdict, r.text).toBe('warn');
    expect(itemOf(r, 'recovery').evidence.join()).toMatch(
      /keys that cannot leave this device are gone with it/,
    );
    expect(itemOf(r, 'recovery').fix).toMatch(/recovery design/);
    expect(r.status).toBe(0);
    expect(cli(installed, ['doctor', '--production', '--strict', '--dir', dir], env).status).toBe(
      1,
    );
    const missing = cli(
      installed,
      ['doctor', '--production', '--recovery-secret', 'recovery', '--dir', dir],
      env,
    );
    expect(itemOf(missing, 'recovery').verdict).toBe('fail');
    expect(missing.status).toBe(1);
  });

  it("the passphrase beside the store (the file tier's default): warned, with where to keep it instead", () => {
    const dir = path.join(base, 'beside');
    expect(cli(installed, ['init', '--name', 'beside', '--dir', dir]).status).toBe(0);
    const r = cli(installed, ['doctor', '--production', '--dir', dir]);
    expect(verdicts(r)).toEqual({
      addon: 'pass',
      identity: 'pass',
      tier: 'warn',
      passphrase: 'warn',
      storage: r.json.items[4].verdict,
      survival: 'pass',
      recovery: 'warn',
      exportability: 'warn',
    });
    expect(itemOf(r, 'passphrase').evidence.join()).toContain(
      `${path.join(dir, '.passphrase')} is inside the store directory`,
    );
    expect(itemOf(r, 'passphrase').fix).toMatch(
      /LoadCredentialEncrypted=device-keystore-passphrase/,
    );
    expect(itemOf(r, 'tier').evidence.join()).toMatch(/hardware tiers not used: .*tpm2: /);
    expect(itemOf(r, 'exportability').evidence.join()).toMatch(/extractable by passphrase-holder/);
    // The passphrase from the environment instead: the item passes and names its source.
    const env = cli(installed, ['doctor', '--production', '--dir', path.join(base, 'env')], {
      DEVICE_KEYSTORE_PASSPHRASE: PASS,
    });
    expect(itemOf(env, 'identity').verdict).toBe('fail'); // not initialized yet
    cli(installed, ['init', '--name', 'env', '--dir', path.join(base, 'env')], {
      DEVICE_KEYSTORE_PASSPHRASE: PASS,
    });
    const ok = cli(installed, ['doctor', '--production', '--dir', path.join(base, 'env')], {
      DEVICE_KEYSTORE_PASSPHRASE: PASS,
    });
    expect(itemOf(ok, 'passphrase').verdict, ok.text).toBe('pass');
    expect(itemOf(ok, 'passphrase').evidence.join()).toContain('DEVICE_KEYSTORE_PASSPHRASE');
    expect(ok.text).not.toContain(PASS);
  });

  it('the package installed without its addon (works in development, not in production): the addon item fails, exit 1', () => {
    const dir = path.join(base, 'no-addon');
    const init = cli(bare, ['init', '--name', 'bare', '--dir', dir], {
      DEVICE_KEYSTORE_TCTI: tpm.tcti,
    });
    expect(init.status, init.text).toBe(0);
    // Without the addon there is no TPM: the store fell back to the file tier, silently but for this.
    expect(init.json.identity.tier).toBe('encrypted-file');
    const r = cli(bare, ['doctor', '--production', '--dir', dir], {
      DEVICE_KEYSTORE_TCTI: tpm.tcti,
    });
    expect(itemOf(r, 'addon').verdict, r.text).toBe('fail');
    expect(itemOf(r, 'addon').evidence.join()).toMatch(
      /the native addon did not load: No native build was found/,
    );
    expect(itemOf(r, 'addon').fix).toMatch(/asarUnpack/);
    expect(itemOf(r, 'tier').evidence.join()).toMatch(/tpm2: .*native addon did not load/);
    expect(r.json.verdict).toBe('fail');
    expect(r.status).toBe(1);
  });

  it("a checkout's development build/ is not the production build: warned", () => {
    const r = spawnSync(
      process.execPath,
      [
        path.join(ROOT, 'dist', 'cli', 'main.js'),
        'doctor',
        '--production',
        '--json',
        '--dir',
        path.join(base, 'dev'),
      ],
      {
        encoding: 'utf8',
        env: childEnv({ DEVICE_KEYSTORE_PASSPHRASE: PASS }),
      },
    );
    const j = JSON.parse(r.stdout) as {
      items: { id: string; verdict: string; evidence: string[] }[];
    };
    const addon = j.items.find((i) => i.id === 'addon')!;
    expect(addon.verdict).toBe('warn');
    expect(addon.evidence.join()).toMatch(/a source checkout, not an installed package/);
  });
});

describe('ephemeral storage in describe()', () => {
  it('a store inside os.tmpdir() is named; one on a normal disk directory is not', async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'dk-ephemeral-'));
    try {
      for (const [dir, expectWarning] of [
        [tmp, true],
        [path.join(base, 'normal'), false],
      ] as const) {
        const ks = await Keystore.open({ dir, backend: 'encrypted-file', passphrase: PASS });
        try {
          const w = (await ks.describe()).warnings.join('\n');
          if (expectWarning) {
            expect(w).toContain(`is inside the temporary directory ${os.tmpdir()}`);
            expect(w).toContain('will not survive a restart or redeploy');
            expect(w).toContain('DEVICE_KEYSTORE_DIR');
          } else {
            expect(w).not.toMatch(/will not survive/);
          }
        } finally {
          await ks.close();
        }
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

/**
 * A file system mounted for the test in a private mount namespace (root: `unshare --mount`;
 * others: also a user namespace), so nothing stays mounted if the test dies. Where mounting is
 * not permitted, the tests are reported as skipped with the reason, never as passed.
 */
function unshareArgs(): string[] {
  return process.getuid?.() === 0
    ? ['--mount', '--propagation', 'private']
    : ['--user', '--map-root-user', '--mount', '--propagation', 'private'];
}

function inNamespace(mount: string, script: string, args: string[]) {
  return spawnSync(
    'unshare',
    [
      ...unshareArgs(),
      '--',
      'sh',
      '-c',
      `${mount} && exec "$@"`,
      'sh',
      process.execPath,
      '-e',
      script,
      ...args,
    ],
    { encoding: 'utf8', env: childEnv({ DEVICE_KEYSTORE_PASSPHRASE: PASS }), timeout: 120_000 },
  );
}

function probe(mount: (dir: string) => string): { ok: true } | { ok: false; why: string } {
  if (process.platform !== 'linux') return { ok: false, why: 'mount namespaces are Linux only' };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dk-mount-probe-'));
  try {
    const r = spawnSync('unshare', [...unshareArgs(), '--', 'sh', '-c', mount(dir)], {
      encoding: 'utf8',
    });
    if (r.error) return { ok: false, why: `unshare: ${r.error.message}` };
    return r.status === 0
      ? { ok: true }
      : { ok: false, why: `mount not permitted here: ${r.stderr.trim()}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const tmpfsMount = (dir: string) => `mount -t tmpfs dk-test-tmpfs '${dir}'`;
function overlayMount(dir: string): string {
  return `mkdir -p '${dir}/l' '${dir}/u' '${dir}/w' '${dir}/m' && mount -t overlay overlay -o 'lowerdir=${dir}/l,upperdir=${dir}/u,workdir=${dir}/w' '${dir}/m'`;
}
const TMPFS = probe(tmpfsMount);
const OVERLAY = probe(overlayMount);

/** Inside the namespace: init, info and doctor --production on the mounted store, as JSON. */
const SESSION = `
const { spawnSync } = require('node:child_process');
const [cli, dir, ...steps] = process.argv.slice(1);
const run = (args) => {
  const r = spawnSync(process.execPath, [cli, ...args, '--dir', dir, '--json'], { encoding: 'utf8' });
  try { return { status: r.status, json: JSON.parse(r.stdout) }; } catch { return { status: r.status, out: r.stdout, err: r.stderr }; }
};
const out = {};
for (const step of steps) out[step] = run(step === 'init' ? ['init', '--name', 'ephemeral'] : step === 'production' ? ['doctor', '--production'] : [step]);
console.log(JSON.stringify(out));`;

function session(mount: string, store: string, steps: string[]): Record<string, Run> {
  const r = inNamespace(mount, SESSION, [installed.cli, store, ...steps]);
  expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
  const parsed = JSON.parse(r.stdout) as Record<
    string,
    { status: number; json: Record<string, any> }
  >;
  return Object.fromEntries(
    Object.entries(parsed).map(([k, v]) => [k, { ...v, text: JSON.stringify(v) }]),
  );
}

describe.skipIf(!TMPFS.ok)(
  `a store on tmpfs${TMPFS.ok ? '' : ` (skipped: ${!TMPFS.ok && TMPFS.why})`}`,
  () => {
    it('is named in describe() and fails the storage item; after a "restart" the identity is gone', () => {
      const dir = path.join(base, 'tmpfs');
      mkdirSync(dir);
      const store = path.join(dir, 'store');
      const first = session(tmpfsMount(dir), store, ['init', 'info', 'production']);
      expect(first.init!.status, first.init!.text).toBe(0);
      // init says it at once, not after the next reboot.
      expect(first.init!.json.warnings.join('\n')).toContain('will not survive a restart');
      const warning = first.info!.json.warnings.join('\n');
      expect(warning).toContain(`${store} is on tmpfs (memory) mounted at ${dir}`);
      expect(warning).toContain('will not survive a restart or redeploy');
      expect(warning).toMatch(/mount a persistent volume at .*store/);
      const storage = itemOf(first.production!, 'storage');
      expect(storage.verdict).toBe('fail');
      expect(storage.evidence.join()).toContain('tmpfs');
      expect(first.production!.status).toBe(1);
      // The next boot: a new tmpfs, the identity is gone.
      const second = session(tmpfsMount(dir), store, ['sign']);
      expect(second.sign!.json.error?.code, second.sign!.text).toBe('E_NOT_INITIALIZED');
    });
  },
);

describe.skipIf(!OVERLAY.ok)(
  `a store on an overlay writable layer${OVERLAY.ok ? '' : ` (skipped: ${!OVERLAY.ok && OVERLAY.why})`}`,
  () => {
    it('is named in describe() and fails the storage item; a volume mounted over it is fine', () => {
      const dir = path.join(base, 'overlay');
      mkdirSync(dir);
      const store = path.join(dir, 'm', 'store');
      const r = session(overlayMount(dir), store, ['init', 'info', 'production']);
      expect(r.init!.status, r.init!.text).toBe(0);
      const warning = r.info!.json.warnings.join('\n');
      expect(warning).toContain(
        `is on an overlay file system mounted at ${path.join(dir, 'm')} with no volume mounted over it`,
      );
      expect(warning).toContain('will not survive a restart or redeploy');
      expect(itemOf(r.production!, 'storage').verdict).toBe('fail');
      // A volume (here: a bind mount of a disk directory) over the store directory: no warning.
      const volume = path.join(dir, 'volume');
      mkdirSync(volume);
      const mounted = session(
        `${overlayMount(dir)} && mkdir -p '${store}' && mount --bind '${volume}' '${store}'`,
        store,
        ['init', 'info', 'production'],
      );
      expect(mounted.info!.json.warnings.join('\n')).not.toMatch(/will not survive/);
      expect(itemOf(mounted.production!, 'storage').verdict, mounted.production!.text).toBe('pass');
    });
  },
);
