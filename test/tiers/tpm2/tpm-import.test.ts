/**
 * What importKey takes into the TPM tier, against a real swtpm started here: only keys made in
 * and bound to a TPM (fixedTPM, fixedParent, sensitiveDataOrigin), never an authorization
 * attempt that could push the TPM into dictionary-attack lockout, errors that say what the
 * input is, and a signature checked against the key before it is returned; and a key an earlier
 * release imported without those checks is listed for what it is.
 */
import { diffieHellman, generateKeyPairSync } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Keystore } from '../../../src/index';
import { parseTpm2bPublic, publicPointOf } from '../../../src/crypto/tpm2-structures';
import { decodeTss2Pem } from '../../../src/crypto/tss2-pem';
import { writeKeyRecord } from '../../../src/store/key-records';
import { keyFile, storePaths } from '../../../src/store/paths';
import { readStoreId } from '../../../src/store/store-id';
import { Swtpm } from '../../helpers/swtpm';
import {
  Stores,
  TPM2_PROVIDER,
  buildKeyFile,
  derToPem,
  expectCode,
  handleBody,
  makeTempDir,
  nodeVerifies,
  openssl,
  pemToDer,
  readEccPublic,
  removeDir,
  splitKeyFile,
  tlv,
  tpm2,
} from '../../helpers/tpm';

const PERSISTENT = '0x81000001';
const FIXED_TPM = 0x2;
const FIXED_PARENT = 0x10;
const SENSITIVE_DATA_ORIGIN = 0x20;
const NO_DA = 0x400;

let swtpm: Swtpm;
let dir: string;
let scratch: string;
const stores = new Stores();

function openStore(): Promise<Keystore> {
  return stores.add({ dir, tcti: swtpm.tcti, backend: 'tpm2' });
}

/** tpm2-tools leave objects and sessions loaded when there is no resource manager. */
async function flushAll(): Promise<void> {
  for (const what of ['-t', '-l', '-s']) {
    const f = await tpm2(swtpm.tcti, 'tpm2_flushcontext', [what]);
    expect(f.code, f.stderr).toBe(0);
  }
}

/** A tpm2-tools command that must succeed; then what it left loaded is flushed. */
async function tools(tool: string, args: string[]): Promise<string> {
  const r = await tpm2(swtpm.tcti, tool, args);
  await flushAll();
  expect(r.code, `${tool} ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

/** tpm2_create under the persistent SRK with these attributes, as a TSS2 PEM (emptyAuth TRUE). */
async function tpmCreated(name: string, attributes: string): Promise<string> {
  const pub = path.join(scratch, `${name}.pub`);
  const priv = path.join(scratch, `${name}.priv`);
  await tools('tpm2_create', [
    ...['-C', PERSISTENT, '-G', 'ecc256:null', '-a', attributes, '-u', pub, '-r', priv],
  ]);
  return encode(name, pub, priv, true);
}

/** tpm2_encodeobject; tpm2-tools 5.4 writes emptyAuth TRUE only when given -p. */
async function encode(name: string, pub: string, priv: string, emptyAuth: boolean) {
  const out = path.join(scratch, `${name}.tss2.pem`);
  await tools('tpm2_encodeobject', [
    ...['-C', PERSISTENT, '-u', pub, '-r', priv, '-o', out],
    ...(emptyAuth ? ['-p'] : []),
  ]);
  return fsp.readFile(out, 'utf8');
}

/** A software P-256 key (openssl) loaded with tpm2_import: sensitiveDataOrigin and fixedTPM clear. */
async function softwareImported(name: string): Promise<string> {
  const sw = path.join(scratch, `${name}.software.pem`);
  const gen = await openssl(swtpm.tcti, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout']);
  expect(gen.code, gen.stderr).toBe(0);
  await fsp.writeFile(sw, gen.stdout);
  const pub = path.join(scratch, `${name}.pub`);
  const priv = path.join(scratch, `${name}.priv`);
  await tools('tpm2_import', [...['-C', PERSISTENT, '-G', 'ecc', '-i', sw, '-u', pub, '-r', priv]]);
  return encode(name, pub, priv, true);
}

async function genpkey(name: string, extra: string[] = []): Promise<string> {
  const file = path.join(scratch, `${name}.pem`);
  const r = await openssl(swtpm.tcti, [
    ...['genpkey', ...TPM2_PROVIDER, '-algorithm', 'EC', '-pkeyopt', 'group:P-256'],
    ...extra,
    ...['-out', file],
  ]);
  expect(r.code, r.stderr).toBe(0);
  return fsp.readFile(file, 'utf8');
}

function attributesOf(pem: string): number {
  return readEccPublic(splitKeyFile(pemToDer(pem)).pub).attributes;
}

async function keyFilesLeft(prefix: string): Promise<string[]> {
  const names = await fsp.readdir(path.join(dir, 'keys')).catch(() => [] as string[]);
  return names.filter((f) => f.startsWith(prefix));
}

beforeAll(async () => {
  swtpm = await Swtpm.start();
  dir = await makeTempDir('import');
  scratch = await makeTempDir('import-scratch');
  // An H-2 SRK persisted at 0x81000001, the parent tpm2-tools keys are made under here.
  const ctx = path.join(scratch, 'srk.ctx');
  await tools('tpm2_createprimary', [
    ...['-C', 'o', '-g', 'sha256', '-G', 'ecc256:null:aes128cfb', '-c', ctx],
    ...['-a', 'restricted|decrypt|fixedtpm|fixedparent|sensitivedataorigin|userwithauth|noda'],
  ]);
  await tools('tpm2_evictcontrol', ['-C', 'o', '-c', ctx, PERSISTENT]);
});

afterAll(async () => {
  await stores.closeAll();
  await swtpm?.stop();
  await removeDir(dir);
  await removeDir(scratch);
});

describe('importKey takes only keys made in and bound to a TPM', () => {
  it('a software key loaded with tpm2_import is refused, and says why; no files are left', async () => {
    const pem = await softwareImported('imported');
    expect(attributesOf(pem) & SENSITIVE_DATA_ORIGIN).toBe(0);
    const ks = await openStore();
    // Even with the caller's word on the password: where the key was made is the question.
    const err = await expectCode(
      () => ks.importKey('sw', pem, { keyAuth: '' }),
      'E_INVALID_ARGUMENT',
    );
    expect(err.message).toMatch(/sensitiveDataOrigin is clear/);
    expect(err.message).toMatch(/made outside the TPM/);
    expect(err.message).toMatch(/fixedTPM is clear/);
    expect(err.hint).toMatch(/generated inside this TPM/);
    expect(await keyFilesLeft('sw')).toEqual([]);
    await stores.closeAll();
  });

  it('a key made in the TPM without fixedTPM/fixedParent (duplicable) is refused', async () => {
    const pem = await tpmCreated('dup', 'sign|decrypt|sensitivedataorigin|userwithauth|noda');
    const ks = await openStore();
    const err = await expectCode(() => ks.importKey('dup', pem), 'E_INVALID_ARGUMENT');
    expect(err.message).toMatch(/fixedTPM is clear: the key may be duplicated/);
    expect(err.message).toMatch(/fixedParent is clear/);
    expect(err.message).not.toMatch(/sensitiveDataOrigin is clear/);
    expect(await keyFilesLeft('dup')).toEqual([]);
    await stores.closeAll();
  });

  it('a key made in and bound to the TPM imports as hardware-backed and not extractable', async () => {
    const pem = await tpmCreated(
      'bound',
      'sign|decrypt|fixedtpm|fixedparent|sensitivedataorigin|userwithauth|noda',
    );
    const a = attributesOf(pem);
    expect(a & (FIXED_TPM | FIXED_PARENT | SENSITIVE_DATA_ORIGIN | NO_DA)).toBe(0x432);
    const ks = await openStore();
    const k = await ks.importKey('bound', pem);
    expect([k.hardwareBacked, k.extractable, k.extractableBy]).toEqual([true, false, 'nobody']);
    expect(nodeVerifies(k.publicKey, 'bound', await k.sign('bound'))).toBe(true);
    const info = (await ks.listKeys()).find((i) => i.alias === 'bound')!;
    expect([info.hardwareBacked, info.extractable]).toEqual([true, false]);
    await stores.closeAll();
  });
});

describe('a key an earlier release imported without these checks', () => {
  let legacyDir: string;

  beforeAll(async () => {
    legacyDir = await makeTempDir('import-legacy');
  });
  afterAll(() => removeDir(legacyDir));

  /** Put a TSS2 PEM in the store the way a release without the import checks did. */
  async function writeAsOldRelease(
    alias: string,
    pem: string,
    sideFile = Buffer.from(pem),
  ): Promise<void> {
    const paths = storePaths(legacyDir);
    const pub = parseTpm2bPublic(decodeTss2Pem(pem).publicBlob);
    await writeKeyRecord(keyFile(paths, alias), {
      alias,
      tier: 'tpm2',
      algorithm: 'ECDSA-P256',
      publicKey: publicPointOf(pub),
      createdAt: new Date().toISOString(),
      storeId: (await readStoreId(paths))!,
      backendData: {},
      sideFile: { suffix: '.tss2.pem', bytes: sideFile },
    });
  }

  const labels = (i: { hardwareBacked: boolean; extractable: boolean; extractableBy: string }) => [
    i.hardwareBacked,
    i.extractable,
    i.extractableBy,
  ];

  it('is listed as not hardware-backed and extractable, and describe() says how to fix it; a TPM key is unchanged', async () => {
    const ks = await stores.add({ dir: legacyDir, tcti: swtpm.tcti, backend: 'tpm2' });
    const made = await ks.createKey('made');
    await writeAsOldRelease('legacy', await softwareImported('legacy'));

    const list = await ks.listKeys();
    expect(list.map((i) => i.alias)).toEqual(['legacy', 'made']);
    const [legacy, madeInfo] = list;
    expect(labels(legacy!)).toEqual([false, true, 'unknown']);
    expect(legacy!.tier).toBe('tpm2');
    expect(JSON.parse(JSON.stringify(legacy))).toMatchObject({
      hardwareBacked: false,
      extractable: true,
      extractableBy: 'unknown',
    });
    expect(labels(madeInfo!)).toEqual([true, false, 'nobody']);
    expect(labels(made)).toEqual([true, false, 'nobody']);

    const d = await ks.describe();
    expect(d.keys.map(labels)).toEqual([
      [false, true, 'unknown'],
      [true, false, 'nobody'],
    ]);
    const named = d.warnings.filter((w) => w.includes('"legacy"'));
    expect(named).toHaveLength(1);
    expect(named[0]).toMatch(/not made in and bound to its hardware/);
    expect(named[0]).toMatch(/not hardware-backed/);
    expect(named[0]).toMatch(/deleteKey\('legacy'\)/);
    expect(named[0]).toMatch(/device-keystore delete legacy/);
    expect(named[0]).toMatch(/createKey/);
    expect(d.warnings.join('\n')).not.toMatch(/"made"/);

    // getKey refuses it, as before; deleting it is the fix, and the warning goes with it.
    const err = await expectCode(() => ks.getKey('legacy'), 'E_INVALID_ARGUMENT');
    expect(err.message).toMatch(/sensitiveDataOrigin is clear/);
    await ks.deleteKey('legacy');
    expect((await ks.listKeys()).map(labels)).toEqual([[true, false, 'nobody']]);
    expect((await ks.describe()).warnings.join('\n')).not.toMatch(/"legacy"/);
    await stores.closeAll();
  });

  it('a missing, altered or unparseable key file does not make listKeys throw; getKey says E_CORRUPT', async () => {
    const ks = await stores.add({ dir: legacyDir, tcti: swtpm.tcti, backend: 'tpm2' });
    const unbound = await softwareImported('broken');
    await writeAsOldRelease('gone', unbound);
    await writeAsOldRelease('altered', unbound);
    // Its record's checksum matches, but the bytes are no TSS2 key.
    await writeAsOldRelease('unparseable', unbound, Buffer.from('not a key'));
    const keys = path.join(legacyDir, 'keys');
    await fsp.rm(path.join(keys, 'gone.tss2.pem'));
    await fsp.writeFile(path.join(keys, 'altered.tss2.pem'), 'not a key', { mode: 0o600 });

    const broken = ['altered', 'gone', 'unparseable'];
    const list = (await ks.listKeys()).filter((i) => broken.includes(i.alias));
    expect(list.map((i) => i.alias)).toEqual(broken);
    // Nothing is known beyond the record, so each keeps its tier's labels, as before this check.
    for (const info of list) expect(labels(info), info.alias).toEqual([true, false, 'nobody']);
    const d = await ks.describe();
    for (const alias of broken) expect(d.warnings.join('\n')).not.toContain(`"${alias}"`);
    for (const alias of broken) await expectCode(() => ks.getKey(alias), 'E_CORRUPT', alias);
    for (const alias of broken) await ks.deleteKey(alias);
    await stores.closeAll();
  });
});

describe('importing never risks dictionary-attack lockout', () => {
  async function lockoutState(): Promise<{ counter: number; inLockout: number }> {
    const out = await tools('tpm2_getcap', ['properties-variable']);
    const counter = /TPM2_PT_LOCKOUT_COUNTER:\s+(0x[0-9a-fA-F]+|\d+)/.exec(out);
    const locked = /inLockout:\s+(\d)/.exec(out);
    expect(counter, out).not.toBeNull();
    expect(locked, out).not.toBeNull();
    return { counter: Number(counter![1]), inLockout: Number(locked![1]) };
  }

  it('a key with a password, no noDA and a file claiming emptyAuth, imported 3 times: counter unmoved', async () => {
    // tpm2-openssl's keys lack noDA (0x00060072). This one has a real password, and the file
    // is re-encoded to claim emptyAuth TRUE: the claim is all that importKey can read.
    const real = splitKeyFile(pemToDer(await genpkey('pw', ['-pkeyopt', 'user-auth:right'])));
    expect(readEccPublic(real.pub).attributes & NO_DA).toBe(0);
    const claim = buildKeyFile({
      ...real,
      tagged: [tlv(0xa0, tlv(0x01, Buffer.of(0xff)))],
      parentBody: handleBody(real.parent),
    });
    const before = await lockoutState();
    const ks = await openStore();
    for (let i = 0; i < 3; i++) {
      const err = await expectCode(
        () => ks.importKey(`pw${i}`, derToPem(claim)),
        'E_INVALID_ARGUMENT',
      );
      expect(err.message).toMatch(/lacks noDA/);
      expect(err.hint).toMatch(/keyAuth: ''/);
    }
    await stores.closeAll();
    expect(await lockoutState()).toEqual(before);
    expect(before.inLockout).toBe(0);
    expect(await keyFilesLeft('pw')).toEqual([]);
  });

  it("a tpm2-openssl key without noDA imports once the caller says keyAuth: ''", async () => {
    const pem = await genpkey('peer');
    expect(attributesOf(pem) & NO_DA).toBe(0);
    const ks = await openStore();
    await expectCode(() => ks.importKey('peer', pem), 'E_INVALID_ARGUMENT');
    await expectCode(() => ks.importKey('peer', pem, { keyAuth: 'secret' }), 'E_INVALID_ARGUMENT');
    const k = await ks.importKey('peer', pem, { keyAuth: '' });
    expect(nodeVerifies(k.publicKey, 'peer', await k.sign('peer'))).toBe(true);
    await stores.closeAll();
  });
});

describe('import errors say what the input is', () => {
  it('a public key PEM, a software private key and an RSA TPM key are E_INVALID_ARGUMENT', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const rsaFile = path.join(scratch, 'rsa.pem');
    const rsa = await openssl(swtpm.tcti, [
      ...['genpkey', ...TPM2_PROVIDER, '-algorithm', 'RSA', '-pkeyopt', 'bits:2048'],
      ...['-out', rsaFile],
    ]);
    expect(rsa.code, rsa.stderr).toBe(0);
    const cases: [string, string, RegExp][] = [
      ['pub', publicKey.export({ type: 'spki', format: 'pem' }) as string, /a public key/],
      ['soft', privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, /software private/],
      ['rsa', await fsp.readFile(rsaFile, 'utf8'), /an RSA key/],
      ['junk', 'not a key at all', /not PEM/],
    ];
    const ks = await openStore();
    for (const [alias, input, what] of cases) {
      const err = await expectCode(() => ks.importKey(alias, input), 'E_INVALID_ARGUMENT', alias);
      expect(err.message, alias).toMatch(what);
      expect(err.message, alias).not.toMatch(/backup/);
      expect(err.hint, alias).toMatch(/TSS2 PRIVATE KEY/);
    }
    await stores.closeAll();
  });

  it("emptyAuth FALSE (tpm2_encodeobject 5.4's default) says so, and keyAuth: '' takes the key", async () => {
    const pub = path.join(scratch, 'noflag.pub');
    const priv = path.join(scratch, 'noflag.priv');
    await tools('tpm2_create', [
      ...['-C', PERSISTENT, '-G', 'ecc256:null', '-u', pub, '-r', priv],
      ...['-a', 'sign|decrypt|fixedtpm|fixedparent|sensitivedataorigin|userwithauth|noda'],
    ]);
    const pem = await encode('noflag', pub, priv, false);
    const ks = await openStore();
    const err = await expectCode(() => ks.importKey('noflag', pem), 'E_INVALID_ARGUMENT');
    expect(err.message).toMatch(/emptyAuth is FALSE/);
    expect(err.hint).toMatch(/tpm2_encodeobject/);
    const k = await ks.importKey('noflag', pem, { keyAuth: '' });
    expect(nodeVerifies(k.publicKey, 'noflag', await k.sign('noflag'))).toBe(true);
    await stores.closeAll();
  });

  it('ECDH with a sign-only imported key says so, without asking the TPM', async () => {
    const pem = await tpmCreated(
      'signonly',
      'sign|fixedtpm|fixedparent|sensitivedataorigin|userwithauth|noda',
    );
    const ks = await openStore();
    const k = await ks.importKey('signonly', pem);
    expect(nodeVerifies(k.publicKey, 'so', await k.sign('so'))).toBe(true);
    const peer = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const err = await expectCode(() => k.ecdh(peer.publicKey), 'E_INVALID_ARGUMENT');
    expect(err.message).toMatch(/sign-only/);
    expect(err.tpmRc).toBeUndefined();
    await stores.closeAll();
    // A key with decrypt does ECDH, as before.
    const ks2 = await openStore();
    const both = await ks2.getKey('bound');
    expect(
      (await both.ecdh(peer.publicKey)).equals(
        diffieHellman({ privateKey: peer.privateKey, publicKey: both.publicKey }),
      ),
    ).toBe(true);
    await stores.closeAll();
  });
});

describe("each TPM signature is bound to the key's Name by the session HMAC", () => {
  it('when our handle comes to name another client object, the TPM refuses to sign instead of lying', async () => {
    const ks = await openStore();
    const k = await ks.createKey('victim');
    expect(nodeVerifies(k.publicKey, 'first', await k.sign('first'))).toBe(true);
    // Another client, no resource manager: flush our key's handle, and load its own signing
    // key, which the TPM gives the same handle number.
    const listed = await tpm2(swtpm.tcti, 'tpm2_getcap', ['handles-transient']);
    const handles = listed.stdout.match(/0x8[0-9a-fA-F]{7}/g) ?? [];
    expect(handles.length, listed.stdout).toBeGreaterThanOrEqual(2);
    const ours = handles[handles.length - 1]!;
    expect((await tpm2(swtpm.tcti, 'tpm2_flushcontext', [ours])).code).toBe(0);
    const other = await tpm2(swtpm.tcti, 'tpm2_createprimary', [
      '-Q',
      ...['-C', 'o', '-G', 'ecc256:ecdsa-sha256', '-c', path.join(scratch, 'other.ctx')],
      ...['-a', 'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|sign'],
    ]);
    expect(other.code, other.stderr).toBe(0);
    const after = await tpm2(swtpm.tcti, 'tpm2_getcap', ['handles-transient']);
    expect(after.stdout).toContain(ours);

    // The command's HMAC binds our key's Name; the object at that handle has another, so the
    // TPM's HMAC check fails (and counts towards lockout: that object lacks noDA).
    const err = await expectCode(() => k.sign('second'), 'E_TPM_AUTH');
    expect(err.message).toMatch(/refused the key's authorization/);
    expect(err.hint).toMatch(/tpmrm0/);
    expect(err.hint).toMatch(/tabrmd/);
    const pre = await expectCode(
      () => k.sign(Buffer.alloc(32, 1), { prehashed: true }),
      'E_TPM_AUTH',
      'prehashed',
    );
    expect(pre.message).toMatch(/refused/);
    await stores.closeAll();
    await flushAll(); // the other client's key
  });
});
