/**
 * Nothing secret in any output, over a whole session: init, keys in both Linux tiers (the
 * encrypted-file tier and a TPM on swtpm), sealed secrets, delegation, every CLI command in text
 * and --json, every error path the session can provoke, doctor --json and doctor --production
 * --json, and, in process, describe(), the production report, the key vault and every error's
 * message, stack and inspect(). Each is scanned for the passphrases (old and new), every
 * file-tier private key (decrypted here independently), the sealed plaintexts and the session
 * private key, in every encoding. The outputs that exist to carry a secret are named and left out
 * of the one check they would fail: `secret get` prints the plaintext it was asked for.
 */
import { createPrivateKey } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keystore, checkProduction, createKeyVault } from '../../src/index';
import { decryptKeyFile } from '../helpers/api';
import { runCli } from '../helpers/proc';
import { Swtpm } from '../helpers/swtpm';

const PASS = 'session: Corvid-Glen-5521-trellises';
const NEW_PASS = 'session-new: Wren-Fell-8808-cisterns';
const SEALED_FILE = 'sealed plaintext: Tern-Atoll-3303-lockets';
const SEALED_TPM = 'sealed plaintext: Vole-Scree-7117-bellows';

let tpm: Swtpm;
let work: string;
/** Every output of the session, labelled; `carries` names a secret the output exists to show. */
const outputs: { label: string; text: string; carries?: string }[] = [];

function record(label: string, text: string, carries?: string): void {
  outputs.push({ label, text, ...(carries ? { carries } : {}) });
}

/**
 * Async children (runCli), not spawnSync: a test that blocks its worker's event loop for minutes
 * makes vitest's worker RPC time out ("Timeout calling onTaskUpdate").
 */
async function cli(
  label: string,
  args: string[],
  env: Record<string, string> = {},
  input?: string,
  carries?: string,
): Promise<{ status: number | null }> {
  // Text first, then --json: commands that change the store (init, delete) succeed once and
  // show their error path the second time.
  const statuses: (number | null)[] = [];
  for (const a of [args, [...args, '--json']]) {
    const r = await runCli(a, {
      env,
      timeoutMs: 120_000,
      ...(input !== undefined ? { input } : {}),
    });
    const mode = a.includes('--json') ? '--json' : 'text';
    record(`${label} ${mode} (exit ${r.code})`, `${r.out}\n${r.stderr}`, carries);
    statuses.push(r.code);
  }
  return { status: statuses[0] };
}

function renderings(value: unknown): string[] {
  const out = [
    inspect(value, { showHidden: true, depth: Infinity }),
    String(JSON.stringify(value)),
  ];
  for (let e: unknown = value; e instanceof Error; e = e.cause) {
    out.push(e.message, String(e.stack), inspect(e, { showHidden: true, depth: Infinity }));
  }
  return out;
}

async function recordApi(label: string, fn: () => unknown): Promise<void> {
  try {
    const v = await fn();
    for (const t of renderings(v)) record(`${label} (value)`, t);
  } catch (err) {
    for (const t of renderings(err)) record(`${label} (error)`, t);
  }
}

function encodings(secret: Buffer): string[] {
  return [
    secret.toString('hex'),
    secret.toString('base64'),
    secret.toString('base64url'),
    secret.toString('latin1'),
  ].filter((e) => e.length >= 16);
}

beforeAll(async () => {
  tpm = await Swtpm.start();
  work = mkdtempSync(path.join(os.tmpdir(), 'dk-secrecy-session-'));
});
afterAll(async () => {
  await tpm?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('a whole session leaks nothing', () => {
  it('CLI on both tiers, the API, every error path: no passphrase, private key, sealed plaintext or session key', async () => {
    const file = path.join(work, 'file');
    const tpmDir = path.join(work, 'tpm');
    const gen = path.join(work, 'generated');
    const fenv = { DEVICE_KEYSTORE_PASSPHRASE: PASS };
    const tenv = { DEVICE_KEYSTORE_TCTI: tpm.tcti };
    const msgFile = path.join(work, 'msg.txt');
    writeFileSync(msgFile, 'the message');
    const sig = path.join(work, 'sig.b64');

    for (const [name, dir, env] of [
      ['file', file, fenv],
      ['tpm', tpmDir, tenv],
    ] as const) {
      const d = ['--dir', dir];
      expect((await cli(`${name} init`, ['init', '--name', name, ...d], env)).status).toBe(0);
      await cli(`${name} init again`, ['init', '--name', name, ...d], env); // E_EXISTS
      await cli(`${name} info`, ['info', ...d], env);
      await cli(`${name} doctor`, ['doctor', ...d], env);
      await cli(`${name} doctor --production`, ['doctor', '--production', ...d], env);
      await cli(`${name} create-key`, ['create-key', 'k1', ...d], env);
      await cli(`${name} create-key bad alias`, ['create-key', '../x', ...d], env);
      await cli(`${name} list`, ['list', ...d], env);
      await cli(`${name} sign`, ['sign', '--in', msgFile, '--out', sig, ...d], env);
      await cli(`${name} sign missing key`, ['sign', '--key', 'nope', '--in', msgFile, ...d], env);
      await cli(`${name} sign bad format`, ['sign', '--format', 'xml', '--in', msgFile, ...d], env);
      await cli(`${name} verify`, ['verify', '--in', msgFile, '--signature', sig, ...d], env);
      await cli(
        `${name} verify garbage`,
        ['verify', '--in', msgFile, '--signature', msgFile, ...d],
        env,
      );
      await cli(
        `${name} verify bad public key`,
        ['verify', '--in', msgFile, '--signature', sig, '--public-key', msgFile, ...d],
        env,
      );
      for (const f of ['pem', 'jwk', 'spki', 'raw', 'bad'])
        await cli(`${name} public-key ${f}`, ['public-key', '--format', f, ...d], env);
      await cli(`${name} export-identity`, ['export-identity', ...d], env);
      const plain = name === 'file' ? SEALED_FILE : SEALED_TPM;
      await cli(`${name} secret set`, ['secret', 'set', 's1', ...d], env, plain);
      await cli(`${name} secret list`, ['secret', 'list', ...d], env);
      await cli(`${name} secret get`, ['secret', 'get', 's1', ...d], env, undefined, plain);
      await cli(`${name} secret get missing`, ['secret', 'get', 'nope', ...d], env);
      await cli(`${name} secret bad action`, ['secret', 'frob', ...d], env);
      await cli(
        `${name} certificate`,
        ['certificate', '--out', path.join(work, `${name}.crt`), ...d],
        env,
      );
      await cli(`${name} certificate bad days`, ['certificate', '--days', 'many', ...d], env);
      const keyOut = path.join(work, `${name}-session.key`);
      await cli(
        `${name} delegate`,
        [
          'delegate',
          '--ttl',
          '5m',
          '--cert-out',
          path.join(work, `${name}-session.crt`),
          '--key-out',
          keyOut,
          ...d,
        ],
        env,
      );
      await cli(
        `${name} delegate bad ttl`,
        ['delegate', '--ttl', 'forever', '--cert-out', 'a', '--key-out', 'b', ...d],
        env,
      );
      await cli(`${name} delete`, ['delete', 'k1', ...d], env);
      await cli(`${name} delete missing`, ['delete', 'k1', ...d], env);
      await cli(`${name} unknown option`, ['list', '--frob', ...d], env);
      await cli(`${name} lock-timeout`, ['list', '--lock-timeout', 'soon', ...d], env);
    }
    await cli('unknown command', ['frobnicate']);
    await cli('help', ['--help']);
    // Error paths of the file tier: a wrong passphrase, none at all, a corrupt and a loose key file.
    await cli('file wrong passphrase', ['sign', '--in', msgFile, '--dir', file], {
      DEVICE_KEYSTORE_PASSPHRASE: 'wrong: Ibis-Delta-0000',
    });
    await cli('file no passphrase', ['sign', '--in', msgFile, '--dir', file]);
    await cli('file change-passphrase, none given', ['change-passphrase', '--dir', file], fenv);
    // A store whose passphrase was generated into the file: that file's content is secret too.
    expect((await cli('generated init', ['init', '--name', 'gen', '--dir', gen])).status).toBe(0);
    const generated = readFileSync(path.join(gen, '.passphrase'));
    await cli('generated info', ['info', '--dir', gen]);
    await cli('generated doctor --production', ['doctor', '--production', '--dir', gen]);
    const genKeyFile = path.join(
      gen,
      'keys',
      `${JSON.parse(readFileSync(path.join(gen, 'identity.json'), 'utf8')).keyAlias}.json`,
    );
    const genPrivate = await decryptKeyFile(
      gen,
      path.basename(genKeyFile, '.json'),
      generated.toString(),
    );
    chmodSync(genKeyFile, 0o644);
    await cli('generated loose key file', ['sign', '--in', msgFile, '--dir', gen]);
    chmodSync(genKeyFile, 0o600);
    const rec = readFileSync(genKeyFile, 'utf8');
    writeFileSync(
      genKeyFile,
      rec.replace(
        /"ciphertext": "(.)/,
        (_m, c: string) => `"ciphertext": "${c === 'A' ? 'B' : 'A'}`,
      ),
    );
    await cli('generated corrupt key file', ['sign', '--in', msgFile, '--dir', gen]);
    writeFileSync(genKeyFile, rec);
    // The TPM unreachable: a forced tier, and auto with a file fallback.
    await cli('tpm unreachable', ['sign', '--in', msgFile, '--dir', tpmDir], {
      DEVICE_KEYSTORE_TCTI: 'swtpm:host=127.0.0.1,port=1',
    });

    const privates = [genPrivate.d];
    // The API in process, on both stores, with errors, stacks and inspect().
    for (const [dir, opts] of [
      [file, { passphrase: PASS }],
      [tpmDir, { tcti: tpm.tcti }],
    ] as const) {
      const ks = await Keystore.open({ dir, ...opts });
      try {
        await recordApi('describe()', () => ks.describe());
        await recordApi('listKeys()', () => ks.listKeys());
        await recordApi('identityKey()', () => ks.identityKey());
        await recordApi('secrets.get(missing)', () => ks.secrets.get('missing'));
        await recordApi('getKey(bad)', () => ks.getKey('../bad'));
        const key = await ks.identityKey();
        const session = await key.delegate({ ttl: '5m' });
        privates.push(createPrivateKey(session.exportPrivateKey()).export({ format: 'jwk' }).d!);
        await recordApi('session', () => session);
        await recordApi('session.describe()', () => session.describe());
        session.close();
        await recordApi('closed session sign', () => session.sign('x'));
        const vault = createKeyVault(ks);
        await recordApi('vault.capabilities()', () => vault.capabilities());
        const env = await vault.protect('recovery-envelope', SEALED_FILE);
        record('vault.protect() output', env);
        await recordApi('vault.unprotect(wrong kind)', () =>
          vault.unprotect('identity-record', env),
        );
        await recordApi('vault.unprotect(changed)', () =>
          vault.unprotect('recovery-envelope', env.slice(0, -4) + 'AAAA'),
        );
      } finally {
        await ks.close();
      }
      await recordApi('checkProduction()', () =>
        checkProduction({ dir, ...opts, recoverySecret: 's1' }),
      );
    }
    await recordApi('open with a wrong passphrase, then sign', async () => {
      const ks = await Keystore.open({ dir: file, passphrase: 'wrong: Ibis-Delta-0000' });
      try {
        return await (await ks.identityKey()).sign('x');
      } finally {
        await ks.close();
      }
    });
    // Last: change the passphrase (the new one comes from the environment), then use it.
    await cli('file change-passphrase', ['change-passphrase', '--dir', file], {
      ...fenv,
      DEVICE_KEYSTORE_NEW_PASSPHRASE: NEW_PASS,
    });
    await cli('file sign after change', ['sign', '--in', msgFile, '--dir', file], {
      DEVICE_KEYSTORE_PASSPHRASE: NEW_PASS,
    });
    // The session private keys the CLI wrote to their --key-out files.
    for (const name of ['file', 'tpm']) {
      const pem = readFileSync(path.join(work, `${name}-session.key`), 'utf8');
      privates.push(createPrivateKey(pem).export({ format: 'jwk' }).d!);
    }

    // The file tier's private keys (the vault's key too), learnt by decrypting the key files independently.
    const fileAliases = (await (async () => {
      const ks = await Keystore.open({ dir: file, passphrase: NEW_PASS });
      try {
        return (await ks.listKeys()).filter((k) => k.tier === 'encrypted-file').map((k) => k.alias);
      } finally {
        await ks.close();
      }
    })()) as string[];
    for (const alias of fileAliases) privates.push((await decryptKeyFile(file, alias, NEW_PASS)).d);

    const secrets: [string, Buffer][] = [
      ['passphrase', Buffer.from(PASS)],
      ['new passphrase', Buffer.from(NEW_PASS)],
      ['generated passphrase', generated],
      ['sealed plaintext (file)', Buffer.from(SEALED_FILE)],
      ['sealed plaintext (tpm)', Buffer.from(SEALED_TPM)],
      ...privates.map((d, i): [string, Buffer] => [
        `private key #${i}`,
        Buffer.from(d, 'base64url'),
      ]),
    ];
    // The generated store's identity, two API and two CLI session keys, the file store's keys.
    expect(fileAliases).toContain('key-vault');
    expect(privates).toHaveLength(1 + 4 + fileAliases.length);
    expect(outputs.length).toBeGreaterThan(120);
    const leaks: string[] = [];
    for (const o of outputs) {
      if (/PRIVATE KEY/.test(o.text)) leaks.push(`${o.label}: a PEM private key`);
      for (const [what, secret] of secrets) {
        if (o.carries && secret.equals(Buffer.from(o.carries))) continue;
        for (const e of encodings(secret))
          if (o.text.includes(e)) leaks.push(`${o.label}: the ${what}`);
      }
    }
    expect(leaks).toEqual([]);
    // The output that carries a sealed plaintext by design does carry it: the scan can see one.
    expect(outputs.some((o) => o.carries && o.text.includes(o.carries))).toBe(true);
    // About 130 CLI processes, each file-tier one paying its own Argon2id.
  }, 600_000);
});
