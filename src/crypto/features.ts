import * as crypto from 'node:crypto';
import { nodeArgon2Works } from './argon2';

/**
 * Feature probes for what this package takes from node:crypto. Electron's Node runs on BoringSSL,
 * which lacks some of what OpenSSL has (Argon2 is one), and a function that exists may still
 * throw when called; so each feature here is exercised once, with tiny inputs and, where one
 * exists, a published known answer. The encrypted-file tier needs all of the `fileTier` ones and
 * is unavailable, naming what failed, without them; `doctor` lists every result. The list is
 * mirrored in docs/electron.md.
 */

export interface FeatureResult {
  feature: string;
  ok: boolean;
  /** What the probe saw when it failed. */
  error?: string;
  /** Needed by the encrypted-file tier (the others serve every tier's public keys). */
  fileTier: boolean;
}

const hex = (s: string) => Buffer.from(s, 'hex');

function sha256(): void {
  // FIPS 180-2, "abc".
  const d = crypto.createHash('sha256').update('abc').digest('hex');
  if (d !== 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
    throw new Error(`SHA-256("abc") = ${d}`);
}

function aes256gcm(): void {
  const key = Buffer.alloc(32, 1);
  const iv = Buffer.alloc(12, 2);
  const c = crypto.createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.from('aad'));
  const ct = Buffer.concat([c.update('probe'), c.final()]);
  const tag = c.getAuthTag();
  const open = (t: Buffer) => {
    const d = crypto.createDecipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
    d.setAAD(Buffer.from('aad'));
    d.setAuthTag(t);
    return Buffer.concat([d.update(ct), d.final()]).toString();
  };
  if (open(tag) !== 'probe') throw new Error('AES-256-GCM did not round-trip');
  const bad = Buffer.from(tag);
  bad[0]! ^= 1;
  let refused = false;
  try {
    open(bad);
  } catch {
    refused = true;
  }
  if (!refused) throw new Error('AES-256-GCM accepted a wrong tag');
}

function hkdfSha256(): void {
  // RFC 5869 appendix A.1.
  const okm = Buffer.from(
    crypto.hkdfSync(
      'sha256',
      Buffer.alloc(22, 0x0b),
      hex('000102030405060708090a0b0c'),
      hex('f0f1f2f3f4f5f6f7f8f9'),
      42,
    ),
  ).toString('hex');
  const want =
    '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865';
  if (okm !== want) throw new Error(`HKDF-SHA256 RFC 5869 A.1 gave ${okm}`);
}

function p256Keys(): void {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' });
  const again = crypto.createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  privateKey.export({ format: 'der', type: 'sec1' });
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  const fromPem = crypto.createPublicKey(publicKey.export({ format: 'pem', type: 'spki' }));
  const fromJwk = crypto.createPublicKey({
    key: publicKey.export({ format: 'jwk' }),
    format: 'jwk',
  });
  const derived = crypto.createPublicKey(again).export({ format: 'der', type: 'spki' });
  for (const k of [fromPem, fromJwk]) {
    if (!k.export({ format: 'der', type: 'spki' }).equals(spki))
      throw new Error('a P-256 public key changed through PEM or JWK');
  }
  if (!derived.equals(spki)) throw new Error('a PKCS#8 P-256 key did not re-import');
}

function ecdsaP256(): void {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  for (const dsaEncoding of ['der', 'ieee-p1363'] as const) {
    const sig = crypto.sign('sha256', Buffer.from('probe'), { key: privateKey, dsaEncoding });
    if (dsaEncoding === 'ieee-p1363' && sig.length !== 64)
      throw new Error(`IEEE-P1363 signature of ${sig.length} bytes`);
    const ok = crypto.verify('sha256', Buffer.from('probe'), { key: publicKey, dsaEncoding }, sig);
    const wrong = crypto.verify(
      'sha256',
      Buffer.from('probE'),
      { key: publicKey, dsaEncoding },
      sig,
    );
    if (!ok || wrong) throw new Error(`ECDSA P-256 (${dsaEncoding}) verify gave ${ok}/${wrong}`);
  }
}

function ecdhP256(): void {
  const a = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const b = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ab = crypto.diffieHellman({ privateKey: a.privateKey, publicKey: b.publicKey });
  const ba = crypto.diffieHellman({ privateKey: b.privateKey, publicKey: a.publicKey });
  if (ab.length !== 32 || !ab.equals(ba)) throw new Error('ECDH P-256 sides disagree');
  // createECDH: the digest check's point arithmetic (src/crypto/digest-check.ts).
  const e = crypto.createECDH('prime256v1');
  e.setPrivateKey(Buffer.alloc(32, 7));
  if (e.getPublicKey().length !== 65) throw new Error('createECDH(prime256v1) gave no point');
}

async function webcryptoP256(): Promise<void> {
  const { publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  for (const name of ['ECDSA', 'ECDH']) {
    const usages: crypto.webcrypto.KeyUsage[] = name === 'ECDSA' ? ['verify'] : [];
    await crypto.webcrypto.subtle.importKey(
      'spki',
      spki,
      { name, namedCurve: 'P-256' },
      true,
      usages,
    );
  }
}

function randomBytes(): void {
  const r = crypto.randomBytes(32);
  if (r.length !== 32 || r.equals(Buffer.alloc(32))) throw new Error('randomBytes gave zeros');
}

async function argon2(): Promise<void> {
  // Not required: hash-wasm stands in (src/crypto/argon2.ts); reported for doctor.
  if (!(await nodeArgon2Works())) throw new Error('crypto.argon2 is missing or failed its probe');
}

const PROBES: [string, () => void | Promise<void>, boolean][] = [
  ['randomBytes', randomBytes, true],
  ['sha256', sha256, true],
  ['aes-256-gcm', aes256gcm, true],
  ['hkdf-sha256', hkdfSha256, true],
  ['p256-keys (generate, pkcs8/sec1/spki/pem/jwk)', p256Keys, true],
  ['ecdsa-p256-sha256 (der, ieee-p1363)', ecdsaP256, true],
  ['ecdh-p256 (diffieHellman, createECDH)', ecdhP256, true],
  ['webcrypto-p256 (importKey spki)', webcryptoP256, false],
  ['argon2 (node:crypto; else hash-wasm)', argon2, false],
];

let results: Promise<FeatureResult[]> | undefined;

/** Every probe, run once per process. */
export function cryptoFeatures(): Promise<FeatureResult[]> {
  results ??= Promise.all(
    PROBES.map(async ([feature, probe, fileTier]) => {
      try {
        await probe();
        return { feature, ok: true, fileTier };
      } catch (err) {
        return { feature, ok: false, error: (err as Error).message, fileTier };
      }
    }),
  );
  return results;
}

/** The file-tier features that failed, for its availability probe; [] when all work. */
export async function missingFileTierFeatures(): Promise<string[]> {
  return (await cryptoFeatures())
    .filter((r) => r.fileTier && !r.ok)
    .map((r) => `${r.feature}: ${r.error}`);
}
