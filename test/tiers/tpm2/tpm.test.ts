/**
 * The TPM 2.0 tier against a real swtpm started here (never skipped): detection, key files,
 * signatures checked by node:crypto and the openssl CLI, ECDH (including Project Wycheproof's
 * peer keys), sealed secrets, interop with tpm2-openssl, a TPM with ~3 object slots, restarts of
 * the process and of the TPM, and worker_threads sharing the TPM.
 */
import {
  createECDH,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  randomBytes,
} from 'node:crypto';
import { spawn } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import { performance } from 'node:perf_hooks';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keystore, type DeviceKey } from '../../../src/index';
import { aesGcmSeal } from '../../../src/crypto/aead';
import { marshalSealTemplate } from '../../../src/crypto/tpm2-structures';
import { loadNative } from '../../../src/addon/load';
import { secretAad } from '../../../src/core/aad';
import { Swtpm } from '../../helpers/swtpm';
import { ecdhAccepted, ecdhVectors } from '../../helpers/wycheproof';
import { sleep } from '../../helpers/proc';
import {
  FIXTURES,
  HALF_N,
  Stores,
  TPM2_PROVIDER,
  buildKeyFile,
  canonical,
  caught,
  derToPem,
  derToRS,
  distSnapshot,
  expectCode,
  handleBody,
  makeTempDir,
  nodeVerifies,
  openssl,
  p1363ToRS,
  pemOfPoint,
  pemToDer,
  readEccPublic,
  removeDir,
  rewriteRecord,
  rsToDer,
  run,
  runNodeScript,
  runOk,
  sha256,
  sha256Hex,
  splitKeyFile,
  tlv,
  withTimeout,
  tpm2Genpkey,
} from '../../helpers/tpm';

const OWNER = 0x40000001;
/** sign | decrypt | fixedTPM | fixedParent | sensitiveDataOrigin | userWithAuth | noDA */
const OUR_ATTRIBUTES = 0x00060472;

let swtpm: Swtpm;
let dir: string;
let scratch: string;
const stores = new Stores();
let ks: Keystore;
let key: DeviceKey;
let dist: { index: string; cleanup: () => Promise<void> };

function openStore(extra: { dir?: string; backend?: 'tpm2' | 'auto' } = {}): Promise<Keystore> {
  return stores.add({ dir, tcti: swtpm.tcti, ...extra });
}

beforeAll(async () => {
  dist = await distSnapshot();
  swtpm = await Swtpm.start();
  dir = await makeTempDir('store');
  scratch = await makeTempDir('scratch');
  ks = await openStore();
  key = await ks.createKey('main');
});

afterAll(async () => {
  await stores.closeAll();
  await swtpm?.stop();
  await removeDir(dir);
  await removeDir(scratch);
  await dist?.cleanup();
});

/** Rewrite a key record the way 0.1.0 wrote it: version 1, the PEM named in the tier's data. */
async function asVersion1Record(
  storeDir: string,
  alias: string,
): Promise<{ json: string; pem: string }> {
  const json = path.join(storeDir, 'keys', `${alias}.json`);
  const pem = await fsp.readFile(path.join(storeDir, 'keys', `${alias}.tss2.pem`), 'utf8');
  await rewriteRecord(json, (body) => {
    body.version = 1;
    body.backendData = { keyFile: `${alias}.tss2.pem`, sha256: sha256Hex(pem) };
    delete body.sideFile;
    delete body.storeId;
  });
  return { json, pem };
}

// ---------------------------------------------------------------------------------------------

describe('detection and key files', () => {
  it('auto detection picks tpm2 and describe() is honest about it', async () => {
    expect(ks.tier).toBe('tpm2');
    const d = await ks.describe();
    expect(d.tier).toBe('tpm2');
    expect(d.hardwareBacked).toBe(true);
    expect(d.extractable).toBe(false);
    expect(d.extractableBy).toBe('nobody');
    expect(d.warnings.join('\n')).not.toMatch(/not hardware-backed/);
    // What protects the keys is in the library's own output, not only in docs/tpm.md.
    const access = d.warnings.find((w) =>
      w.startsWith('TPM keys made without a PIN have an empty authorization'),
    );
    expect(access, d.warnings.join('\n')).toMatch(/read the key files .* open the TPM/);
    expect(access).toMatch(/root, members of the tss group/);
    expect(access).toMatch(/sign and run ECDH/);
    const tpm = d.tiers.find((t) => t.tier === 'tpm2')!;
    expect(tpm).toMatchObject({ status: 'available', chosen: true, hardwareBacked: true });
    expect(tpm.reason).toContain(swtpm.tcti);
    expect(d.tiers.find((t) => t.tier === 'encrypted-file')!.status).toBe('not tried');
    expect(key.tier).toBe('tpm2');
    expect(key.hardwareBacked).toBe(true);
    expect(key.extractable).toBe(false);
    expect(key.extractableBy).toBe('nobody');

    const forced = await openStore({ backend: 'tpm2' });
    expect(forced.tier).toBe('tpm2');
    expect((await forced.describe()).tiers.find((t) => t.tier === 'tpm2')!.chosen).toBe(true);
    await stores.close(forced);
  });

  it('init creates a TPM identity; key files are 0600 TSS2 PRIVATE KEY PEM with our template', async () => {
    const idDir = await makeTempDir('init');
    try {
      const s = await openStore({ dir: idDir });
      const identity = await s.init({ name: 'tpm-host' });
      expect(identity.tier).toBe('tpm2');
      const idKey = await s.identityKey();
      expect(idKey.exportPublicKey('pem')).toBe(identity.toJSON().publicKey);
      const sig = await idKey.sign('identity check');
      expect(nodeVerifies(identity.publicKey, 'identity check', sig)).toBe(true);
      await stores.close(s);
    } finally {
      await removeDir(idDir);
    }

    const json = path.join(dir, 'keys', 'main.json');
    const pemFile = path.join(dir, 'keys', 'main.tss2.pem');
    for (const f of [json, pemFile]) expect((await fsp.stat(f)).mode & 0o777, f).toBe(0o600);
    const pem = await fsp.readFile(pemFile, 'utf8');
    expect(pem.startsWith('-----BEGIN TSS2 PRIVATE KEY-----\n')).toBe(true);
    expect(pem.endsWith('-----END TSS2 PRIVATE KEY-----\n')).toBe(true);
    const file = splitKeyFile(pemToDer(pem));
    expect(file.oid.toString('hex')).toBe('6781050a0103'); // 2.23.133.10.1.3 loadableKey
    // Only [0] emptyAuth TRUE: tpm2-openssl 1.1.1 refuses the other optional fields.
    expect(file.tagged.map((t) => t.raw.toString('hex'))).toEqual(['a0030101ff']);
    expect(file.parent).toBe(OWNER);
    const pub = readEccPublic(file.pub);
    expect(pub.type).toBe(0x0023); // ECC
    expect(pub.nameAlg).toBe(0x000b); // SHA-256
    expect(pub.curve).toBe(0x0003); // NIST P-256
    expect(pub.attributes).toBe(OUR_ATTRIBUTES);
    expect(pub.point.equals(key.exportPublicKey('raw'))).toBe(true);
    expect(file.priv.readUInt16BE(0)).toBe(file.priv.length - 2);

    const record = JSON.parse(await fsp.readFile(json, 'utf8'));
    expect(record.tier).toBe('tpm2');
    expect(record.version).toBe(3);
    const store = JSON.parse(await fsp.readFile(path.join(dir, 'store.json'), 'utf8'));
    expect(record.storeId).toBe(store.storeId);
    expect(record.backendData).toEqual({});
    expect(record.sideFile).toEqual({ suffix: '.tss2.pem', sha256: sha256Hex(pem) });
    expect(Buffer.from(record.publicKey, 'base64url').equals(pub.point)).toBe(true);
  });

  it("reads 0.1.0's version 1 records, which named the PEM file in the tier's data", async () => {
    const ks = await openStore();
    const key = await ks.createKey('legacy-v1');
    const { json, pem } = await asVersion1Record(dir, 'legacy-v1');
    const fresh = await openStore();
    const loaded = await fresh.getKey('legacy-v1');
    const sig = await loaded.sign('v1');
    expect(nodeVerifies(key.exportPublicKey('pem'), 'v1', sig)).toBe(true);
    // A version 1 record whose checksum holds but whose PEM changed is still caught.
    await rewriteRecord(json, (body) => {
      body.backendData.sha256 = sha256Hex(pem + ' ');
    });
    const third = await openStore();
    await expectCode(() => third.getKey('legacy-v1'), 'E_CORRUPT');
    await fresh.deleteKey('legacy-v1');
    await expect(fsp.stat(path.join(dir, 'keys', 'legacy-v1.tss2.pem'))).rejects.toThrow();
  });
});

describe('signing', () => {
  it('DER and P1363, over a message and a digest, verify under node:crypto and the openssl CLI', async () => {
    const pubPem = path.join(scratch, 'main.pub.pem');
    await fsp.writeFile(pubPem, key.exportPublicKey('pem'));
    const cases = [
      { name: 'der-msg', opts: {}, format: 'der' as const, prehashed: false },
      { name: 'p1363-msg', opts: { format: 'p1363' as const }, format: 'p1363' as const },
      { name: 'der-hash', opts: { prehashed: true }, format: 'der' as const, prehashed: true },
      {
        name: 'p1363-hash',
        opts: { format: 'p1363' as const, prehashed: true },
        format: 'p1363' as const,
        prehashed: true,
      },
    ];
    for (const c of cases) {
      const msg = randomBytes(200);
      const sig = await key.sign(c.prehashed ? sha256(msg) : msg, c.opts);
      const { r, s } = c.format === 'der' ? derToRS(sig) : p1363ToRS(sig);
      if (c.format === 'p1363') expect(sig.length).toBe(64);
      expect(nodeVerifies(key.publicKey, msg, sig, c.format), c.name).toBe(true);
      expect(nodeVerifies(key.publicKey, Buffer.concat([msg, Buffer.of(0)]), sig, c.format)).toBe(
        false,
      );
      const msgFile = path.join(scratch, `${c.name}.msg`);
      const sigFile = path.join(scratch, `${c.name}.sig`);
      await fsp.writeFile(msgFile, msg);
      await fsp.writeFile(sigFile, rsToDer(r, s));
      const out = await runOk(
        'openssl',
        ['dgst', '-sha256', '-verify', pubPem, '-signature', sigFile, msgFile],
        {},
      );
      expect(out, c.name).toContain('Verified OK');
      // The same check fails for a different message, so the CLI really looked.
      await fsp.writeFile(msgFile, Buffer.concat([msg, Buffer.of(1)]));
      const bad = await run(
        'openssl',
        ['dgst', '-sha256', '-verify', pubPem, '-signature', sigFile, msgFile],
        {},
      );
      expect(bad.code).not.toBe(0);
    }
  });

  it('100 signatures in a row are all low-S and all verify', async () => {
    let highSeen = 0;
    for (let i = 0; i < 100; i++) {
      const msg = `low-s ${i}`;
      const der = await key.sign(msg);
      const { s } = derToRS(der);
      expect(s > 0n && s <= HALF_N, `signature ${i}`).toBe(true);
      expect(nodeVerifies(key.publicKey, msg, der)).toBe(true);
      const p = await key.sign(msg, { format: 'p1363' });
      expect(p1363ToRS(p).s <= HALF_N).toBe(true);
      if (p1363ToRS(p).s > HALF_N) highSeen++;
    }
    expect(highSeen).toBe(0);
  });

  it('refuses a prehashed input that is not 32 bytes, without calling the TPM', async () => {
    await expectCode(() => key.sign(Buffer.alloc(31), { prehashed: true }), 'E_INVALID_ARGUMENT');
    await expectCode(() => key.sign(Buffer.alloc(33), { prehashed: true }), 'E_INVALID_ARGUMENT');
  });
});

describe('ECDH', () => {
  it('equals node:crypto diffieHellman with fresh peers, whatever the peer key format', async () => {
    for (let i = 0; i < 8; i++) {
      const peer = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const expected = diffieHellman({ privateKey: peer.privateKey, publicKey: key.publicKey });
      expect(expected.length).toBe(32);
      const inputs = [
        peer.publicKey,
        peer.publicKey.export({ type: 'spki', format: 'der' }),
        peer.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
        peer.publicKey.export({ format: 'jwk' }),
      ];
      for (const input of inputs) {
        const z = await key.ecdh(input);
        expect(z.toString('hex')).toBe(expected.toString('hex'));
      }
    }
  });
});

describe('sealed secrets', () => {
  it('set, get, list and delete, for small and 64 KiB values', async () => {
    const small = Buffer.from('capability-token-123');
    const big = randomBytes(64 * 1024);
    await ks.secrets.set('small', small);
    await ks.secrets.set('big', big);
    await ks.secrets.set('text', 'hello ✓');
    expect((await ks.secrets.list()).sort()).toEqual(['big', 'small', 'text']);
    expect((await ks.secrets.get('small')).equals(small)).toBe(true);
    expect((await ks.secrets.get('big')).equals(big)).toBe(true);
    expect((await ks.secrets.get('text')).toString('utf8')).toBe('hello ✓');

    // The value is not in the file; the TPM-sealed key is what opens it.
    const rec = await fsp.readFile(path.join(dir, 'secrets', 'small.json'));
    expect(rec.includes(small)).toBe(false);
    expect(rec.includes(Buffer.from(small.toString('base64')))).toBe(false);
    expect((await fsp.stat(path.join(dir, 'secrets', 'big.json'))).mode & 0o777).toBe(0o600);

    // Overwrite, then a second Keystore (same TPM) reads it too.
    await ks.secrets.set('small', 'v2');
    const other = await openStore();
    expect((await other.secrets.get('small')).toString()).toBe('v2');
    expect((await other.secrets.get('big')).equals(big)).toBe(true);
    await stores.close(other);

    await expectCode(
      () => ks.secrets.set('huge', Buffer.alloc(64 * 1024 + 1)),
      'E_INVALID_ARGUMENT',
    );
    for (const name of ['small', 'big', 'text']) await ks.secrets.delete(name);
    expect(await ks.secrets.list()).toEqual([]);
    await expectCode(() => ks.secrets.get('small'), 'E_NOT_FOUND');
    await expectCode(() => ks.secrets.delete('small'), 'E_NOT_FOUND');
  });
});

/**
 * What 0.1.0 did to seal a secret on this tier, and what anyone who can open the TPM (root, the
 * tss group) can do without any key of the store: a TPM sealed-data object under the H-2 SRK
 * holding an AES key of their choice, and the value AES-GCM under it with the header as AAD.
 */
async function sealThe010Way(file: string, name: string, value: string): Promise<void> {
  const native = loadNative();
  if (!native.ok || !native.addon.TpmConnection) throw new Error('no TPM addon');
  const conn = new native.addon.TpmConnection(swtpm.tcti);
  conn.pinSrk(await conn.srkName());
  try {
    const dek = randomBytes(32);
    const blobs = await conn.createKey(OWNER, marshalSealTemplate(), dek);
    const header = { name, tier: 'tpm2' as const, createdAt: new Date().toISOString() };
    const box = aesGcmSeal(dek, Buffer.from(value), secretAad(header));
    const body = {
      format: 'device-keystore/secret',
      version: 1,
      ...header,
      backendData: {
        parent: OWNER,
        publicBlob: blobs.publicBlob.toString('base64url'),
        privateBlob: blobs.privateBlob.toString('base64url'),
        alg: 'A256GCM',
        iv: box.iv.toString('base64url'),
        ciphertext: box.ciphertext.toString('base64url'),
        tag: box.tag.toString('base64url'),
      },
    };
    await fsp.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    await fsp.writeFile(file, JSON.stringify({ ...body, checksum: sha256Hex(canonical(body)) }), {
      mode: 0o600,
    });
  } finally {
    await conn.close();
  }
}

describe("sealed secrets are the store's own", () => {
  it("a secret forged with the TPM but without the store's sealing key is refused", async () => {
    await ks.secrets.set('genuine', 'sealed by the store');
    const file = path.join(dir, 'secrets', 'forged.json');
    // The 0.1.0 way: a TPM sealed object with the forger's key. 0.1.0 unsealed it.
    await sealThe010Way(file, 'forged', 'attacker value');
    const fresh = await openStore();
    const err = await expectCode(() => fresh.secrets.get('forged'), 'E_CORRUPT');
    expect(err.message).toMatch(/0\.1\.0 format, which this store no longer accepts/);
    // The current format with everything public filled in right, under any key but the one
    // derived through the sealing key: authentication fails.
    const genuine = JSON.parse(
      await fsp.readFile(path.join(dir, 'secrets', 'genuine.json'), 'utf8'),
    );
    const header = {
      name: 'forged',
      tier: 'tpm2' as const,
      createdAt: genuine.createdAt,
      storeId: genuine.storeId,
    };
    const aad = secretAad(header, {
      scheme: genuine.backendData.scheme,
      sealingKeyId: genuine.backendData.sealingKeyId,
    });
    const box = aesGcmSeal(randomBytes(32), Buffer.from('attacker value'), aad);
    await rewriteRecord(file, (body) => {
      Object.assign(body, { version: 2, ...header });
      body.backendData = {
        ...genuine.backendData,
        iv: box.iv.toString('base64url'),
        ciphertext: box.ciphertext.toString('base64url'),
        tag: box.tag.toString('base64url'),
      };
    });
    const err2 = await expectCode(() => fresh.secrets.get('forged'), 'E_CORRUPT');
    expect(err2.message).toMatch(/authentication failed/);
    expect((await fresh.secrets.get('genuine')).toString()).toBe('sealed by the store');
    await ks.secrets.delete('forged');
    await ks.secrets.delete('genuine');
  });

  it('a key record and a secret copied from another store on the same TPM are refused, naming both store ids', async () => {
    const otherDir = await makeTempDir('other-store');
    try {
      const other = await openStore({ dir: otherDir });
      await other.createKey('theirs');
      await other.secrets.set('theirs', 'their value');
      await ks.secrets.set('mine', 'my value');
      for (const f of ['keys/theirs.json', 'keys/theirs.tss2.pem', 'secrets/theirs.json']) {
        await fsp.copyFile(path.join(otherDir, f), path.join(dir, f));
      }
      const fresh = await openStore();
      const ids = /belongs to another store \(store id [\w-]{22}; this store is [\w-]{22}\)/;
      expect((await expectCode(() => fresh.getKey('theirs'), 'E_CORRUPT')).message).toMatch(ids);
      expect((await expectCode(() => fresh.secrets.get('theirs'), 'E_CORRUPT')).message).toMatch(
        ids,
      );
      // A copy within the store, under another name, checksum and name field made consistent.
      const copy = path.join(dir, 'secrets', 'copy.json');
      await fsp.copyFile(path.join(dir, 'secrets', 'mine.json'), copy);
      expect((await expectCode(() => fresh.secrets.get('copy'), 'E_CORRUPT')).message).toMatch(
        /holds secret "mine"/,
      );
      await rewriteRecord(copy, (body) => (body.name = 'copy'));
      expect((await expectCode(() => fresh.secrets.get('copy'), 'E_CORRUPT')).message).toMatch(
        /authentication failed/,
      );
      expect((await fresh.secrets.get('mine')).toString()).toBe('my value');
      await ks.deleteKey('theirs');
      for (const n of ['theirs', 'copy', 'mine']) await ks.secrets.delete(n);
    } finally {
      await removeDir(otherDir);
    }
  });

  it('a 0.1.0 store opens; its first write gives it a store id and re-seals its secrets', async () => {
    const oldDir = await makeTempDir('store-0.1.0');
    try {
      const made = await openStore({ dir: oldDir });
      const k = await made.createKey('old-key');
      await stores.close(made);
      // Make it what 0.1.0 wrote: no store.json, no sealing keys, version 1 key records.
      await asVersion1Record(oldDir, 'old-key');
      await fsp.rm(path.join(oldDir, 'store.json'));
      await fsp.rm(path.join(oldDir, 'sealing'), { recursive: true, force: true });
      await sealThe010Way(path.join(oldDir, 'secrets', 'old.json'), 'old', 'from 0.1.0');

      const warnings: string[] = [];
      const s = await stores.add({
        dir: oldDir,
        tcti: swtpm.tcti,
        onWarning: (m: string) => warnings.push(m),
      });
      expect(
        nodeVerifies(k.exportPublicKey('pem'), 'm', await (await s.getKey('old-key')).sign('m')),
      ).toBe(true);
      expect((await s.secrets.get('old')).toString()).toBe('from 0.1.0');
      expect(existsSync(path.join(oldDir, 'store.json'))).toBe(false); // reading writes nothing
      await s.secrets.set('new', 'after the migration');
      expect(warnings.join('\n')).toMatch(/re-sealed 1 secret\(s\) from the 0\.1\.0 format/);
      const storeId = JSON.parse(
        await fsp.readFile(path.join(oldDir, 'store.json'), 'utf8'),
      ).storeId;
      const migrated = JSON.parse(
        await fsp.readFile(path.join(oldDir, 'secrets', 'old.json'), 'utf8'),
      );
      expect(migrated.version).toBe(2);
      expect(migrated.storeId).toBe(storeId);
      const again = await openStore({ dir: oldDir });
      expect((await again.secrets.get('old')).toString()).toBe('from 0.1.0');
      expect((await again.secrets.get('new')).toString()).toBe('after the migration');
      expect(
        nodeVerifies(
          k.exportPublicKey('pem'),
          'n',
          await (await again.getKey('old-key')).sign('n'),
        ),
      ).toBe(true);
      // A 0.1.0 secret that turns up after the migration was not the store's: refused.
      await sealThe010Way(path.join(oldDir, 'secrets', 'late.json'), 'late', 'planted');
      await expectCode(() => again.secrets.get('late'), 'E_CORRUPT');
    } finally {
      await removeDir(oldDir);
    }
  });
});

describe('deleting a key', () => {
  it('removes keys/<alias>.json and keys/<alias>.tss2.pem', async () => {
    const doomed = await ks.createKey('doomed');
    await doomed.sign('last words');
    const files = ['doomed.json', 'doomed.tss2.pem'].map((f) => path.join(dir, 'keys', f));
    for (const f of files) await fsp.access(f);
    await ks.deleteKey('doomed');
    for (const f of files) expect(existsSync(f), f).toBe(false);
    await expectCode(() => ks.getKey('doomed'), 'E_NOT_FOUND');
    expect((await ks.listKeys()).map((k) => k.alias)).not.toContain('doomed');
  });
});

// ---------------------------------------------------------------------------------------------

/** node:crypto ECDH between the vector's private key and a (possibly compressed) point. */
function nodeEcdh(privateHex: string, point: Buffer): Buffer {
  let d = Buffer.from(privateHex, 'hex');
  while (d.length > 32 && d[0] === 0) d = d.subarray(1);
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(Buffer.concat([Buffer.alloc(32 - d.length), d]));
  return ecdh.computeSecret(point);
}

/** The vector's public key as an encoded point (the SPKI file wraps it in a SubjectPublicKeyInfo). */
function pointOf(publicHex: string): Buffer {
  const bytes = Buffer.from(publicHex, 'hex');
  if (bytes[0] !== 0x30) return bytes;
  const jwk = createPublicKey({ key: bytes, format: 'der', type: 'spki' }).export({
    format: 'jwk',
  });
  return Buffer.concat([
    Buffer.of(4),
    Buffer.from(jwk.x!, 'base64url'),
    Buffer.from(jwk.y!, 'base64url'),
  ]);
}

/** A curve point with x-coordinate `x` (either one: ECDH only keeps x, and x(k·R) = x(k·(−R))). */
function lift(x: Buffer): Buffer {
  return Buffer.concat([Buffer.of(0x02), x]);
}

describe('Wycheproof ECDH peer keys through the TPM', () => {
  const FILES = ['ecdh_secp256r1_ecpoint_test.json', 'ecdh_secp256r1_test.json'];

  /*
   * The TPM's scalar d is unknown, and a vector's public point P is not d_v·G for the vector's
   * private key d_v (they belong to two different parties), so "TPM(P) == node(d_v, Q_tpm)" does
   * not hold. What does hold, with S = x(d_v·P) the vector's expected shared secret:
   *   node ECDH(d_v, lift(TPM(P)))  = x(d_v·d·P)  =  x(d·d_v·P) = TPM(lift(S)).
   * A wrong TPM(P) (wrong point, wrong curve, mishandled edge case) breaks the equation.
   */
  it('valid peers: node ECDH(d_v, TPM(P)) equals TPM(S) for every vector', async () => {
    // TPM(lift(S)) per (point, private key): the SPKI file repeats the ecpoint file's cases.
    const liftedS = new Map<string, Buffer>();
    let n = 0;
    for (const file of FILES) {
      const list = ecdhVectors(file).filter(ecdhAccepted);
      const results = await Promise.all(
        list.map(async (t) => {
          const id = pointOf(t.public).toString('hex') + t.private;
          const z = await key.ecdh(Buffer.from(t.public, 'hex'));
          let zs = liftedS.get(id);
          if (!zs) {
            zs = await key.ecdh(lift(Buffer.from(t.shared, 'hex')));
            liftedS.set(id, zs);
          }
          return { t, z, zs };
        }),
      );
      for (const { t, z, zs } of results) {
        // Sanity of the vector itself, on node:crypto alone.
        expect(nodeEcdh(t.private, pointOf(t.public)).toString('hex')).toBe(t.shared);
        expect(nodeEcdh(t.private, lift(z)).toString('hex'), `${file} tcId ${t.tcId}`).toBe(
          zs.toString('hex'),
        );
        n++;
      }
    }
    expect(n).toBe(330 + 1 + 330 + 1);
    // 1,300+ TPM calls through encrypted sessions: a budget for a busy machine, not a timing test.
  }, 300_000);

  it('invalid peers are refused with E_INVALID_ARGUMENT before any TPM call (TPM killed)', async () => {
    await swtpm.kill();
    try {
      // The control: with the TPM gone, anything that reaches it fails with E_TPM_UNAVAILABLE.
      const valid = ecdhVectors(FILES[0]!).find((t) => t.result === 'valid')!;
      await expectCode(() => key.ecdh(Buffer.from(valid.public, 'hex')), 'E_TPM_UNAVAILABLE');
      let refused = 0;
      for (const file of FILES) {
        for (const t of ecdhVectors(file).filter((v) => !ecdhAccepted(v))) {
          await expectCode(
            () => key.ecdh(Buffer.from(t.public, 'hex')),
            'E_INVALID_ARGUMENT',
            `${file} tcId ${t.tcId} (${t.flags.join(',')})`,
          );
          refused++;
        }
      }
      expect(refused).toBe(24 + 52 + 229); // invalid, plus the refused "acceptable" encodings
      await expectCode(() => key.ecdh(Buffer.from(valid.public, 'hex')), 'E_TPM_UNAVAILABLE');
    } finally {
      await swtpm.restart();
    }
    const peer = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect((await key.ecdh(peer.publicKey)).toString('hex')).toBe(
      diffieHellman({ privateKey: peer.privateKey, publicKey: key.publicKey }).toString('hex'),
    );
  });
});

// ---------------------------------------------------------------------------------------------

describe('a TPM with ~3 object slots (swtpm, no resource manager)', () => {
  let keys: DeviceKey[];

  beforeAll(async () => {
    keys = [];
    for (let i = 0; i < 8; i++) keys.push(await ks.createKey(`slot-${i}`));
  });

  it('8 keys in round-robin, then random order, sign and verify', async () => {
    let count = 0;
    for (let round = 0; round < 12; round++) {
      for (const k of keys) {
        const msg = `rr ${round} ${k.alias}`;
        expect(nodeVerifies(k.publicKey, msg, await k.sign(msg)), msg).toBe(true);
        count++;
      }
    }
    for (let i = 0; i < 200; i++) {
      const k = keys[randomBytes(1)[0]! % keys.length]!;
      const msg = `random ${i} ${k.alias}`;
      expect(nodeVerifies(k.publicKey, msg, await k.sign(msg)), msg).toBe(true);
      count++;
    }
    expect(count).toBe(296);
  });

  it('200 signs in flight across the 8 keys, with ECDH and unseals mixed in, all resolve', async () => {
    await ks.secrets.set('slots-secret', 'sealed under the SRK');
    const peer = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jobs: Promise<void>[] = [];
    for (let i = 0; i < 200; i++) {
      const k = keys[i % keys.length]!;
      const msg = `flight ${i}`;
      jobs.push(
        k.sign(msg, { format: i % 2 ? 'der' : 'p1363' }).then((sig) => {
          expect(nodeVerifies(k.publicKey, msg, sig, i % 2 ? 'der' : 'p1363'), msg).toBe(true);
        }),
      );
      if (i % 25 === 0) {
        jobs.push(
          k.ecdh(peer.publicKey).then((z) => {
            const want = diffieHellman({ privateKey: peer.privateKey, publicKey: k.publicKey });
            expect(z.equals(want)).toBe(true);
          }),
        );
        jobs.push(
          ks.secrets.get('slots-secret').then((v) => {
            expect(v.toString()).toBe('sealed under the SRK');
          }),
        );
      }
    }
    const settled = await withTimeout(Promise.allSettled(jobs), 60_000, 'in-flight jobs');
    const failures = settled.filter((r) => r.status === 'rejected');
    expect(failures.map((f) => String((f as PromiseRejectedResult).reason))).toEqual([]);
    expect(settled.length).toBe(216);
    await ks.secrets.delete('slots-secret');
  });

  it('closing every Keystore leaves no object of ours loaded in the TPM', async () => {
    await stores.closeAll();
    const out = await runOk('tpm2_getcap', ['handles-transient'], {
      TPM2TOOLS_TCTI: swtpm.tcti,
      TSS2_LOG: 'all+none',
    });
    expect(out.trim()).toBe('');
    ks = await openStore();
    key = await ks.getKey('main');
  });
});

// ---------------------------------------------------------------------------------------------

describe('interop with tpm2-openssl', () => {
  let mainPoint: Buffer;

  beforeAll(async () => {
    mainPoint = key.exportPublicKey('raw');
    // tpm2-openssl needs the TPM's object slots, which our process holds until every Keystore
    // on this TPM is closed.
    await stores.closeAll();
  });

  afterAll(async () => {
    ks = await openStore();
    key = await ks.getKey('main');
  });

  it('our key file signs under `openssl pkeyutl -provider tpm2`; node:crypto verifies', async () => {
    const msg = randomBytes(100);
    const digest = path.join(scratch, 'interop.digest');
    const sig = path.join(scratch, 'interop.sig');
    await fsp.writeFile(digest, sha256(msg));
    const keyFile = path.join(dir, 'keys', 'main.tss2.pem');
    const r = await openssl(swtpm.tcti, [
      'pkeyutl',
      ...TPM2_PROVIDER,
      '-sign',
      '-inkey',
      keyFile,
      '-in',
      digest,
      '-out',
      sig,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const der = await fsp.readFile(sig);
    derToRS(der);
    expect(nodeVerifies(pemOfPoint(mainPoint), msg, der)).toBe(true);

    const pub = await openssl(swtpm.tcti, ['pkey', ...TPM2_PROVIDER, '-in', keyFile, '-pubout']);
    expect(pub.code, pub.stderr).toBe(0);
    expect(pub.stdout).toBe(pemOfPoint(mainPoint));
  });

  it('a key from `openssl genpkey -provider tpm2` imports, signs, and keeps its public key', async () => {
    const pemFile = path.join(scratch, 'genpkey.pem');
    const pem = await tpm2Genpkey(swtpm.tcti, pemFile);
    const pub = await openssl(swtpm.tcti, ['pkey', ...TPM2_PROVIDER, '-in', pemFile, '-pubout']);
    expect(pub.code, pub.stderr).toBe(0);
    expect(readEccPublic(splitKeyFile(pemToDer(pem)).pub).attributes).toBe(0x00060072);

    const s = await openStore();
    try {
      // tpm2-openssl's keys lack noDA: importing them takes the caller's word on the password.
      const imported = await s.importKey('imported', pem, { keyAuth: '' });
      expect(imported.tier).toBe('tpm2');
      expect(imported.exportPublicKey('pem')).toBe(pub.stdout);
      const sig = await imported.sign('imported key message');
      expect(nodeVerifies(pub.stdout, 'imported key message', sig)).toBe(true);
      const p = await imported.sign(sha256('digest'), { prehashed: true, format: 'p1363' });
      expect(nodeVerifies(pub.stdout, 'digest', p, 'p1363')).toBe(true);
      const peer = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      expect(
        (await imported.ecdh(peer.publicKey)).equals(
          diffieHellman({ privateKey: peer.privateKey, publicKey: imported.publicKey }),
        ),
      ).toBe(true);
      // The stored copy is a plain five-field key file that tpm2-openssl still reads.
      const stored = path.join(dir, 'keys', 'imported.tss2.pem');
      expect((await fsp.stat(stored)).mode & 0o777).toBe(0o600);
      await stores.close(s);
      const again = await openssl(swtpm.tcti, ['pkey', ...TPM2_PROVIDER, '-in', stored, '-pubout']);
      expect(again.stdout).toBe(pub.stdout);
    } finally {
      await stores.closeAll();
    }
    // A new Keystore loads it from the store.
    const s2 = await openStore();
    const loaded = await s2.getKey('imported');
    expect(nodeVerifies(pub.stdout, 'x', await loaded.sign('x'))).toBe(true);
    await stores.closeAll();
  });

  it('ssh-tpm-agent style optional fields ([4] description, [5] rsaParent FALSE) parse and import', async () => {
    const real = splitKeyFile(
      pemToDer(await tpm2Genpkey(swtpm.tcti, path.join(scratch, 'ssh.pem'))),
    );
    const point = readEccPublic(real.pub).point;
    // Re-encode with what ssh-tpm-agent writes: [0] TRUE as 0xFF (Go's encoding),
    // [4] UTF8String description and [5] BOOLEAN FALSE.
    const emptyAuth = tlv(0xa0, tlv(0x01, Buffer.of(0xff)));
    const description = tlv(0xa4, tlv(0x0c, Buffer.from('ssh-tpm-agent key for ✓ tests', 'utf8')));
    const rsaParentFalse = tlv(0xa5, tlv(0x01, Buffer.of(0x00)));
    const variants = {
      'ssh-desc': [emptyAuth, description],
      'ssh-both': [emptyAuth, description, rsaParentFalse],
    };
    const s = await openStore();
    for (const [alias, tagged] of Object.entries(variants)) {
      const der = buildKeyFile({ ...real, tagged, parentBody: handleBody(real.parent) });
      const k = await s.importKey(alias, derToPem(der), { keyAuth: '' });
      expect(k.exportPublicKey('raw').equals(point), alias).toBe(true);
      expect(nodeVerifies(k.publicKey, alias, await k.sign(alias)), alias).toBe(true);
    }
    // [5] rsaParent TRUE names the RSA SRK, which this library does not use: refused, no files.
    const rsa = buildKeyFile({
      ...real,
      tagged: [emptyAuth, description, tlv(0xa5, tlv(0x01, Buffer.of(0xff)))],
      parentBody: handleBody(real.parent),
    });
    await expectCode(
      () => s.importKey('ssh-rsa', derToPem(rsa), { keyAuth: '' }),
      'E_INVALID_ARGUMENT',
    );
    const left = await fsp.readdir(path.join(dir, 'keys'));
    expect(left.filter((f) => f.startsWith('ssh-rsa'))).toEqual([]);
    await stores.closeAll();
  });

  it('a key wrapped by another TPM is refused by this one and leaves nothing behind', async () => {
    // Written by tpm2-openssl on a swtpm that no longer exists (test/fixtures/tss2/README.md).
    const foreign = await fsp.readFile(
      path.join(__dirname, '..', '..', 'fixtures', 'tss2', 'tpm2-openssl-p256.pem'),
      'utf8',
    );
    const s = await openStore();
    const err = await caught(() => s.importKey('foreign', foreign, { keyAuth: '' }));
    expect(err.code, String(err)).toBe('E_TPM');
    expect(typeof err.tpmRc).toBe('number');
    const left = await fsp.readdir(path.join(dir, 'keys'));
    expect(left.filter((f) => f.startsWith('foreign'))).toEqual([]);
    await expectCode(() => s.getKey('foreign'), 'E_NOT_FOUND');
    await stores.closeAll();
  });
});

// ---------------------------------------------------------------------------------------------

describe('restarts', () => {
  const CHILD = path.join(FIXTURES, 'sign-child.cjs');

  it('another process loads the key and signs with the same public key, and exits cleanly', async () => {
    const pub = key.exportPublicKey('pem');
    // The child needs the TPM's object slots.
    await stores.closeAll();
    try {
      for (const mode of ['close', 'leave-open']) {
        const msg = `from a child process (${mode})`;
        const r = await runNodeScript(CHILD, [dir, swtpm.tcti, 'main', msg, mode], {
          DK_TEST_DIST: dist.index,
        });
        // A clean exit, not an abort while the addon's environment is torn down.
        expect({ code: r.code, signal: r.signal }, `${mode}: ${r.stderr}`).toEqual({
          code: 0,
          signal: null,
        });
        const out = r.json as { tier: string; publicKey: string; der: string; p1363: string };
        expect(out.tier).toBe('tpm2');
        expect(out.publicKey).toBe(pub);
        expect(nodeVerifies(pub, msg, Buffer.from(out.der, 'base64'))).toBe(true);
        expect(nodeVerifies(pub, msg, Buffer.from(out.p1363, 'base64'), 'p1363')).toBe(true);
      }
    } finally {
      ks = await openStore();
      key = await ks.getKey('main');
    }
  });

  it('after swtpm restarts, the same Keystore and a new one sign with the same key', async () => {
    const pub = key.exportPublicKey('pem');
    const slot = await ks.getKey('slot-3');
    expect(nodeVerifies(pub, 'before', await key.sign('before'))).toBe(true);
    await ks.secrets.set('across-restart', 'still here');

    await swtpm.restart();
    // The TPM lost every loaded object; the first call after the restart must still work.
    expect(nodeVerifies(pub, 'after', await key.sign('after'))).toBe(true);
    expect(nodeVerifies(slot.publicKey, 'slot', await slot.sign('slot'))).toBe(true);
    expect((await ks.secrets.get('across-restart')).toString()).toBe('still here');

    await swtpm.restart();
    // Restarted again while idle, then many calls at once.
    const sigs = await Promise.all(Array.from({ length: 20 }, (_, i) => key.sign(`burst ${i}`)));
    sigs.forEach((s, i) => expect(nodeVerifies(pub, `burst ${i}`, s)).toBe(true));

    const fresh = await openStore();
    const k = await fresh.getKey('main');
    expect(k.exportPublicKey('pem')).toBe(pub);
    expect(nodeVerifies(pub, 'fresh', await k.sign('fresh'))).toBe(true);
    await stores.close(fresh);
    await ks.secrets.delete('across-restart');
  });
});

// ---------------------------------------------------------------------------------------------

interface WorkerDone {
  type: 'done' | 'started' | 'error';
  id: number;
  publicKey?: string;
  sigs?: string[];
  code?: string;
  message?: string;
}

function startWorker(data: object): { worker: Worker; first: Promise<WorkerDone> } {
  const worker = new Worker(path.join(FIXTURES, 'sign-worker.cjs'), {
    workerData: { lib: dist.index, ...data },
  });
  const first = new Promise<WorkerDone>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`worker exited (${code}) before reporting`)));
  });
  return { worker, first };
}

describe('worker_threads', () => {
  it('4 workers, each with its own Keystore on the same store and TPM, sign 50 times at once', async () => {
    const pub = key.exportPublicKey('pem');
    const workers = [0, 1, 2, 3].map((id) =>
      startWorker({ dir, tcti: swtpm.tcti, alias: 'main', count: 50, id, mode: 'sign' }),
    );
    // The main thread signs meanwhile, too.
    const mine = Promise.all(Array.from({ length: 50 }, (_, i) => key.sign(`main ${i}`)));
    const results = await withTimeout(Promise.all(workers.map((w) => w.first)), 60_000, 'workers');
    for (const r of results) {
      expect(r.type, `${r.code} ${r.message}`).toBe('done');
      expect(r.publicKey).toBe(pub);
      expect(r.sigs).toHaveLength(50);
      r.sigs!.forEach((s, i) => {
        const sig = Buffer.from(s, 'base64');
        expect(nodeVerifies(pub, `worker ${r.id} message ${i}`, sig)).toBe(true);
        expect(derToRS(sig).s <= HALF_N).toBe(true);
      });
    }
    (await mine).forEach((s, i) => expect(nodeVerifies(pub, `main ${i}`, s)).toBe(true));
    await Promise.all(workers.map((w) => w.worker.terminate()));
  });

  it('terminating workers with signs pending does not crash; the main Keystore keeps working', async () => {
    const pub = key.exportPublicKey('pem');
    for (let round = 0; round < 3; round++) {
      const workers = [0, 1, 2, 3].map((id) =>
        startWorker({ dir, tcti: swtpm.tcti, alias: 'main', count: 300, id, mode: 'flood' }),
      );
      const started = await withTimeout(Promise.all(workers.map((w) => w.first)), 60_000, 'flood');
      expect(started.map((s) => s.type)).toEqual(['started', 'started', 'started', 'started']);
      // Main-thread signs are queued behind the workers' ones on the same TPM.
      const mine = Promise.all(Array.from({ length: 20 }, (_, i) => key.sign(`r${round} ${i}`)));
      await Promise.all(workers.map((w) => w.worker.terminate()));
      const sigs = await withTimeout(mine, 60_000, 'main signs');
      sigs.forEach((s, i) => expect(nodeVerifies(pub, `r${round} ${i}`, s)).toBe(true));
    }
    expect(nodeVerifies(pub, 'after', await key.sign('after'))).toBe(true);
  });

  it('terminating the workers that hold the only TPM connection in the process is safe too', async () => {
    const pub = key.exportPublicKey('pem');
    await stores.closeAll();
    const workers = [0, 1].map((id) =>
      startWorker({ dir, tcti: swtpm.tcti, alias: 'main', count: 300, id, mode: 'flood' }),
    );
    await withTimeout(Promise.all(workers.map((w) => w.first)), 60_000, 'flood');
    await Promise.all(workers.map((w) => w.worker.terminate()));
    ks = await openStore();
    key = await ks.getKey('main');
    expect(nodeVerifies(pub, 'main again', await key.sign('main again'))).toBe(true);
    // Nothing leaked into the TPM's object slots either: a child process can still use it.
    await stores.closeAll();
    const r = await runNodeScript(
      path.join(FIXTURES, 'sign-child.cjs'),
      [dir, swtpm.tcti, 'main', 'child after workers'],
      { DK_TEST_DIST: dist.index },
    );
    expect(r.code, r.stderr).toBe(0);
    ks = await openStore();
    key = await ks.getKey('main');
  });

  it('a worker that ends frees all it had queued, and its work not yet begun never runs', async () => {
    const native = loadNative() as unknown as {
      addon: {
        asyncStats(): { links: number; operations: number };
        TpmConnection: new (tcti: string) => {
          properties(): Promise<object>;
          close(): Promise<void>;
        };
      };
    };
    const stats = () => native.addon.asyncStats();
    const mine = new native.addon.TpmConnection(swtpm.tcti);
    await mine.properties();
    let t0 = performance.now();
    for (let i = 0; i < 20; i++) await mine.properties();
    const each = (performance.now() - t0) / 20;
    const before = stats();
    const workers = [0, 1].map((id) =>
      startWorker({ tcti: swtpm.tcti, count: 1500, id, mode: 'native-busy' }),
    );
    await withTimeout(Promise.all(workers.map((w) => w.first)), 60_000, 'busy workers');
    await sleep(200); // some calls finish meanwhile, for JS threads that never take them
    await Promise.all(workers.map((w) => w.worker.terminate()));
    // Thousands of their calls were still queued on the TPM's one worker thread, ahead of ours.
    // Run, they would keep it busy for seconds; dropped, ours goes through at once.
    t0 = performance.now();
    await withTimeout(mine.properties(), 60_000, 'properties after the workers');
    expect(performance.now() - t0).toBeLessThan(Math.max(1000, 200 * each));
    await mine.close();
    // And nothing of theirs is left: no operation, no link to a thread-safe function.
    let now = stats();
    for (
      let i = 0;
      i < 100 && (now.operations > before.operations || now.links > before.links);
      i++
    ) {
      await sleep(100);
      now = stats();
    }
    expect(now.operations).toBeLessThanOrEqual(before.operations);
    expect(now.links).toBeLessThanOrEqual(before.links);
  });

  it('close() of the last connection returns at once while the TPM does not answer', async () => {
    const native = loadNative() as unknown as {
      addon: {
        TpmConnection: new (tcti: string) => {
          properties(): Promise<object>;
          close(): Promise<void>;
        };
      };
    };
    await stores.closeAll();
    const conn = new native.addon.TpmConnection(swtpm.tcti);
    await conn.properties();
    swtpm.pause();
    // Whatever happens here, the TPM answers again in 3 s (from another process: if this thread
    // were blocked, it could not send the signal itself).
    const waker = spawn('sh', ['-c', `sleep 3; kill -CONT ${swtpm.pid}`], { stdio: 'ignore' });
    const woken = new Promise((r) => waker.once('exit', r));
    try {
      const pending = conn.properties();
      await sleep(200); // the command is on the wire, the worker thread waits for the answer
      const t0 = performance.now();
      const closed = conn.close();
      const blocked = performance.now() - t0;
      expect(blocked).toBeLessThan(500);
      await withTimeout(Promise.all([pending, closed]), 60_000, 'after the TPM came back');
    } finally {
      await woken;
      swtpm.resume();
    }
    ks = await openStore();
    key = await ks.getKey('main');
    expect(nodeVerifies(key.exportPublicKey('pem'), 'resumed', await key.sign('resumed'))).toBe(
      true,
    );
  });
});
