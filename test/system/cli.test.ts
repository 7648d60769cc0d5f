/**
 * The CLI as users run it: `node dist/cli/main.js ...` in a child process, on real store
 * directories. Signatures are checked with node:crypto and `openssl`, public keys with OpenSSL
 * and node:crypto's parsers, so a bug in our own encoders cannot hide behind our own decoders.
 */
import { createHash, createPublicKey, randomBytes } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  mkdirSync,
  promises as fsp,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/core/errors';
import { EXIT, exitCodeFor } from '../../src/cli/exit-codes';
import {
  CLI,
  TempDirs,
  describeResult,
  jsonOf,
  nodeVerifies,
  opensslVerifies,
  runCli,
  runTool,
  shq,
  type ProcResult,
} from '../helpers/proc';
import { statModeFor } from '../helpers/file';
import { WINDOWS, WINE } from '../helpers/windows-skips';

const PASSPHRASE = 'cli test passphrase, not a real one';
const ENV = { DEVICE_KEYSTORE_PASSPHRASE: PASSPHRASE };
const COMMANDS = [
  'init',
  'info',
  'doctor',
  'list',
  'create-key',
  'delete',
  'sign',
  'verify',
  'public-key',
  'export-identity',
  'change-passphrase',
  'secret',
  'certificate',
  'delegate',
];

const tmp = new TempDirs();
afterAll(() => tmp.cleanup());

/** The shared store: initialized once, passphrase from the environment. */
let store: string;
let identity: {
  name: string;
  deviceId: string;
  keyAlias: string;
  publicKey: string;
  tier: string;
};
/** A scratch directory for input and output files. */
let work: string;

/** Run the CLI on the shared store with the shared passphrase. */
function cli(args: string[], input?: string | Buffer): Promise<ProcResult> {
  return runCli([...args, '--dir', store], { env: ENV, ...(input !== undefined ? { input } : {}) });
}

function file(name: string, data?: string | Buffer): string {
  const p = path.join(work, name);
  if (data !== undefined) writeFileSync(p, data);
  return p;
}

function expectOk(r: ProcResult, code = 0): void {
  expect(r.code, describeResult(r)).toBe(code);
}

/** A --json failure: the exit code, and `{ ok: false, error: { code } }` on stdout. */
function expectJsonError(r: ProcResult, exit: number, code: string): Record<string, any> {
  expect(r.code, describeResult(r)).toBe(exit);
  const body = jsonOf(r);
  expect(body.ok).toBe(false);
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe('string');
  return body;
}

/** A text-mode failure: the exit code, and the message with its code on stderr. */
function expectTextError(r: ProcResult, exit: number, code: string): void {
  expect(r.code, describeResult(r)).toBe(exit);
  expect(r.stderr).toContain(`[${code}]`);
  expect(r.out).toBe('');
}

beforeAll(async () => {
  await fsp.access(CLI);
  work = tmp.make('dk-cli-work-');
  store = path.join(tmp.make('dk-cli-'), 'store');
  const r = await runCli(['init', '--name', 'cli-device', '--dir', store, '--json'], { env: ENV });
  expectOk(r);
  const body = jsonOf(r);
  expect(body).toMatchObject({
    ok: true,
    tier: 'encrypted-file',
    hardwareBacked: false,
    extractable: true,
    extractableBy: 'passphrase-holder',
  });
  identity = body.identity;
  expect(identity.name).toBe('cli-device');
  expect(identity.tier).toBe('encrypted-file');
  // deviceId = base64url(SHA-256(SPKI DER)), recomputed here with node:crypto.
  const spki = createPublicKey(identity.publicKey).export({ format: 'der', type: 'spki' });
  expect(identity.deviceId).toBe(createHash('sha256').update(spki).digest('base64url'));
}, 60_000);

// ---- usage ---------------------------------------------------------------------------------

describe('usage, help and argument errors', () => {
  it('--help, -h and help print the usage and exit 0; no command prints it and exits 2', async () => {
    const [long, short, word, none] = await Promise.all([
      runCli(['--help']),
      runCli(['-h']),
      runCli(['help']),
      runCli([]),
    ]);
    for (const r of [long, short, word]) {
      expectOk(r);
      expect(r.out).toContain('Usage: device-keystore [global options] <command>');
      expect(r.out).toContain('--lock-timeout <ms>');
    }
    expect(none.code).toBe(2);
    expect(none.out).toContain('Usage: device-keystore [global options] <command>');
  });

  it('<command> --help exits 0 with that command’s usage, for every command', async () => {
    const results = await Promise.all(COMMANDS.map((c) => runCli([c, '--help'])));
    for (const [i, r] of results.entries()) {
      expectOk(r);
      const c = COMMANDS[i];
      const shown = c === 'doctor' || c === 'info' ? 'info|doctor' : c;
      expect(r.out, c).toContain(`device-keystore ${shown}`);
      expect(r.out, c).not.toContain('Usage: device-keystore [global options] <command>');
    }
  });

  it('--version prints the package version', async () => {
    const r = await runCli(['--version']);
    expectOk(r);
    const pkg = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));
    expect(r.out.trim()).toBe(pkg.version);
  });

  it('unknown commands, unknown options, extra arguments and bad values exit 2', async () => {
    const dir = tmp.make();
    const cases: string[][] = [
      ['frobnicate'],
      ['list', '--bogus'],
      ['init', '--name'],
      ['list', 'extra'],
      ['create-key', 'a', 'b'],
      ['list', '--backend', 'floppy'],
      ['sign', '--format', 'jose'],
      ['sign', '--encoding', 'hex'],
      ['public-key', '--format', 'x509'],
      ['public-key', '--format', 'raw', '--encoding', 'hex'],
      ['secret'],
      ['secret', 'frob', 'x'],
      ['init'],
    ];
    const results = await Promise.all(
      cases.map((args) => runCli([...args, '--dir', dir], { env: ENV, input: 'data' })),
    );
    for (const [i, r] of results.entries()) {
      expect(r.code, `${cases[i].join(' ')}: ${describeResult(r)}`).toBe(2);
      expect(r.stderr, cases[i].join(' ')).toMatch(/^device-keystore: /);
    }
    const json = await Promise.all([
      runCli(['frobnicate', '--json']),
      runCli(['list', '--bogus', '--json', '--dir', dir]),
      runCli(['init', '--json', '--dir', dir], { env: ENV }),
    ]);
    expectJsonError(json[0], 2, 'E_USAGE');
    expectJsonError(json[1], 2, 'E_USAGE');
    expectJsonError(json[2], 2, 'E_INVALID_ARGUMENT');
  });

  it('no option takes a secret: --passphrase is an unknown option, secret values are not argv', async () => {
    const dir = tmp.make();
    const results = await Promise.all([
      runCli(['init', '--name', 'x', '--passphrase', 'hunter2', '--dir', dir]),
      runCli(['sign', '--passphrase=hunter2', '--dir', dir], { input: 'data' }),
      runCli(['change-passphrase', '--new-passphrase', 'hunter2', '--dir', dir]),
      runCli(['secret', 'set', 'token', 'hunter2', '--dir', dir]),
      runCli(['init', '--name', 'x', '--passphrase', 'hunter2', '--json', '--dir', dir]),
    ]);
    for (const r of results.slice(0, 4)) {
      expect(r.code, describeResult(r)).toBe(2);
    }
    expect(results[0].stderr).toMatch(/unknown option '--passphrase'/i);
    expectJsonError(results[4], 2, 'E_USAGE');
    // Nothing was created: the command line was refused before the store was opened.
    expect(
      await fsp.readdir(dir).then(
        (e) => e,
        () => [],
      ),
    ).toEqual([]);
  });
});

// ---- init, info, list, export-identity ----------------------------------------------------

describe('init, info / doctor, list, export-identity', () => {
  it('init in text mode reports the identity; a second init exits 4 (E_EXISTS), text and JSON', async () => {
    const dir = path.join(tmp.make(), 'store');
    const r = await runCli(['init', '--name', 'text-mode', '--dir', dir], { env: ENV });
    expectOk(r);
    expect(r.out).toContain('created identity "text-mode"');
    expect(r.out).toMatch(
      /tier: +encrypted-file \(hardware-backed: no, extractable by: passphrase-holder\)/,
    );
    const [again, againJson] = await Promise.all([
      runCli(['init', '--name', 'again', '--dir', dir], { env: ENV }),
      runCli(['init', '--name', 'again', '--dir', dir, '--json'], { env: ENV }),
    ]);
    expectTextError(again, 4, 'E_EXISTS');
    expectJsonError(againJson, 4, 'E_EXISTS');
    // The passphrase came from the environment: it never reached the disk.
    expect(await fsp.readdir(dir)).not.toContain('.passphrase');
  });

  it('init --force replaces the identity and leaves a single key', async () => {
    const dir = path.join(tmp.make(), 'store');
    const first = jsonOf(
      await runCli(['init', '--name', 'one', '--dir', dir, '--json'], { env: ENV }),
    );
    const second = await runCli(['init', '--name', 'two', '--force', '--dir', dir, '--json'], {
      env: ENV,
    });
    expectOk(second);
    const id = jsonOf(second).identity;
    expect(id.name).toBe('two');
    expect(id.publicKey).not.toBe(first.identity.publicKey);
    expect(await fsp.readdir(path.join(dir, 'keys'))).toEqual([`${id.keyAlias}.json`]);
  });

  it('info and doctor describe the store, in text and JSON', async () => {
    const [text, doctor, json, doctorJson] = await Promise.all([
      cli(['info']),
      cli(['doctor']),
      cli(['info', '--json']),
      cli(['doctor', '--json']),
    ]);
    expectOk(text);
    expect(text.out).toContain(`keystore:        ${store}`);
    expect(text.out).toContain(`identity:        cli-device (${identity.deviceId})`);
    expect(text.out).toContain('tiers (detection order, * = chosen):');
    expect(text.out).toMatch(/\* encrypted-file +available/);
    expect(text.out).toMatch(/tpm2 +unavailable: /);
    expect(text.out).toContain('passphrase source: DEVICE_KEYSTORE_PASSPHRASE');
    expectOk(doctor);
    expect(doctor.out).toBe(text.out);
    expectOk(json);
    const d = jsonOf(json);
    expect(d).toMatchObject({
      ok: true,
      dir: store,
      tier: 'encrypted-file',
      hardwareBacked: false,
      extractable: true,
      extractableBy: 'passphrase-holder',
      initialized: true,
      identity: { name: 'cli-device', deviceId: identity.deviceId },
    });
    expect(d.tiers.map((t: { tier: string }) => t.tier)).toEqual([
      'secure-enclave',
      'keychain',
      'tpm2',
      'windows-tpm',
      'windows-ksp',
      'encrypted-file',
    ]);
    expect(d.tiers.filter((t: { chosen: boolean }) => t.chosen)).toHaveLength(1);
    expect(d.environment.node).toBe(process.version);
    expect(Array.isArray(d.warnings)).toBe(true);
    expect(d.warnings.join('\n')).toContain('not hardware-backed');
    expect(json.out).not.toContain(PASSPHRASE);
    expectOk(doctorJson);
    expect(jsonOf(doctorJson)).toEqual(d);
  });

  it('info on an empty directory says it is not initialized (exit 0)', async () => {
    const r = await runCli(['info', '--json', '--dir', tmp.make()]);
    expectOk(r);
    expect(jsonOf(r)).toMatchObject({ ok: true, initialized: false, keys: [] });
  });

  it('list shows the identity key, in text and JSON', async () => {
    const [text, json] = await Promise.all([cli(['list']), cli(['list', '--json'])]);
    expectOk(text);
    expect(text.out).toMatch(
      new RegExp(`^${identity.keyAlias}\\tencrypted-file\\tsoftware\\t`, 'm'),
    );
    expectOk(json);
    const keys = jsonOf(json).keys;
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({
      alias: identity.keyAlias,
      tier: 'encrypted-file',
      hardwareBacked: false,
      algorithm: 'ECDSA-P256',
      publicKey: identity.publicKey,
    });
  });

  it('export-identity prints the public fields only, to stdout or --out, and as JSON', async () => {
    const out = file('identity-export.json');
    const [text, toFile, json] = await Promise.all([
      cli(['export-identity']),
      cli(['export-identity', '--out', out]),
      cli(['export-identity', '--json']),
    ]);
    expectOk(text);
    const exported = JSON.parse(text.out);
    expect(Object.keys(exported).sort()).toEqual(
      ['createdAt', 'deviceId', 'keyAlias', 'name', 'publicKey', 'tier'].sort(),
    );
    expect(exported).toMatchObject(identity);
    expectOk(toFile);
    expect(toFile.out).toBe('');
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(exported);
    expectOk(json);
    expect(jsonOf(json)).toMatchObject({ ok: true, identity: exported });
    // It is the same identity as identity.json (minus the record's bookkeeping fields).
    const onDisk = JSON.parse(readFileSync(path.join(store, 'identity.json'), 'utf8'));
    expect(onDisk).toMatchObject(exported);
  });
});

// ---- sign and verify -----------------------------------------------------------------------

describe('sign and verify', () => {
  const message = 'The quick brown fox signs the lazy dog\n';

  it('signs stdin as base64 DER by default; node:crypto verifies it', async () => {
    const r = await cli(['sign'], message);
    expectOk(r);
    expect(r.out).toMatch(/^[A-Za-z0-9+/]+={0,2}\n$/);
    expect(nodeVerifies(identity.publicKey, message, Buffer.from(r.out, 'base64'))).toBe(true);
  });

  it.skipIf(WINE)(
    'signs --in to --out as binary DER, which `openssl dgst -sha256 -verify` accepts',
    async () => {
      const data = file('msg.txt', message);
      const sig = file('msg.der');
      const pem = file('identity.pem', identity.publicKey);
      const r = await cli(['sign', '--in', data, '--out', sig, '--encoding', 'binary']);
      expectOk(r);
      expect(r.out).toBe('');
      expect(readFileSync(sig)[0]).toBe(0x30);
      expect(await opensslVerifies(pem, data, sig)).toBe(true);
      // A different message does not verify under OpenSSL either.
      const other = file('other.txt', message + 'x');
      expect(await opensslVerifies(pem, other, sig)).toBe(false);
    },
  );

  it('--format p1363 gives 64 bytes r||s; --json gives the signature in the JSON', async () => {
    const [p1363, json] = await Promise.all([
      cli(['sign', '--format', 'p1363', '--encoding', 'binary'], message),
      cli(['sign', '--json', '--format', 'p1363'], message),
    ]);
    expectOk(p1363);
    expect(p1363.stdout.length).toBe(64);
    expect(nodeVerifies(identity.publicKey, message, p1363.stdout, 'p1363')).toBe(true);
    expectOk(json);
    const body = jsonOf(json);
    expect(body).toMatchObject({ ok: true, alias: identity.keyAlias, format: 'p1363' });
    const sig = Buffer.from(body.signature, 'base64');
    expect(sig.length).toBe(64);
    expect(nodeVerifies(identity.publicKey, message, sig, 'p1363')).toBe(true);
  });

  it('--prehashed signs a 32-byte SHA-256 digest: the signature verifies over the message', async () => {
    const digest = createHash('sha256').update(message).digest();
    const r = await cli(['sign', '--prehashed', '--encoding', 'binary'], digest);
    expectOk(r);
    expect(nodeVerifies(identity.publicKey, message, r.stdout)).toBe(true);
    const bad = await cli(['sign', '--prehashed', '--json'], 'not a digest');
    expectJsonError(bad, 2, 'E_INVALID_ARGUMENT');
  });

  it('verify exits 0 for a good signature and 1 for a bad one, in text and JSON', async () => {
    const data = file('v-msg.txt', message);
    const signed = await cli(['sign', '--in', data]);
    expectOk(signed);
    const sig = file('v-msg.sig', signed.out);
    const wrongData = file('v-wrong.txt', 'another message');
    // Against the key in the store (--key, here the identity key) and against its PEM alone.
    const pem = file('v-identity.pem', identity.publicKey);
    const [good, goodJson, bad, badJson] = await Promise.all([
      cli(['verify', '--signature', sig, '--in', data]),
      cli(['verify', '--signature', sig, '--in', data, '--json', '--public-key', pem]),
      cli(['verify', '--signature', sig, '--in', wrongData, '--public-key', pem]),
      cli(['verify', '--signature', sig, '--in', wrongData, '--json']),
    ]);
    expectOk(good);
    expect(good.out).toContain('signature OK');
    expectOk(goodJson);
    expect(jsonOf(goodJson)).toMatchObject({ ok: true, valid: true });
    expect(bad.code, describeResult(bad)).toBe(1);
    expect(bad.out).toContain('signature INVALID');
    expect(badJson.code).toBe(1);
    expect(jsonOf(badJson)).toMatchObject({ ok: false, valid: false });
    expect(jsonOf(badJson).error).toBeUndefined();
    // The signature from stdin, the data from a file.
    const fromStdin = await cli(
      ['verify', '--signature', '-', '--in', data, '--public-key', pem],
      signed.out,
    );
    expectOk(fromStdin);
    // Both from stdin cannot work: a usage error.
    const both = await cli(['verify', '--signature', '-', '--json'], signed.out);
    expectJsonError(both, 2, 'E_INVALID_ARGUMENT');
  });

  it.skipIf(WINE)(
    'verify --public-key works with a PEM file and needs no store or passphrase',
    async () => {
      const data = file('pk-msg.txt', message);
      const signed = await cli(['sign', '--in', data, '--format', 'p1363', '--encoding', 'binary']);
      expectOk(signed);
      const sig = file('pk-msg.p1363', signed.stdout);
      const pem = file('pk-identity.pem', identity.publicKey);
      const empty = tmp.make();
      const args = ['verify', '--public-key', pem, '--signature', sig, '--in', data];
      const opts = ['--format', 'p1363', '--encoding', 'binary', '--dir', empty];
      const good = await runCli([...args, ...opts]);
      expectOk(good);
      expect(good.out).toContain(`signature OK (${pem})`);
      // Under another key (fresh from OpenSSL) the same signature is INVALID: exit 1.
      const otherKey = file('other-key.pem');
      const otherPub = file('other-pub.pem');
      expectOk(
        await runTool('openssl', [
          'ecparam',
          '-name',
          'prime256v1',
          '-genkey',
          '-noout',
          '-out',
          otherKey,
        ]),
      );
      expectOk(await runTool('openssl', ['ec', '-in', otherKey, '-pubout', '-out', otherPub]));
      const wrongKey = await runCli([
        'verify',
        '--public-key',
        otherPub,
        '--signature',
        sig,
        '--in',
        data,
        ...opts,
      ]);
      expect(wrongKey.code, describeResult(wrongKey)).toBe(1);
      // And a signature OpenSSL makes with that key verifies through the CLI.
      const osslSig = file('openssl.der');
      expectOk(
        await runTool('openssl', ['dgst', '-sha256', '-sign', otherKey, '-out', osslSig, data]),
      );
      const theirs = await runCli([
        'verify',
        '--public-key',
        otherPub,
        '--signature',
        osslSig,
        '--in',
        data,
        '--encoding',
        'binary',
        '--dir',
        empty,
        '--json',
      ]);
      expectOk(theirs);
      expect(jsonOf(theirs)).toMatchObject({ ok: true, valid: true });
      // No store was needed: nothing was written to the empty directory.
      expect(await fsp.readdir(empty)).toEqual([]);
    },
  );

  it('signs with another key by --key; unknown keys exit 3', async () => {
    const created = await cli(['create-key', 'signer', '--json']);
    expectOk(created);
    const pem = jsonOf(created).key.publicKey;
    const [signed, missing] = await Promise.all([
      cli(['sign', '--key', 'signer'], message),
      cli(['sign', '--key', 'nope', '--json'], message),
    ]);
    expectOk(signed);
    expect(nodeVerifies(pem, message, Buffer.from(signed.out, 'base64'))).toBe(true);
    expect(nodeVerifies(identity.publicKey, message, Buffer.from(signed.out, 'base64'))).toBe(
      false,
    );
    expectJsonError(missing, 3, 'E_NOT_FOUND');
    expectOk(await cli(['delete', 'signer']));
  });
});

// ---- public-key ------------------------------------------------------------------------------

describe('public-key in all four formats', () => {
  const expectedSpki = () =>
    createPublicKey(identity.publicKey).export({ format: 'der', type: 'spki' });

  it.skipIf(WINE)(
    'pem (the default): OpenSSL reads it, and it equals the identity key',
    async () => {
      const [text, json] = await Promise.all([
        cli(['public-key']),
        cli(['public-key', '--format', 'pem', '--json']),
      ]);
      expectOk(text);
      expect(text.out).toBe(identity.publicKey);
      const pemFile = file('pub-from-cli.pem', text.out);
      const parsed = await runTool('openssl', [
        'pkey',
        '-pubin',
        '-in',
        pemFile,
        '-outform',
        'DER',
      ]);
      expectOk(parsed);
      expect(parsed.stdout.equals(expectedSpki())).toBe(true);
      expectOk(json);
      expect(jsonOf(json)).toMatchObject({
        ok: true,
        alias: identity.keyAlias,
        format: 'pem',
        publicKey: identity.publicKey,
      });
    },
  );

  it('jwk: a P-256 JWK that node:crypto imports to the same key', async () => {
    const [text, json] = await Promise.all([
      cli(['public-key', '--format', 'jwk']),
      cli(['public-key', '--format', 'jwk', '--json']),
    ]);
    expectOk(text);
    const jwk = JSON.parse(text.out);
    expect(jwk).toMatchObject({ kty: 'EC', crv: 'P-256' });
    expect(jwk.d).toBeUndefined();
    const key = createPublicKey({ key: jwk, format: 'jwk' });
    expect(key.export({ format: 'der', type: 'spki' }).equals(expectedSpki())).toBe(true);
    expectOk(json);
    expect(jsonOf(json).publicKey).toEqual(jwk);
  });

  it('spki: DER, base64 by default or binary (here to --out)', async () => {
    const out = file('spki.der');
    const [b64, toFile, json] = await Promise.all([
      cli(['public-key', '--format', 'spki']),
      cli(['public-key', '--format', 'spki', '--encoding', 'binary', '--out', out]),
      cli(['public-key', '--format', 'spki', '--json']),
    ]);
    for (const r of [b64, toFile, json]) expectOk(r);
    expect(Buffer.from(b64.out, 'base64').equals(expectedSpki())).toBe(true);
    expect(toFile.out).toBe('');
    expect(readFileSync(out).equals(expectedSpki())).toBe(true);
    expect(Buffer.from(jsonOf(json).publicKey, 'base64').equals(expectedSpki())).toBe(true);
  });

  it('raw: 65 bytes, 0x04 || x || y, the coordinates of the identity key', async () => {
    const [bin, b64, json] = await Promise.all([
      cli(['public-key', '--format', 'raw', '--encoding', 'binary']),
      cli(['public-key', '--format', 'raw']),
      cli(['public-key', '--format', 'raw', '--json']),
    ]);
    for (const r of [bin, b64, json]) expectOk(r);
    expect(bin.stdout.length).toBe(65);
    expect(bin.stdout[0]).toBe(0x04);
    // The coordinates node:crypto finds in the identity PEM.
    const jwk = createPublicKey(identity.publicKey).export({ format: 'jwk' });
    expect(bin.stdout.subarray(1, 33).toString('base64url')).toBe(jwk.x);
    expect(bin.stdout.subarray(33).toString('base64url')).toBe(jwk.y);
    expect(Buffer.from(b64.out, 'base64').equals(bin.stdout)).toBe(true);
    expect(Buffer.from(jsonOf(json).publicKey, 'base64').equals(bin.stdout)).toBe(true);
  });
});

// ---- keys ----------------------------------------------------------------------------------

describe('create-key and delete', () => {
  it('creates, lists and deletes keys, in text and JSON; refuses duplicates and the identity key', async () => {
    const a = await cli(['create-key', 'alpha']);
    expectOk(a);
    expect(a.out).toBe('created key "alpha" in the encrypted-file tier\n');
    const b = await cli(['create-key', 'beta', '--json']);
    expectOk(b);
    expect(jsonOf(b)).toMatchObject({
      ok: true,
      key: { alias: 'beta', tier: 'encrypted-file', algorithm: 'ECDSA-P256' },
    });
    const listed = jsonOf(await cli(['list', '--json'])).keys.map(
      (k: { alias: string }) => k.alias,
    );
    expect(listed.sort()).toEqual(['alpha', 'beta', identity.keyAlias].sort());
    const [dup, badAlias, identityDelete, missing] = await Promise.all([
      cli(['create-key', 'alpha', '--json']),
      cli(['create-key', '../escape', '--json']),
      cli(['delete', identity.keyAlias, '--json']),
      cli(['delete', 'gamma', '--json']),
    ]);
    expectJsonError(dup, 4, 'E_EXISTS');
    expectJsonError(badAlias, 2, 'E_INVALID_ARGUMENT');
    expectJsonError(identityDelete, 2, 'E_INVALID_ARGUMENT');
    expectJsonError(missing, 3, 'E_NOT_FOUND');
    const delText = await cli(['delete', 'alpha']);
    expectOk(delText);
    expect(delText.out).toBe('deleted key "alpha"\n');
    const delJson = await cli(['delete', 'beta', '--json']);
    expectOk(delJson);
    expect(jsonOf(delJson)).toMatchObject({ ok: true, deleted: 'beta' });
    expect(await fsp.readdir(path.join(store, 'keys'))).toEqual([`${identity.keyAlias}.json`]);
  });
});

// ---- secrets -------------------------------------------------------------------------------

describe('secret set | get | list | delete', () => {
  it('seals a binary value from stdin and returns it byte for byte', async () => {
    const value = Buffer.concat([Buffer.from([0, 1, 2, 255, 10, 13]), randomBytes(200)]);
    const set = await cli(['secret', 'set', 'blob'], value);
    expectOk(set);
    expect(set.out).toBe('sealed secret "blob"\n');
    const setJson = await cli(['secret', 'set', 'token', '--json'], 'tok-123');
    expectOk(setJson);
    expect(jsonOf(setJson)).toMatchObject({ ok: true, set: 'token' });
    // The value is sealed: it is not in the file in the clear.
    const sealed = readFileSync(path.join(store, 'secrets', 'token.json'), 'utf8');
    expect(sealed).not.toContain('tok-123');
    expect(sealed).not.toContain(Buffer.from('tok-123').toString('base64'));

    const out = file('secret.out');
    const [raw, json, toFile, list, listJson] = await Promise.all([
      cli(['secret', 'get', 'blob']),
      cli(['secret', 'get', 'blob', '--json']),
      cli(['secret', 'get', 'token', '--out', out]),
      cli(['secret', 'list']),
      cli(['secret', 'list', '--json']),
    ]);
    expectOk(raw);
    expect(raw.stdout.equals(value)).toBe(true);
    expectOk(json);
    expect(jsonOf(json)).toMatchObject({ ok: true, name: 'blob', value: value.toString('base64') });
    expectOk(toFile);
    expect(readFileSync(out, 'utf8')).toBe('tok-123');
    expectOk(list);
    expect(list.out).toBe('blob\ntoken\n');
    expectOk(listJson);
    expect(jsonOf(listJson)).toMatchObject({ ok: true, secrets: ['blob', 'token'] });
  });

  it('deletes secrets; a missing one exits 3 (E_NOT_FOUND)', async () => {
    expectOk(await cli(['secret', 'set', 'short-lived'], 'x'));
    const del = await cli(['secret', 'delete', 'short-lived']);
    expectOk(del);
    expect(del.out).toBe('deleted secret "short-lived"\n');
    expectOk(await cli(['secret', 'set', 'short-lived-2'], 'y'));
    const delJson = await cli(['secret', 'delete', 'short-lived-2', '--json']);
    expectOk(delJson);
    expect(jsonOf(delJson)).toMatchObject({ ok: true, deleted: 'short-lived-2' });
    const [get, delAgain, text] = await Promise.all([
      cli(['secret', 'get', 'short-lived', '--json']),
      cli(['secret', 'delete', 'short-lived', '--json']),
      cli(['secret', 'get', 'short-lived']),
    ]);
    expectJsonError(get, 3, 'E_NOT_FOUND');
    expectJsonError(delAgain, 3, 'E_NOT_FOUND');
    expectTextError(text, 3, 'E_NOT_FOUND');
    const needsName = await cli(['secret', 'get', '--json']);
    expectJsonError(needsName, 2, 'E_INVALID_ARGUMENT');
  });
});

// ---- change-passphrase -----------------------------------------------------------------------

describe('change-passphrase', () => {
  it('with the passphrase in the environment: the new one comes from stdin or the env, never argv', async () => {
    const dir = path.join(tmp.make(), 'store');
    const init = await runCli(['init', '--name', 'pp', '--dir', dir, '--json'], { env: ENV });
    expectOk(init);
    const pub = jsonOf(init).identity.publicKey;
    // No new passphrase given, and the current one is not file-managed: a usage error.
    const none = await runCli(['change-passphrase', '--dir', dir, '--json'], { env: ENV });
    expectJsonError(none, 2, 'E_INVALID_ARGUMENT');
    // From stdin (the final newline is not part of it).
    const second = 'second passphrase for the cli test';
    const viaStdin = await runCli(
      ['change-passphrase', '--new-passphrase-stdin', '--dir', dir, '--json'],
      { env: ENV, input: second + '\n' },
    );
    expectOk(viaStdin);
    expect(jsonOf(viaStdin)).toMatchObject({
      ok: true,
      storedIn: 'nowhere (caller keeps it)',
      generated: false,
    });
    expect(viaStdin.out).not.toContain(second);
    const [oldOne, newOne] = await Promise.all([
      runCli(['sign', '--dir', dir, '--json'], { env: ENV, input: 'm' }),
      runCli(['sign', '--dir', dir], { env: { DEVICE_KEYSTORE_PASSPHRASE: second }, input: 'm' }),
    ]);
    expectJsonError(oldOne, 5, 'E_BAD_PASSPHRASE');
    expectOk(newOne);
    expect(nodeVerifies(pub, 'm', Buffer.from(newOne.out, 'base64'))).toBe(true);
    // From DEVICE_KEYSTORE_NEW_PASSPHRASE, in text mode.
    const third = 'third passphrase for the cli test';
    const viaEnv = await runCli(['change-passphrase', '--dir', dir], {
      env: { DEVICE_KEYSTORE_PASSPHRASE: second, DEVICE_KEYSTORE_NEW_PASSPHRASE: third },
    });
    expectOk(viaEnv);
    expect(viaEnv.out).toContain('passphrase changed;');
    expect(viaEnv.out).toContain('update DEVICE_KEYSTORE_PASSPHRASE');
    const signed = await runCli(['sign', '--dir', dir], {
      env: { DEVICE_KEYSTORE_PASSPHRASE: third },
      input: 'm',
    });
    expectOk(signed);
    expect(nodeVerifies(pub, 'm', Buffer.from(signed.out, 'base64'))).toBe(true);
    // The passphrases never reached the disk.
    for (const name of await fsp.readdir(dir, { recursive: true })) {
      const p = path.join(dir, name);
      if (statSync(p).isFile()) {
        const text = readFileSync(p, 'utf8');
        for (const secret of [PASSPHRASE, second, third]) expect(text).not.toContain(secret);
      }
    }
  });

  it('with a generated passphrase file: a new random one replaces the file', async () => {
    const dir = path.join(tmp.make(), 'store');
    const init = await runCli(['init', '--name', 'gen', '--dir', dir]);
    expectOk(init);
    const pfile = path.join(dir, '.passphrase');
    const before = readFileSync(pfile, 'utf8');
    expect(statSync(pfile).mode & 0o777).toBe(statModeFor(0o400));
    // The generated passphrase is never printed.
    expect(init.out + init.stderr).not.toContain(before);
    const text = await runCli(['change-passphrase', '--dir', dir]);
    expectOk(text);
    expect(text.out).toContain('to a new random 256-bit one');
    expect(text.out).toContain('the new passphrase is in the passphrase file');
    const json = await runCli(['change-passphrase', '--dir', dir, '--json']);
    expectOk(json);
    expect(jsonOf(json)).toMatchObject({ ok: true, storedIn: 'passphrase-file', generated: true });
    const after = readFileSync(pfile, 'utf8');
    expect(after).not.toBe(before);
    expect(statSync(pfile).mode & 0o777).toBe(statModeFor(0o400));
    expect(text.out + json.out).not.toContain(after);
    // info warns that the passphrase file sits beside the keys, and never shows it.
    const info = await runCli(['info', '--dir', dir, '--json']);
    expectOk(info);
    expect(jsonOf(info).warnings.join('\n')).toContain('passphrase file is stored beside');
    expect(info.out).not.toContain(after);
    const signed = await runCli(['sign', '--dir', dir], { input: 'gen' });
    expectOk(signed);
    const pub = jsonOf(await runCli(['export-identity', '--json', '--dir', dir])).identity
      .publicKey;
    expect(nodeVerifies(pub, 'gen', Buffer.from(signed.out, 'base64'))).toBe(true);
  });
});

// ---- exit codes ----------------------------------------------------------------------------

describe('exit codes for each error, with the error as JSON on stdout under --json', () => {
  it('E_NOT_INITIALIZED -> 3: signing before init', async () => {
    const dir = tmp.make();
    const [json, text] = await Promise.all([
      runCli(['sign', '--dir', dir, '--json'], { env: ENV, input: 'x' }),
      runCli(['sign', '--dir', dir], { env: ENV, input: 'x' }),
    ]);
    const body = expectJsonError(json, 3, 'E_NOT_INITIALIZED');
    expect(body.error.hint).toContain('init');
    expectTextError(text, 3, 'E_NOT_INITIALIZED');
  });

  it('E_BAD_PASSPHRASE -> 5: a wrong DEVICE_KEYSTORE_PASSPHRASE', async () => {
    const wrong = { DEVICE_KEYSTORE_PASSPHRASE: 'not the passphrase' };
    const [json, text] = await Promise.all([
      runCli(['sign', '--dir', store, '--json'], { env: wrong, input: 'x' }),
      runCli(['sign', '--dir', store], { env: wrong, input: 'x' }),
    ]);
    expectJsonError(json, 5, 'E_BAD_PASSPHRASE');
    expectTextError(text, 5, 'E_BAD_PASSPHRASE');
    expect(json.out + text.stderr).not.toContain('not the passphrase');
  });

  it('E_CORRUPT -> 6: a key file changed on disk', async () => {
    const dir = path.join(tmp.make(), 'copy');
    cpSync(store, dir, { recursive: true });
    const keyPath = path.join(dir, 'keys', `${identity.keyAlias}.json`);
    const record = JSON.parse(readFileSync(keyPath, 'utf8'));
    record.createdAt = '2000-01-01T00:00:00.000Z';
    chmodSync(keyPath, 0o600);
    writeFileSync(keyPath, JSON.stringify(record, null, 2) + '\n');
    const [json, text] = await Promise.all([
      runCli(['sign', '--dir', dir, '--json'], { env: ENV, input: 'x' }),
      runCli(['sign', '--dir', dir], { env: ENV, input: 'x' }),
    ]);
    expectJsonError(json, 6, 'E_CORRUPT');
    expectTextError(text, 6, 'E_CORRUPT');
    // file-master.json missing: the keys cannot be unlocked, and the CLI says so.
    const dir2 = path.join(tmp.make(), 'copy');
    cpSync(store, dir2, { recursive: true });
    await fsp.rm(path.join(dir2, 'file-master.json'));
    expectJsonError(
      await runCli(['sign', '--dir', dir2, '--json'], { env: ENV, input: 'x' }),
      6,
      'E_CORRUPT',
    );
  });

  it.skipIf(WINDOWS)(
    'E_INSECURE_PERMISSIONS -> 7: a key file or passphrase file readable by others',
    async () => {
      const dir = path.join(tmp.make(), 'copy');
      cpSync(store, dir, { recursive: true });
      chmodSync(path.join(dir, 'keys', `${identity.keyAlias}.json`), 0o644);
      const [json, text] = await Promise.all([
        runCli(['sign', '--dir', dir, '--json'], { env: ENV, input: 'x' }),
        runCli(['sign', '--dir', dir], { env: ENV, input: 'x' }),
      ]);
      const body = expectJsonError(json, 7, 'E_INSECURE_PERMISSIONS');
      expect(body.error.hint).toContain('chmod go-rwx');
      expectTextError(text, 7, 'E_INSECURE_PERMISSIONS');
      // A generated passphrase file that others can read is refused too.
      const gen = path.join(tmp.make(), 'gen');
      expectOk(await runCli(['init', '--name', 'g', '--dir', gen]));
      chmodSync(path.join(gen, '.passphrase'), 0o444);
      expectJsonError(
        await runCli(['sign', '--dir', gen, '--json'], { input: 'x' }),
        7,
        'E_INSECURE_PERMISSIONS',
      );
    },
  );

  it('--backend tpm2 and --require-hardware -> 8 on a machine without them', async () => {
    const dir = tmp.make();
    const [tpm, hw, hwFile, tpmText] = await Promise.all([
      runCli(['init', '--name', 'x', '--backend', 'tpm2', '--dir', dir, '--json']),
      runCli(['init', '--name', 'x', '--require-hardware', '--dir', dir, '--json']),
      runCli(['info', '--backend', 'encrypted-file', '--require-hardware', '--dir', dir, '--json']),
      runCli(['info', '--backend', 'tpm2', '--dir', dir]),
    ]);
    const t = expectJsonError(tpm, 8, 'E_BACKEND_UNAVAILABLE');
    expect(t.error.message).toContain('tpm2');
    expectJsonError(hw, 8, 'E_HARDWARE_REQUIRED');
    expectJsonError(hwFile, 8, 'E_HARDWARE_REQUIRED');
    expectTextError(tpmText, 8, 'E_BACKEND_UNAVAILABLE');
    expect(await keysIn(dir)).toEqual([]);
  });

  it('E_LOCKED -> 9: the store is locked by a live process (--lock-timeout)', async () => {
    const dir = tmp.make();
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      path.join(dir, '.lock'),
      JSON.stringify({ pid: process.pid, host: os.hostname(), token: 'cli-test' }),
      { mode: 0o600 },
    );
    const r = await runCli(['create-key', 'k', '--lock-timeout', '100', '--dir', dir, '--json'], {
      env: ENV,
    });
    expectJsonError(r, 9, 'E_LOCKED');
  });
});

async function keysIn(dir: string): Promise<string[]> {
  return fsp.readdir(path.join(dir, 'keys')).catch(() => []);
}

// ---- progress indicator ----------------------------------------------------------------------

describe('the progress indicator', () => {
  it.skipIf(WINDOWS)('shows "deriving the key" on a terminal, and clears it', async () => {
    const which = await runTool('sh', ['-c', 'command -v script']);
    expect(which.code, 'util-linux `script` is needed for this test').toBe(0);
    const dir = path.join(tmp.make(), 'store');
    const cmd = [process.execPath, CLI, 'init', '--name', 'tty', '--dir', dir].map(shq).join(' ');
    const r = await runTool('script', ['-qec', cmd, '/dev/null']);
    expect(r.code, describeResult(r)).toBe(0);
    expect(r.out).toContain('deriving the key');
    expect(r.out).toContain('created identity "tty"');
    // After the last frame the line is erased (\r ESC[K), so no spinner text is left behind.
    const last = r.out.lastIndexOf('deriving the key');
    expect(r.out.slice(last)).toContain('\r\x1b[K');
  });

  it.skipIf(WINDOWS)(
    'stays silent when stderr is not a terminal, and with --json on a terminal',
    async () => {
      const dir = path.join(tmp.make(), 'store');
      const plain = await runCli(['init', '--name', 'pipe', '--dir', dir]);
      expectOk(plain);
      expect(plain.stderr).not.toContain('deriving the key');
      expect(plain.out).not.toContain('deriving the key');
      const dir2 = path.join(tmp.make(), 'store');
      const cmd = [process.execPath, CLI, 'init', '--name', 'tty', '--dir', dir2, '--json']
        .map(shq)
        .join(' ');
      const r = await runTool('script', ['-qec', cmd, '/dev/null']);
      expect(r.code, describeResult(r)).toBe(0);
      expect(r.out).not.toContain('deriving the key');
    },
  );
});

// ---- issue 9, item 17: arguments in any order, garbage named, every exit code documented -------

describe('global options, signature and key files, exit codes', () => {
  it('accepts global options before the command, and refuses other options there', async () => {
    const dir = path.join(tmp.make(), 'store');
    const init = await runCli(['--dir', dir, '--json', 'init', '--name', 'first'], { env: ENV });
    expectOk(init);
    expect(jsonOf(init).identity.name).toBe('first');
    const [list, eq, bogus, help] = await Promise.all([
      runCli(['--json', `--dir=${dir}`, 'list'], { env: ENV }),
      runCli(['--dir', dir, '--backend', 'encrypted-file', 'list'], { env: ENV }),
      runCli(['--name', 'x', 'init', '--dir', dir, '--json'], { env: ENV }),
      runCli(['--dir', dir, '--help']),
    ]);
    expectOk(list);
    expect(jsonOf(list).keys).toHaveLength(1);
    expectOk(eq);
    const e = expectJsonError(bogus, 2, 'E_USAGE');
    expect(e.error.message).toMatch(/"--name" before the command/);
    expectOk(help);
    expect(help.out).toContain('Usage: device-keystore [global options] <command>');
  });

  it('calls garbage in a signature file a usage error (exit 2), not "signature INVALID"', async () => {
    const data = file('garbage-msg.txt', 'a message');
    const pem = file('garbage-identity.pem', identity.publicKey);
    const cases: [string, Buffer | string, string[]][] = [
      ['garbage.b64', randomBytes(40).toString('base64') + '\n', []],
      ['garbage.bin', randomBytes(70), ['--encoding', 'binary']],
      ['garbage.p1363', randomBytes(63), ['--encoding', 'binary', '--format', 'p1363']],
    ];
    for (const [name, bytes, opts] of cases) {
      const sig = file(name, bytes);
      const args = ['verify', '--signature', sig, '--in', data, '--public-key', pem, ...opts];
      const [text, json] = await Promise.all([cli(args), cli([...args, '--json'])]);
      expect(text.code, describeResult(text)).toBe(2);
      expect(text.out).not.toContain('INVALID');
      expect(text.stderr).toContain(sig);
      expect(text.stderr).toContain('[E_INVALID_ARGUMENT]');
      expectJsonError(json, 2, 'E_INVALID_ARGUMENT');
    }
  });

  it('names a bad --public-key file and the formats it accepts', async () => {
    const data = file('badkey-msg.txt', 'a message');
    const signed = await cli(['sign', '--in', data]);
    expectOk(signed);
    const sig = file('badkey.sig', signed.out);
    for (const [name, content] of [
      ['bad-key.pem', '-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----\n'],
      ['bad-key.jwk', '{"kty": "EC", "crv": "P-384"'],
      ['bad-key.der', randomBytes(91)],
    ] as const) {
      const key = file(name, content);
      const r = await cli([
        'verify',
        '--signature',
        sig,
        '--in',
        data,
        '--public-key',
        key,
        '--json',
      ]);
      const e = expectJsonError(r, 2, 'E_INVALID_ARGUMENT');
      expect(e.error.message).toContain(key);
      expect(e.error.hint).toMatch(/PEM .*JWK .*SPKI DER.*raw 65-byte/);
    }
  });

  it('docs/cli.md gives every exit code, and every error code the exit code the CLI returns', () => {
    const doc = readFileSync(path.join(__dirname, '..', '..', 'docs', 'cli.md'), 'utf8');
    const table = doc.slice(doc.indexOf('## Exit codes'));
    const rows = new Map<number, string>();
    for (const m of table.matchAll(/^\| (\d+) +\|[^|]*\|([^\n]*)\|$/gm)) {
      rows.set(Number(m[1]), m[2]!);
    }
    const documented = new Map<string, number>();
    for (const [exit, codes] of rows) {
      for (const c of codes.matchAll(/`(E_[A-Z_]+)`/g)) documented.set(c[1]!, exit);
    }
    for (const code of ErrorCodes) expect(documented.get(code), code).toBe(exitCodeFor(code));
    expect(documented.get('E_USAGE')).toBe(EXIT.USAGE);
    const exits = new Set([...Object.values(EXIT), ...ErrorCodes.map((c) => exitCodeFor(c))]);
    expect([...rows.keys()].sort((a, b) => a - b)).toEqual([...exits].sort((a, b) => a - b));
  });
});

// ---- a new passphrase typed at a terminal ------------------------------------------------------

/**
 * Runs `change-passphrase --new-passphrase-stdin` under `script` (a pseudo-terminal), typing
 * each entry only once its prompt is on the screen, as a person would. Resolves to everything
 * the terminal showed, and the exit code.
 */
function typeAtTerminal(
  dir: string,
  entries: string[],
): Promise<{ code: number | null; screen: string }> {
  const cmd = [process.execPath, CLI, 'change-passphrase', '--new-passphrase-stdin', '--dir', dir]
    .map(shq)
    .join(' ');
  const child = spawn('script', ['-qfec', cmd, '/dev/null'], {
    env: { ...process.env, ...ENV },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let screen = '';
  let prompts = 0;
  child.stdout.on('data', (chunk: Buffer) => {
    screen += chunk.toString('utf8');
    const seen = (screen.match(/New passphrase(, again)?: /g) ?? []).length;
    while (prompts < seen && prompts < entries.length) child.stdin.write(entries[prompts++] + '\r');
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no exit; the terminal showed: ${JSON.stringify(screen)}`));
    }, 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, screen });
    });
  });
}

describe('change-passphrase at a terminal', () => {
  it.skipIf(WINDOWS)(
    'prompts twice, never shows what is typed, and a mismatch changes nothing',
    async () => {
      const which = await runTool('sh', ['-c', 'command -v script']);
      expect(which.code, 'util-linux `script` is needed for this test').toBe(0);
      const dir = path.join(tmp.make(), 'store');
      expectOk(await runCli(['init', '--name', 'tty-pp', '--dir', dir], { env: ENV }));
      const typed = 'typed at the terminal 7f3a';

      const mismatch = await typeAtTerminal(dir, [typed, typed + ' but not the same']);
      expect(mismatch.code, mismatch.screen).toBe(2);
      expect(mismatch.screen).toContain('New passphrase: ');
      expect(mismatch.screen).toContain('New passphrase, again: ');
      expect(mismatch.screen).toContain('do not match');
      expect(mismatch.screen).not.toContain(typed);
      expect(mismatch.screen).not.toContain('7f3a');
      // Nothing changed: the old passphrase still signs, the typed one does not.
      expectOk(await runCli(['sign', '--dir', dir], { env: ENV, input: 'm' }));

      const ok = await typeAtTerminal(dir, [typed, typed]);
      expect(ok.code, ok.screen).toBe(0);
      expect(ok.screen).toContain('passphrase changed');
      expect(ok.screen).not.toContain(typed);
      expect(ok.screen).not.toContain('7f3a');
      const [withNew, withOld] = await Promise.all([
        runCli(['sign', '--dir', dir], { env: { DEVICE_KEYSTORE_PASSPHRASE: typed }, input: 'm' }),
        runCli(['sign', '--dir', dir, '--json'], { env: ENV, input: 'm' }),
      ]);
      expectOk(withNew);
      expectJsonError(withOld, 5, 'E_BAD_PASSPHRASE');
    },
  );
});
