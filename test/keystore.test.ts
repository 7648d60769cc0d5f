/**
 * The public API against a real store in a temp dir: identity, keys, signing (checked by
 * node:crypto, WebCrypto and the openssl CLI), ECDH, public key exports, sealed secrets,
 * describe(), secrecy of what can be printed, and the CJS/ESM entry points of dist/.
 *
 * One main store (passphrase given as an option) is shared by the describe blocks below, in
 * order, so that Argon2id runs only a few times for the whole file.
 */
import {
  ECDH,
  KeyObject,
  createECDH,
  createHash,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  sign as cryptoSign,
  verify as cryptoVerify,
  webcrypto,
  type JsonWebKey,
} from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceKey, Keystore, KeystoreError, TIERS, verify } from '../src/index';
import {
  HALF_N,
  N,
  ROOT,
  caught,
  decryptKeyFile,
  derToRS,
  expectCode,
  makeTempDir,
  p1363ToRS,
  readTree,
  removeDir,
  rsToP1363,
  unexpectedLongRuns,
} from './helpers-api';

const PASS = 'opt-pass: Quokka-Fjord-7731-lanterns';
const ENV_PASS = 'env-pass: Marmot-Delta-2209-kettles';
const WRONG_PASS = 'wrong-pass: Heron-Basin-5150-ladders';
const WRONG_ENV_PASS = 'wrong-env: Otter-Cairn-4096-spindles';

const ENV_VARS = [
  'DEVICE_KEYSTORE_PASSPHRASE',
  'DEVICE_KEYSTORE_PASSPHRASE_FILE',
  'DEVICE_KEYSTORE_DIR',
] as const;
const savedEnv = new Map<string, string | undefined>();

const subtle = webcrypto.subtle;
const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const msg = Buffer.from('device-keystore API test message');
const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest();

/** Aliases and secret names that must be refused before they become file names. */
const BAD_NAMES: unknown[] = [
  '../x',
  '..',
  '.hidden',
  'a/b',
  'a\\b',
  'Upper',
  'ABC',
  '',
  ' ',
  'a b',
  'a..b',
  'a'.repeat(65),
  'é',
  'a\u0000b',
  undefined,
  null,
  42,
  {},
  ['a'],
];

let dir: string; // the main store
let work: string; // scratch files for openssl
let ks: Keystore;

beforeAll(async () => {
  for (const k of ENV_VARS) {
    savedEnv.set(k, process.env[k]);
    delete process.env[k];
  }
  dir = await makeTempDir('store');
  work = await makeTempDir('work');
  ks = await Keystore.open({ dir, passphrase: PASS });
});

afterAll(async () => {
  await ks?.close();
  await removeDir(dir);
  await removeDir(work);
  for (const [k, v] of savedEnv) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

describe('identity', () => {
  it('identity() is E_NOT_INITIALIZED before init; init validates its options', async () => {
    await expectCode(() => ks.identity(), 'E_NOT_INITIALIZED');
    await expectCode(() => ks.exportIdentity(), 'E_NOT_INITIALIZED');
    await expectCode(() => ks.init({ name: '' }), 'E_INVALID_ARGUMENT');
    await expectCode(() => ks.init({ name: 'bell\u0007' }), 'E_INVALID_ARGUMENT');
    await expectCode(() => ks.init({ name: 'x'.repeat(129) }), 'E_INVALID_ARGUMENT');
    await expectCode(() => ks.init({} as never), 'E_INVALID_ARGUMENT');
    await expectCode(() => ks.init({ name: 'n', force: 'yes' } as never), 'E_INVALID_ARGUMENT');
    expect((await ks.describe()).initialized).toBe(false);
  });

  it('init creates an identity: deviceId = base64url(sha256(SPKI DER)), encrypted-file tier', async () => {
    const id = await ks.init({ name: 'laptop-01' });
    expect(id.name).toBe('laptop-01');
    expect(id.tier).toBe('encrypted-file');
    expect(id.keyAlias).toMatch(/^identity-/);
    expect(new Date(id.createdAt).toISOString()).toBe(id.createdAt);

    const pub = createPublicKey(id.publicKey);
    expect(pub.asymmetricKeyType).toBe('ec');
    expect(pub.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    const spki = pub.export({ type: 'spki', format: 'der' });
    expect(id.deviceId).toBe(createHash('sha256').update(spki).digest('base64url'));
    expect(id.deviceId).toMatch(/^[A-Za-z0-9_-]{43}$/);

    expect(await ks.identity()).toEqual(id);
    const key = await ks.identityKey();
    expect(key.alias).toBe(id.keyAlias);
    expect(key.publicKey.equals(pub)).toBe(true);
    expect(key.exportPublicKey('pem')).toBe(id.publicKey);
    // The published key is the one that signs for the identity.
    expect(cryptoVerify('sha256', msg, pub, await key.sign(msg))).toBe(true);

    const file = path.join(dir, 'identity.json');
    expect((await fsp.stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await fsp.readFile(file, 'utf8'))).toMatchObject(id);
  });

  it('init again is E_EXISTS and leaves the identity as it was', async () => {
    const before = await ks.identity();
    const keysBefore = (await ks.listKeys()).map((k) => k.alias);
    await expectCode(() => ks.init({ name: 'other' }), 'E_EXISTS');
    await expectCode(() => ks.init({ name: 'other', force: false }), 'E_EXISTS');
    expect(await ks.identity()).toEqual(before);
    expect((await ks.listKeys()).map((k) => k.alias)).toEqual(keysBefore);
  });

  it('init({ force: true }) makes a new identity, removes the old identity key, keeps other keys', async () => {
    const old = await ks.identity();
    const survivor = await ks.createKey('survivor');
    const next = await ks.init({ name: 'laptop-02', force: true });
    expect(next.name).toBe('laptop-02');
    expect(next.keyAlias).not.toBe(old.keyAlias);
    expect(next.deviceId).not.toBe(old.deviceId);
    expect(next.publicKey).not.toBe(old.publicKey);
    expect(await ks.identity()).toEqual(next);
    expect((await ks.identityKey()).alias).toBe(next.keyAlias);

    const oldFile = path.join(dir, 'keys', `${old.keyAlias}.json`);
    expect((await caught(() => fsp.access(oldFile))).code).toBe('ENOENT');
    await expectCode(() => ks.getKey(old.keyAlias), 'E_NOT_FOUND');
    const aliases = (await ks.listKeys()).map((k) => k.alias);
    expect(aliases).toContain(next.keyAlias);
    expect(aliases).toContain('survivor');
    expect(aliases).not.toContain(old.keyAlias);
    expect(aliases.filter((a) => a.startsWith('identity-'))).toEqual([next.keyAlias]);
    expect((await ks.getKey('survivor')).publicKey.equals(survivor.publicKey)).toBe(true);
    await ks.deleteKey('survivor');
  });

  it('exportIdentity() holds exactly the public fields', async () => {
    const exported = await ks.exportIdentity();
    expect(Object.keys(exported).sort()).toEqual([
      'createdAt',
      'deviceId',
      'keyAlias',
      'name',
      'publicKey',
      'tier',
    ]);
    expect(exported).toEqual(await ks.identity());
    for (const v of Object.values(exported)) expect(typeof v).toBe('string');
    const text = JSON.stringify(exported);
    expect(JSON.parse(text)).toEqual(exported);
    expect(text).not.toMatch(/PRIVATE|passphrase|checksum|backendData|ciphertext/);
    expect(text).not.toContain(PASS);
  });
});

describe('keys', () => {
  it('createKey / getKey / listKeys / deleteKey', async () => {
    const alpha = await ks.createKey('alpha');
    expect(alpha).toBeInstanceOf(DeviceKey);
    expect(alpha.alias).toBe('alpha');
    expect(alpha.tier).toBe('encrypted-file');
    expect(alpha.hardwareBacked).toBe(false);
    // A boolean, as on a CryptoKey, so `if (key.extractable)` means what it says; who, by name.
    expect(alpha.extractable).toBe(true);
    expect(alpha.extractableBy).toBe('passphrase-holder');
    expect(new Date(alpha.createdAt).toISOString()).toBe(alpha.createdAt);

    const got = await ks.getKey('alpha');
    expect(got.publicKey.equals(alpha.publicKey)).toBe(true);
    expect(cryptoVerify('sha256', msg, alpha.publicKey, await got.sign(msg))).toBe(true);

    const beta = await ks.createKey('beta');
    expect(beta.publicKey.equals(alpha.publicKey)).toBe(false);
    const list = await ks.listKeys();
    const id = await ks.identity();
    expect(list.map((k) => k.alias)).toEqual(['alpha', 'beta', id.keyAlias].sort());
    // KeyInfo.publicKey is a KeyObject; its JSON form carries the SPKI PEM.
    const listed = list.find((k) => k.alias === 'alpha')!;
    expect(listed.publicKey).toBeInstanceOf(KeyObject);
    expect(listed.publicKey.equals(alpha.publicKey)).toBe(true);
    expect(JSON.parse(JSON.stringify(listed))).toEqual({
      alias: 'alpha',
      tier: 'encrypted-file',
      hardwareBacked: false,
      extractable: true,
      extractableBy: 'passphrase-holder',
      algorithm: 'ECDSA-P256',
      createdAt: alpha.createdAt,
      publicKey: alpha.exportPublicKey('pem'),
    });
    expect(alpha.info().publicKey.equals(listed.publicKey)).toBe(true);
    expect(alpha.info().toJSON()).toEqual(listed.toJSON());
    expect(alpha.toJSON()).toEqual(listed.toJSON());

    await ks.deleteKey('beta');
    expect((await ks.listKeys()).map((k) => k.alias)).toEqual(['alpha', id.keyAlias].sort());
    expect(existsSync(path.join(dir, 'keys', 'beta.json'))).toBe(false);
    await expectCode(() => ks.getKey('beta'), 'E_NOT_FOUND');
    await expectCode(() => ks.deleteKey('beta'), 'E_NOT_FOUND');
  });

  it('E_EXISTS for a taken alias (the old key is kept), E_NOT_FOUND for a missing one', async () => {
    const before = (await ks.getKey('alpha')).exportPublicKey('raw');
    await expectCode(() => ks.createKey('alpha'), 'E_EXISTS');
    expect((await ks.getKey('alpha')).exportPublicKey('raw')).toEqual(before);
    await expectCode(() => ks.getKey('no-such-key'), 'E_NOT_FOUND');
    await expectCode(() => ks.deleteKey('no-such-key'), 'E_NOT_FOUND');
  });

  it('invalid aliases are E_INVALID_ARGUMENT and touch no file', async () => {
    const treeBefore = (await readTree(dir)).map((f) => f.file).sort();
    for (const bad of BAD_NAMES) {
      const label = JSON.stringify(bad) ?? String(bad);
      await expectCode(() => ks.createKey(bad as string), 'E_INVALID_ARGUMENT', `create ${label}`);
      await expectCode(() => ks.getKey(bad as string), 'E_INVALID_ARGUMENT', `get ${label}`);
      await expectCode(() => ks.deleteKey(bad as string), 'E_INVALID_ARGUMENT', `delete ${label}`);
    }
    // Reserved for identity keys.
    await expectCode(() => ks.createKey('identity-x'), 'E_INVALID_ARGUMENT');
    await expectCode(() => ks.createKey('identity-0123456789ab'), 'E_INVALID_ARGUMENT');
    expect((await readTree(dir)).map((f) => f.file).sort()).toEqual(treeBefore);
    expect(existsSync(path.join(path.dirname(dir), 'x.json'))).toBe(false);

    // The limits themselves are allowed.
    const longest = 'a'.repeat(64);
    await ks.createKey(longest);
    await ks.createKey('0.k_e-y');
    expect((await ks.listKeys()).map((k) => k.alias)).toEqual(
      expect.arrayContaining([longest, '0.k_e-y']),
    );
    await ks.deleteKey(longest);
    await ks.deleteKey('0.k_e-y');
  });

  it('the identity key cannot be deleted with deleteKey', async () => {
    const id = await ks.identity();
    await expectCode(() => ks.deleteKey(id.keyAlias), 'E_INVALID_ARGUMENT');
    expect(existsSync(path.join(dir, 'keys', `${id.keyAlias}.json`))).toBe(true);
    expect(await ks.identity()).toEqual(id);
  });

  it('a second Keystore on the same dir gets working keys; without a passphrase it cannot', async () => {
    const ks2 = await Keystore.open({ dir, passphrase: PASS });
    try {
      const alpha = await ks.getKey('alpha');
      const alpha2 = await ks2.getKey('alpha');
      expect(alpha2).not.toBe(alpha);
      expect(alpha2.publicKey.equals(alpha.publicKey)).toBe(true);
      expect(cryptoVerify('sha256', msg, alpha.publicKey, await alpha2.sign(msg))).toBe(true);
      const shared = diffieHellman({
        privateKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
        publicKey: alpha.publicKey,
      });
      expect(shared).toHaveLength(32);

      // A key created by one instance is seen by the other.
      const gamma = await ks2.createKey('gamma');
      const gamma1 = await ks.getKey('gamma');
      expect(cryptoVerify('sha256', msg, gamma.publicKey, await gamma1.sign(msg))).toBe(true);
      await ks.deleteKey('gamma');
    } finally {
      await ks2.close();
    }
    // The passphrase was an option: it is not on disk, so a store opened without one is stuck.
    const ks3 = await Keystore.open({ dir });
    try {
      await expectCode(() => ks3.getKey('alpha'), 'E_BAD_PASSPHRASE');
    } finally {
      await ks3.close();
    }
  });
});

describe('signing', () => {
  let signer: DeviceKey;
  let pemFile: string;

  beforeAll(async () => {
    signer = await ks.createKey('signer');
    pemFile = path.join(work, 'pub.pem');
    await fsp.writeFile(pemFile, signer.exportPublicKey('pem'));
  });

  it('message mode, DER (the default): node:crypto verifies', async () => {
    const sig = await signer.sign(msg);
    derToRS(sig); // strict DER
    expect(cryptoVerify('sha256', msg, signer.publicKey, sig)).toBe(true);
    expect(cryptoVerify('sha256', msg, createPublicKey(signer.exportPublicKey('pem')), sig)).toBe(
      true,
    );
    expect(cryptoVerify('sha256', Buffer.from('other message'), signer.publicKey, sig)).toBe(false);

    const explicit = await signer.sign(msg, { format: 'der' });
    expect(cryptoVerify('sha256', msg, signer.publicKey, explicit)).toBe(true);
    // Strings are signed as UTF-8; Uint8Array and ArrayBuffer inputs sign the same bytes.
    const text = 'héllo wörld';
    const sigText = await signer.sign(text);
    expect(cryptoVerify('sha256', Buffer.from(text, 'utf8'), signer.publicKey, sigText)).toBe(true);
    const u8 = new Uint8Array(msg);
    expect(cryptoVerify('sha256', msg, signer.publicKey, await signer.sign(u8))).toBe(true);
    const ab = u8.buffer.slice(0) as ArrayBuffer;
    expect(cryptoVerify('sha256', msg, signer.publicKey, await signer.sign(ab as never))).toBe(
      true,
    );
    // An empty message is a message too.
    const empty = await signer.sign(Buffer.alloc(0));
    expect(cryptoVerify('sha256', Buffer.alloc(0), signer.publicKey, empty)).toBe(true);
  });

  it('message mode, P1363: WebCrypto verifies', async () => {
    const sig = await signer.sign(msg, { format: 'p1363' });
    expect(sig).toHaveLength(64);
    const key = await subtle.importKey('spki', signer.exportPublicKey('spki'), ECDSA_P256, false, [
      'verify',
    ]);
    const alg = { name: 'ECDSA', hash: 'SHA-256' };
    expect(await subtle.verify(alg, key, sig, msg)).toBe(true);
    expect(await subtle.verify(alg, key, sig, Buffer.from('other message'))).toBe(false);
    // WebCrypto's own signature, checked by our key object's verify, closes the loop.
    const pair = (await subtle.generateKey(ECDSA_P256, true, [
      'sign',
      'verify',
    ])) as webcrypto.CryptoKeyPair;
    const theirs = Buffer.from(await subtle.sign(alg, pair.privateKey, msg));
    const theirSpki = Buffer.from(await subtle.exportKey('spki', pair.publicKey));
    expect(verify(theirSpki, msg, theirs, { format: 'p1363' })).toBe(true);
  });

  it('DER: the openssl CLI verifies, and rejects a changed message', async () => {
    const sig = await signer.sign(msg);
    const msgFile = path.join(work, 'msg.bin');
    const sigFile = path.join(work, 'sig.der');
    await fsp.writeFile(msgFile, msg);
    await fsp.writeFile(sigFile, sig);
    const out = execFileSync(
      'openssl',
      ['dgst', '-sha256', '-verify', pemFile, '-signature', sigFile, msgFile],
      { encoding: 'utf8' },
    );
    expect(out).toContain('Verified OK');

    const tampered = Buffer.from(msg);
    tampered[0]! ^= 1;
    await fsp.writeFile(msgFile, tampered);
    const err = (await caught(() =>
      execFileSync(
        'openssl',
        ['dgst', '-sha256', '-verify', pemFile, '-signature', sigFile, msgFile],
        {
          encoding: 'utf8',
          stdio: 'pipe',
        },
      ),
    )) as Error & { status?: number; stdout?: string };
    expect(err.status).toBe(1);
    expect(err.stdout).toContain('Verification failure');
  });

  it('prehashed mode signs a 32-byte SHA-256 digest; 31 or 33 bytes are refused', async () => {
    const digest = sha256(msg);
    const der = await signer.sign(digest, { prehashed: true });
    expect(cryptoVerify('sha256', msg, signer.publicKey, der)).toBe(true);

    const p1363 = await signer.sign(digest, { prehashed: true, format: 'p1363' });
    const key = await subtle.importKey('spki', signer.exportPublicKey('spki'), ECDSA_P256, false, [
      'verify',
    ]);
    expect(await subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key, p1363, msg)).toBe(true);

    // openssl pkeyutl verifies a signature over a digest as it is, without hashing again.
    const digestFile = path.join(work, 'digest.bin');
    const sigFile = path.join(work, 'digest-sig.der');
    await fsp.writeFile(digestFile, digest);
    await fsp.writeFile(sigFile, der);
    const out = execFileSync(
      'openssl',
      ['pkeyutl', '-verify', '-pubin', '-inkey', pemFile, '-in', digestFile, '-sigfile', sigFile],
      { encoding: 'utf8' },
    );
    expect(out).toContain('Signature Verified Successfully');

    await expectCode(
      () => signer.sign(digest.subarray(0, 31), { prehashed: true }),
      'E_INVALID_ARGUMENT',
    );
    await expectCode(
      () => signer.sign(Buffer.concat([digest, Buffer.of(0)]), { prehashed: true }),
      'E_INVALID_ARGUMENT',
    );
    await expectCode(() => signer.sign(Buffer.alloc(0), { prehashed: true }), 'E_INVALID_ARGUMENT');
  });

  it('every signature is low-S, in both modes and both formats', async () => {
    const messages = Array.from({ length: 200 }, (_, i) => Buffer.from(`message #${i}`));
    const ders = await Promise.all(messages.map((m) => signer.sign(m)));
    const p1363s = await Promise.all(
      messages.slice(0, 50).map((m) => signer.sign(m, { format: 'p1363' })),
    );
    const prehashed = await Promise.all(
      messages.slice(0, 50).map((m) => signer.sign(sha256(m), { prehashed: true })),
    );
    const all = [
      ...ders.map((s, i) => ({ rs: derToRS(s), m: messages[i]!, s, dsa: 'der' as const })),
      ...p1363s.map((s, i) => ({
        rs: p1363ToRS(s),
        m: messages[i]!,
        s,
        dsa: 'ieee-p1363' as const,
      })),
      ...prehashed.map((s, i) => ({ rs: derToRS(s), m: messages[i]!, s, dsa: 'der' as const })),
    ];
    expect(all).toHaveLength(300);
    for (const { rs, m, s, dsa } of all) {
      expect(rs.r > 0n && rs.r < N).toBe(true);
      expect(rs.s > 0n && rs.s <= HALF_N).toBe(true);
      expect(cryptoVerify('sha256', m, { key: signer.publicKey, dsaEncoding: dsa }, s)).toBe(true);
    }
  });

  it('key.verify and verify() accept good signatures and reject tampered ones', async () => {
    const der = await signer.sign(msg);
    const p1363 = await signer.sign(msg, { format: 'p1363' });
    const digest = sha256(msg);
    const pre = await signer.sign(digest, { prehashed: true });
    const forms = [
      signer.publicKey,
      signer.exportPublicKey('pem'),
      signer.exportPublicKey('spki'),
      signer.exportPublicKey('jwk'),
      signer.exportPublicKey('raw'),
    ];

    expect(signer.verify(msg, der)).toBe(true);
    expect(signer.verify(msg, p1363, { format: 'p1363' })).toBe(true);
    expect(signer.verify(digest, pre, { prehashed: true })).toBe(true);
    for (const pub of forms) {
      expect(verify(pub, msg, der)).toBe(true);
      expect(verify(pub, msg, p1363, { format: 'p1363' })).toBe(true);
      expect(verify(pub, digest, pre, { prehashed: true })).toBe(true);
    }

    const flipped = (sig: Buffer, i: number) => {
      const t = Buffer.from(sig);
      t[i]! ^= 0x01;
      return t;
    };
    const otherMsg = Buffer.from('a different message');
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    for (const check of [
      (m: Buffer, s: Buffer, o?: object) => signer.verify(m, s, o),
      (m: Buffer, s: Buffer, o?: object) => verify(signer.exportPublicKey('pem'), m, s, o),
    ]) {
      expect(check(otherMsg, der)).toBe(false);
      expect(check(msg, flipped(der, der.length - 1))).toBe(false);
      expect(check(msg, flipped(der, 10))).toBe(false);
      expect(check(msg, der.subarray(0, der.length - 1))).toBe(false);
      expect(check(msg, Buffer.concat([der, Buffer.of(0)]))).toBe(false);
      expect(check(msg, p1363)).toBe(false); // p1363 bytes are not DER
      expect(check(msg, der, { format: 'p1363' })).toBe(false);
      expect(check(msg, flipped(p1363, 5), { format: 'p1363' })).toBe(false);
      expect(check(msg, flipped(p1363, 40), { format: 'p1363' })).toBe(false);
      expect(check(otherMsg, p1363, { format: 'p1363' })).toBe(false);
      expect(check(sha256(otherMsg), pre, { prehashed: true })).toBe(false);
      expect(check(digest, flipped(pre, pre.length - 1), { prehashed: true })).toBe(false);
      expect(check(msg, Buffer.alloc(64), { format: 'p1363' })).toBe(false);
    }
    expect(verify(other, msg, der)).toBe(false);

    // Signatures made elsewhere verify too, including the high-S twin of one of ours.
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(verify(pair.publicKey, msg, cryptoSign('sha256', msg, pair.privateKey))).toBe(true);
    const { r, s } = p1363ToRS(p1363);
    expect(signer.verify(msg, rsToP1363(r, N - s), { format: 'p1363' })).toBe(true);

    await expectCode(
      () => verify(signer.publicKey, digest.subarray(1), pre, { prehashed: true }),
      'E_INVALID_ARGUMENT',
    );
    await expectCode(() => verify('not a key', msg, der), 'E_INVALID_ARGUMENT');
  });

  it('unknown or malformed sign options are E_INVALID_ARGUMENT', async () => {
    const der = await signer.sign(msg);
    await expectCode(() => signer.sign(msg, { foo: 1 } as never), 'E_INVALID_ARGUMENT');
    await expectCode(() => signer.sign(msg, { hash: 'sha512' } as never), 'E_INVALID_ARGUMENT');
    await expectCode(() => signer.sign(msg, { format: 'raw' } as never), 'E_INVALID_ARGUMENT');
    await expectCode(() => signer.sign(msg, { prehashed: 1 } as never), 'E_INVALID_ARGUMENT');
    await expectCode(() => signer.sign(42 as never), 'E_INVALID_ARGUMENT');
    await expectCode(() => signer.verify(msg, der, { foo: 1 } as never), 'E_INVALID_ARGUMENT');
    await expectCode(
      () => verify(signer.publicKey, msg, der, { foo: 1 } as never),
      'E_INVALID_ARGUMENT',
    );
  });
});

describe('ECDH', () => {
  let key: DeviceKey;
  let peer: { publicKey: KeyObject; privateKey: KeyObject };
  let expected: Buffer;

  beforeAll(async () => {
    key = await ks.getKey('alpha');
    peer = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expected = diffieHellman({ privateKey: peer.privateKey, publicKey: key.publicKey });
  });

  it('matches node:crypto for a peer given as KeyObject, SPKI DER, PEM, JWK or raw point', async () => {
    const spki = peer.publicKey.export({ type: 'spki', format: 'der' });
    const imported = await subtle.importKey('spki', spki, ECDSA_P256, true, ['verify']);
    const raw = Buffer.from(await subtle.exportKey('raw', imported));
    const forms: [string, unknown][] = [
      ['KeyObject', peer.publicKey],
      ['SPKI DER', spki],
      ['PEM', peer.publicKey.export({ type: 'spki', format: 'pem' })],
      ['JWK', peer.publicKey.export({ format: 'jwk' })],
      ['raw', raw],
      ['raw (Uint8Array)', new Uint8Array(raw)],
      ['compressed', ECDH.convertKey(raw, 'prime256v1', undefined, undefined, 'compressed')],
    ];
    expect(expected).toHaveLength(32);
    for (const [label, form] of forms) {
      expect((await key.ecdh(form as never)).toString('hex'), label).toBe(expected.toString('hex'));
    }
    // Two of our keys agree with each other.
    const signer = await ks.getKey('signer');
    expect(await key.ecdh(signer.publicKey)).toEqual(await signer.ecdh(key.publicKey));
    // And with node's ECDH class on a raw point.
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    expect(await key.ecdh(ecdh.getPublicKey())).toEqual(
      ecdh.computeSecret(key.exportPublicKey('raw')),
    );
  });

  it('refuses invalid peers: off-curve, other curves, private keys, junk', async () => {
    const raw = key.exportPublicKey('raw');
    const offCurve = Buffer.from(raw);
    offCurve[64]! ^= 1;
    const jwk = peer.publicKey.export({ format: 'jwk' }) as JsonWebKey;
    const y = Buffer.from(jwk.y!, 'base64url');
    y[31]! ^= 1;
    const offCurveJwk = { ...jwk, y: y.toString('base64url') };
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    const k256 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
    const x25519 = generateKeyPairSync('x25519');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const bad: [string, unknown][] = [
      ['off-curve raw', offCurve],
      ['off-curve JWK', offCurveJwk],
      ['point at infinity', Buffer.of(0)],
      ['zero point', Buffer.concat([Buffer.of(4), Buffer.alloc(64)])],
      ['P-384 KeyObject', p384.publicKey],
      ['P-384 SPKI', p384.publicKey.export({ type: 'spki', format: 'der' })],
      ['P-384 PEM', p384.publicKey.export({ type: 'spki', format: 'pem' })],
      ['P-384 JWK', p384.publicKey.export({ format: 'jwk' })],
      ['secp256k1 KeyObject', k256.publicKey],
      ['secp256k1 SPKI', k256.publicKey.export({ type: 'spki', format: 'der' })],
      ['x25519 KeyObject', x25519.publicKey],
      ['RSA KeyObject', rsa.publicKey],
      ['P-256 private KeyObject', peer.privateKey],
      ['P-256 private JWK', peer.privateKey.export({ format: 'jwk' })],
      ['private PEM', peer.privateKey.export({ type: 'pkcs8', format: 'pem' })],
      ['junk string', 'not a key'],
      ['empty buffer', Buffer.alloc(0)],
      ['number', 42],
      ['null', null],
    ];
    for (const [label, peerKey] of bad) {
      await expectCode(() => key.ecdh(peerKey as never), 'E_INVALID_ARGUMENT', label);
    }
  });
});

describe('public key exports', () => {
  it('KeyObject, SPKI DER, PEM, JWK and raw all re-import to the same key', async () => {
    const key = await ks.getKey('alpha');
    const ko = key.publicKey;
    expect(ko).toBeInstanceOf(KeyObject);
    expect(ko.type).toBe('public');
    expect(ko.asymmetricKeyType).toBe('ec');
    expect(ko.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');

    const spki = key.exportPublicKey('spki');
    expect(Buffer.isBuffer(spki)).toBe(true);
    expect(createPublicKey({ key: spki, format: 'der', type: 'spki' }).equals(ko)).toBe(true);
    expect(spki).toEqual(ko.export({ type: 'spki', format: 'der' }));

    const pem = key.exportPublicKey('pem');
    expect(pem).toBe(ko.export({ type: 'spki', format: 'pem' }));
    expect(createPublicKey(pem).equals(ko)).toBe(true);

    const jwk = key.exportPublicKey('jwk');
    expect(Object.keys(jwk).sort()).toEqual(['crv', 'kty', 'x', 'y']);
    expect(jwk).toEqual(ko.export({ format: 'jwk' }));
    expect(createPublicKey({ key: jwk, format: 'jwk' }).equals(ko)).toBe(true);

    const raw = key.exportPublicKey('raw');
    expect(raw).toHaveLength(65);
    expect(raw[0]).toBe(4);
    const fromRaw = await subtle.importKey('raw', raw, ECDSA_P256, true, ['verify']);
    expect(KeyObject.from(fromRaw).equals(ko)).toBe(true);
    expect(raw.subarray(1, 33).toString('base64url')).toBe(jwk.x);
    expect(raw.subarray(33).toString('base64url')).toBe(jwk.y);

    // Exports are copies: scribbling on one does not change the key.
    raw.fill(0);
    spki.fill(0);
    expect(key.exportPublicKey('raw')[0]).toBe(4);
    expect(createPublicKey(key.exportPublicKey('pem')).equals(ko)).toBe(true);
    expect(() => key.exportPublicKey('pkcs8' as never)).toThrow(KeystoreError);
  });
});

describe('sealed secrets', () => {
  it('set / get / list / delete with string, binary and empty values, and overwrite', async () => {
    const s = ks.secrets;
    expect(await s.list()).toEqual([]);
    await s.set('api-token', 'hunter2-api-token-value');
    expect((await s.get('api-token')).toString('utf8')).toBe('hunter2-api-token-value');

    const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    await s.set('blob', binary);
    const got = await s.get('blob');
    expect(Buffer.isBuffer(got)).toBe(true);
    expect(got.equals(binary)).toBe(true);

    await s.set('u8', new Uint8Array([0, 255, 0, 1]));
    expect([...(await s.get('u8'))]).toEqual([0, 255, 0, 1]);
    await s.set('unicode', 'ключ 🔑');
    expect((await s.get('unicode')).toString('utf8')).toBe('ключ 🔑');
    await s.set('empty', Buffer.alloc(0));
    expect(await s.get('empty')).toHaveLength(0);

    await s.set('api-token', 'rotated-value');
    expect((await s.get('api-token')).toString()).toBe('rotated-value');
    expect(await s.list()).toEqual(['api-token', 'blob', 'empty', 'u8', 'unicode']);

    // Sealed on disk: the file holds neither the plaintext nor its base64.
    const file = await fsp.readFile(path.join(dir, 'secrets', 'api-token.json'), 'utf8');
    expect(file).not.toContain('rotated-value');
    expect(file).not.toContain(Buffer.from('rotated-value').toString('base64url'));
    expect(file).not.toContain(Buffer.from('rotated-value').toString('base64'));

    // Another instance on the same dir unseals it.
    const ks2 = await Keystore.open({ dir, passphrase: PASS });
    try {
      expect((await ks2.secrets.get('blob')).equals(binary)).toBe(true);
    } finally {
      await ks2.close();
    }

    for (const name of ['api-token', 'blob', 'empty', 'u8', 'unicode']) await s.delete(name);
    expect(await s.list()).toEqual([]);
    await expectCode(() => s.get('blob'), 'E_NOT_FOUND');
    await expectCode(() => s.delete('blob'), 'E_NOT_FOUND');
    await expectCode(() => s.get('never-set'), 'E_NOT_FOUND');
  });

  it('64 KiB is the limit; bigger is E_INVALID_ARGUMENT and writes nothing', async () => {
    const s = ks.secrets;
    const max = Buffer.alloc(64 * 1024, 7);
    await s.set('max', max);
    expect((await s.get('max')).equals(max)).toBe(true);
    await expectCode(() => s.set('too-big', Buffer.alloc(64 * 1024 + 1)), 'E_INVALID_ARGUMENT');
    await expectCode(() => s.set('max', Buffer.alloc(200 * 1024)), 'E_INVALID_ARGUMENT');
    expect((await s.get('max')).equals(max)).toBe(true);
    expect(await s.list()).toEqual(['max']);
    await s.delete('max');
  });

  it('bad names and bad values are E_INVALID_ARGUMENT', async () => {
    const s = ks.secrets;
    for (const bad of BAD_NAMES) {
      const label = JSON.stringify(bad) ?? String(bad);
      await expectCode(() => s.set(bad as string, 'v'), 'E_INVALID_ARGUMENT', `set ${label}`);
      await expectCode(() => s.get(bad as string), 'E_INVALID_ARGUMENT', `get ${label}`);
      await expectCode(() => s.delete(bad as string), 'E_INVALID_ARGUMENT', `delete ${label}`);
    }
    for (const value of [42, null, undefined, {}, [1, 2]]) {
      await expectCode(() => s.set('ok-name', value as never), 'E_INVALID_ARGUMENT');
    }
    expect(await s.list()).toEqual([]);
  });
});

describe('describe() and open()', () => {
  it('describes the store honestly', async () => {
    const d = await ks.describe();
    expect(d.dir).toBe(path.resolve(dir));
    expect(d.tier).toBe('encrypted-file');
    expect(d.hardwareBacked).toBe(false);
    expect(d.extractable).toBe(true);
    expect(d.extractableBy).toBe('passphrase-holder');
    expect(d.initialized).toBe(true);
    expect(d.identity).toEqual(await ks.identity());
    expect(d.keys.map((k) => k.toJSON())).toEqual((await ks.listKeys()).map((k) => k.toJSON()));

    expect(d.tiers.map((t) => t.tier)).toEqual([
      'secure-enclave',
      'keychain',
      'tpm2',
      'encrypted-file',
    ]);
    expect(d.tiers.map((t) => t.tier)).toEqual([...TIERS]);
    expect(d.tiers.map((t) => t.hardwareBacked)).toEqual([true, false, true, false]);
    for (const t of d.tiers.slice(0, 3)) {
      expect(t.status, t.tier).toBe('unavailable');
      expect(t.chosen).toBe(false);
      expect(typeof t.reason).toBe('string');
      expect(t.reason!.length, t.tier).toBeGreaterThan(5);
    }
    expect(d.tiers[3]).toMatchObject({ tier: 'encrypted-file', status: 'available', chosen: true });

    expect(
      d.warnings.some((w) => /software/i.test(w)),
      d.warnings.join('\n'),
    ).toBe(true);
    expect(d.warnings.some((w) => w.includes('encrypted-file'))).toBe(true);
    // The passphrase is an option, not a file beside the keys: no such warning.
    expect(d.warnings.some((w) => /passphrase file/.test(w))).toBe(false);

    // The result is a copy.
    d.tiers[0]!.status = 'available';
    d.warnings.length = 0;
    const again = await ks.describe();
    expect(again.tiers[0]!.status).toBe('unavailable');
    expect(again.warnings.length).toBeGreaterThan(0);
  });

  it('requireHardware, a forced unavailable tier, and bad options fail with precise codes', async () => {
    await expectCode(() => Keystore.open({ dir, requireHardware: true }), 'E_HARDWARE_REQUIRED');
    await expectCode(
      () => Keystore.open({ dir, backend: 'encrypted-file', requireHardware: true }),
      'E_HARDWARE_REQUIRED',
    );

    const tpmReason = (await ks.describe()).tiers.find((t) => t.tier === 'tpm2')!.reason!;
    const err = await expectCode(
      () => Keystore.open({ dir, backend: 'tpm2' }),
      'E_BACKEND_UNAVAILABLE',
    );
    expect(err.message).toContain('tpm2');
    expect(err.message).toContain(tpmReason);
    await expectCode(
      () => Keystore.open({ dir, backend: 'secure-enclave' }),
      'E_BACKEND_UNAVAILABLE',
    );

    const unknown = await expectCode(
      () => Keystore.open({ dir, pasphrase: PASS } as never),
      'E_INVALID_ARGUMENT',
    );
    expect(unknown.message).toContain('pasphrase');
    expect(unknown.message).not.toContain(PASS);
    for (const opts of [
      { backend: 'hsm' },
      { dir: '' },
      { dir: 42 },
      { passphrase: '' },
      { passphrase: 42 },
      { requireHardware: 'yes' },
      { lockTimeoutMs: -1 },
      { onWarning: 'log' },
    ]) {
      await expectCode(
        () => Keystore.open({ dir, ...opts } as never),
        'E_INVALID_ARGUMENT',
        JSON.stringify(opts),
      );
    }
    await expectCode(() => Keystore.open(null as never), 'E_INVALID_ARGUMENT');

    // Forcing the file tier works and says which tiers were skipped.
    const forced = await Keystore.open({ dir, backend: 'encrypted-file', passphrase: PASS });
    try {
      const d = await forced.describe();
      expect(d.tiers.map((t) => t.status)).toEqual([
        'not tried',
        'not tried',
        'not tried',
        'available',
      ]);
      expect(d.tiers.slice(0, 3).every((t) => (t.reason ?? '').length > 0)).toBe(true);
    } finally {
      await forced.close();
    }
  });

  it('after close() every call is E_CLOSED', async () => {
    const k = await Keystore.open({ dir, passphrase: PASS });
    const secrets = k.secrets;
    await k.close();
    const calls: [string, () => unknown][] = [
      ['init', () => k.init({ name: 'x' })],
      ['identity', () => k.identity()],
      ['identityKey', () => k.identityKey()],
      ['exportIdentity', () => k.exportIdentity()],
      ['createKey', () => k.createKey('closed-key')],
      ['getKey', () => k.getKey('alpha')],
      ['listKeys', () => k.listKeys()],
      ['deleteKey', () => k.deleteKey('alpha')],
      ['describe', () => k.describe()],
      ['changePassphrase', () => k.changePassphrase({ newPassphrase: 'new one' })],
      ['secrets.set', () => secrets.set('s', 'v')],
      ['secrets.get', () => secrets.get('s')],
      ['secrets.list', () => secrets.list()],
      ['secrets.delete', () => secrets.delete('s')],
    ];
    for (const [label, call] of calls) await expectCode(call, 'E_CLOSED', label);
    await k.close(); // a second close is harmless
    expect(existsSync(path.join(dir, 'keys', 'closed-key.json'))).toBe(false);
    // Closing one instance does not affect another.
    expect((await ks.getKey('alpha')).alias).toBe('alpha');
  });
});

describe('secrets never leak', () => {
  const FORBIDDEN_PRINTABLE = ['PRIVATE KEY', 'BEGIN EC'];

  function encodings(secret: string | Buffer): string[] {
    const b = Buffer.isBuffer(secret) ? secret : Buffer.from(secret, 'utf8');
    const out = [b.toString('hex'), b.toString('base64'), b.toString('base64url')];
    if (!Buffer.isBuffer(secret)) out.push(secret);
    return out;
  }

  function renderings(value: unknown): string[] {
    const out = [
      inspect(value, { showHidden: true, depth: Infinity }),
      inspect(value, { showHidden: true, depth: Infinity, customInspect: false }),
      inspect(value, { showHidden: true, depth: Infinity, getters: true }),
      String(JSON.stringify(value)),
    ];
    try {
      out.push(String(value));
    } catch {
      // Objects without a string form are fine.
    }
    if (value instanceof Error) {
      for (let e: unknown = value; e instanceof Error; e = e.cause) {
        out.push(e.message, String(e.stack), inspect(e, { showHidden: true, depth: Infinity }));
      }
    }
    return out;
  }

  /** Public strings a rendering may contain: every key's PEM, JWK coordinates, ids. */
  async function publicMaterial(store: Keystore): Promise<string[]> {
    const allowed: string[] = [];
    for (const info of await store.listKeys()) {
      const key = await store.getKey(info.alias);
      const jwk = key.exportPublicKey('jwk');
      allowed.push(
        info.toJSON().publicKey,
        jwk.x!,
        jwk.y!,
        key.exportPublicKey('raw').toString('base64url'),
        key.exportPublicKey('spki').toString('base64url'),
      );
    }
    const id = await store.identity();
    allowed.push(id.deviceId, id.publicKey);
    return allowed;
  }

  async function assertNothingLeaks(
    store: Keystore,
    storeDir: string,
    secrets: string[],
    extra: unknown[],
  ): Promise<void> {
    const id = await store.identity();
    const idKey = await store.identityKey();
    await idKey.sign(msg);
    const { d, x, y } = await decryptKeyFile(storeDir, id.keyAlias, secrets[0]!);
    // The independent decryption found the identity's private key.
    const jwk = idKey.exportPublicKey('jwk');
    expect([x, y]).toEqual([jwk.x, jwk.y]);
    const forbidden = [
      ...FORBIDDEN_PRINTABLE,
      ...secrets.flatMap(encodings),
      ...encodings(Buffer.from(d, 'base64url')),
    ];
    const allowed = await publicMaterial(store);
    const values: [string, unknown][] = [
      ['Keystore', store],
      ['secrets', store.secrets],
      ['identity key', idKey],
      ['describe()', await store.describe()],
      ['listKeys()', await store.listKeys()],
      ['identity()', await store.identity()],
      ['exportIdentity()', await store.exportIdentity()],
      ['info()', idKey.info()],
      ...extra.map((v, i): [string, unknown] => [`extra #${i}`, v]),
    ];
    for (const [label, value] of values) {
      for (const text of renderings(value)) {
        for (const f of forbidden) expect(text, `${label} contains a secret`).not.toContain(f);
        expect(unexpectedLongRuns(text, allowed), label).toEqual([]);
      }
    }
    // Nothing on disk holds the passphrase, and no passphrase file was written for it.
    expect(existsSync(path.join(storeDir, '.passphrase'))).toBe(false);
    for (const { file, data } of await readTree(storeDir)) {
      for (const s of secrets) {
        for (const enc of encodings(s)) expect(data.includes(enc), file).toBe(false);
      }
    }
  }

  it('with the passphrase option: inspect/JSON of Keystore, keys, describe(), errors', async () => {
    const bad = await Keystore.open({ dir, passphrase: WRONG_PASS });
    let badErr: Error & { code?: string };
    try {
      badErr = await expectCode(() => bad.getKey('alpha'), 'E_BAD_PASSPHRASE');
    } finally {
      await bad.close();
    }
    expect(badErr.message).toMatch(/passphrase option/);
    for (const text of [badErr.message, String(badErr.stack)]) {
      expect(text).not.toContain(WRONG_PASS);
      expect(text).not.toContain(PASS);
    }
    const openErr = await caught(() => Keystore.open({ dir, passphrase: PASS, bogus: 1 } as never));
    const signer = await ks.getKey('signer');
    await assertNothingLeaks(ks, dir, [PASS, WRONG_PASS], [badErr, openErr, signer]);
  });

  it('with DEVICE_KEYSTORE_PASSPHRASE: same checks, and a wrong env passphrase', async () => {
    const envDir = await makeTempDir('env');
    process.env.DEVICE_KEYSTORE_PASSPHRASE = ENV_PASS;
    let store: Keystore | undefined;
    try {
      store = await Keystore.open({ dir: envDir });
      await store.init({ name: 'env-box' });
      const k = await store.createKey('env-key');
      await k.sign(msg, { format: 'p1363' });
      await store.secrets.set('token', 'sealed-token-value');

      process.env.DEVICE_KEYSTORE_PASSPHRASE = WRONG_ENV_PASS;
      const bad = await Keystore.open({ dir: envDir });
      let badErr: Error & { code?: string };
      try {
        badErr = await expectCode(() => bad.getKey('env-key'), 'E_BAD_PASSPHRASE');
      } finally {
        await bad.close();
      }
      expect(badErr.message).toContain('DEVICE_KEYSTORE_PASSPHRASE');
      for (const text of [badErr.message, String(badErr.stack)]) {
        expect(text).not.toContain(WRONG_ENV_PASS);
        expect(text).not.toContain(ENV_PASS);
      }
      process.env.DEVICE_KEYSTORE_PASSPHRASE = ENV_PASS;
      await assertNothingLeaks(store, envDir, [ENV_PASS, WRONG_ENV_PASS], [badErr, k]);
    } finally {
      await store?.close();
      delete process.env.DEVICE_KEYSTORE_PASSPHRASE;
      await removeDir(envDir);
    }
  });
});

describe('dist entry points (CJS and ESM)', () => {
  const distJs = path.join(ROOT, 'dist', 'index.js');
  const distMjs = path.join(ROOT, 'dist', 'index.mjs');
  let pem: string;
  let sig: Buffer;

  const childEnv = () => {
    const env = { ...process.env };
    for (const k of ENV_VARS) delete env[k];
    return env;
  };
  const dist = [distJs, distMjs, path.join(ROOT, 'dist', 'errors.js')];
  const runNode = async (args: string[]) =>
    JSON.parse(
      execFileSync(process.execPath, args, { cwd: ROOT, env: childEnv(), encoding: 'utf8' }),
    );

  beforeAll(async () => {
    const missing = dist.filter((f) => !existsSync(f));
    if (missing.length)
      throw new Error(`${missing.join(', ')} missing: run \`npm run build\` first`);
    const signer = await ks.getKey('signer');
    pem = signer.exportPublicKey('pem');
    sig = await signer.sign(msg);
  });

  it('require() of dist/index.js gives Keystore, KeystoreError and a working verify', async () => {
    const script = `
      const [file, pem, msg, sig] = process.argv.slice(1);
      const m = require(file);
      const out = {
        Keystore: typeof m.Keystore,
        open: typeof (m.Keystore && m.Keystore.open),
        KeystoreError: typeof m.KeystoreError,
        verify: typeof m.verify,
        errorIsError: new m.KeystoreError('E_IO', 'x') instanceof Error,
        good: m.verify(pem, Buffer.from(msg, 'base64'), Buffer.from(sig, 'base64')),
        bad: m.verify(pem, Buffer.from('tampered'), Buffer.from(sig, 'base64')),
        selfSame: require('device-keystore') === m,
      };
      m.Keystore.open({ bogus: 1 }).then(
        () => console.log(JSON.stringify(out)),
        (e) => {
          out.code = e.code;
          out.instance = e instanceof m.KeystoreError;
          console.log(JSON.stringify(out));
        },
      );`;
    const out = await runNode([
      '-e',
      script,
      distJs,
      pem,
      msg.toString('base64'),
      sig.toString('base64'),
    ]);
    expect(out).toEqual({
      Keystore: 'function',
      open: 'function',
      KeystoreError: 'function',
      verify: 'function',
      errorIsError: true,
      good: true,
      bad: false,
      selfSame: true,
      code: 'E_INVALID_ARGUMENT',
      instance: true,
    });
  });

  it('import() of dist/index.mjs gives the very same classes as require()', async () => {
    const script = `
      import { createRequire } from 'node:module';
      import { pathToFileURL } from 'node:url';
      const [mjs, cjsFile, pem, msg, sig] = process.argv.slice(1);
      const m = await import(pathToFileURL(mjs).href);
      const c = createRequire(cjsFile)(cjsFile);
      const self = await import('device-keystore');
      const err = await m.Keystore.open({ bogus: 1 }).catch((e) => e);
      const names = (o) => Object.keys(o).filter((k) => k !== 'default' && k !== '__esModule').sort();
      console.log(JSON.stringify({
        Keystore: typeof m.Keystore,
        KeystoreError: typeof m.KeystoreError,
        verify: typeof m.verify,
        sameKeystoreError: m.KeystoreError === c.KeystoreError,
        sameKeystore: m.Keystore === c.Keystore,
        sameVerify: m.verify === c.verify,
        defaultIsCjs: m.default === c,
        selfIsEsm: self.KeystoreError === c.KeystoreError && self.Keystore === m.Keystore,
        sameNames: JSON.stringify(names(m)) === JSON.stringify(names(c)),
        errorCode: err.code,
        errorInstance: err instanceof c.KeystoreError && err instanceof m.KeystoreError,
        good: m.verify(pem, Buffer.from(msg, 'base64'), Buffer.from(sig, 'base64')),
      }));`;
    const out = await runNode([
      '--input-type=module',
      '-e',
      script,
      distMjs,
      distJs,
      pem,
      msg.toString('base64'),
      sig.toString('base64'),
    ]);
    expect(out).toEqual({
      Keystore: 'function',
      KeystoreError: 'function',
      verify: 'function',
      sameKeystoreError: true,
      sameKeystore: true,
      sameVerify: true,
      defaultIsCjs: true,
      selfIsEsm: true,
      sameNames: true,
      errorCode: 'E_INVALID_ARGUMENT',
      errorInstance: true,
      good: true,
    });
  });
});
