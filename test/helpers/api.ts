/**
 * Helpers for the API tests (test/api/*.test.ts). The DER parser, the canonical JSON and the
 * decryption of a key file are written independently of src/: they re-implement the documented
 * formats so that they can disagree with the code under test. Only the store set-up at the end
 * (openApiStore) uses src/, to make the stores the tests then look at.
 */
import { createDecipheriv, createHash, createPrivateKey, webcrypto } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { argon2id } from 'hash-wasm';
import { afterAll, beforeAll, expect } from 'vitest';
import { removeDir, tempDirsNamed } from './common';
import { Keystore } from '../../src/index';

export { HALF_N, N, ROOT, caught, expectCode, removeDir } from './common';
export const makeTempDir = tempDirsNamed('dk-api');

function bigintOf(bytes: Buffer): bigint {
  return bytes.length === 0 ? 0n : BigInt('0x' + bytes.toString('hex'));
}

/** Minimal strict parser for SEQUENCE { INTEGER r, INTEGER s } with short-form lengths. */
export function derToRS(sig: Buffer): { r: bigint; s: bigint } {
  const fail = (why: string): never => {
    throw new Error(`bad DER signature (${why}): ${sig.toString('hex')}`);
  };
  if (sig[0] !== 0x30 || sig[1] !== sig.length - 2) fail('sequence');
  let off = 2;
  const ints: bigint[] = [];
  for (let i = 0; i < 2; i++) {
    if (sig[off] !== 0x02) fail('integer tag');
    const len = sig[off + 1]!;
    const body = sig.subarray(off + 2, off + 2 + len);
    if (len === 0 || body.length !== len) fail('integer length');
    if (body[0]! & 0x80) fail('negative');
    if (body[0] === 0 && len > 1 && !(body[1]! & 0x80)) fail('non-minimal');
    ints.push(bigintOf(body));
    off += 2 + len;
  }
  if (off !== sig.length) fail('trailing bytes');
  return { r: ints[0]!, s: ints[1]! };
}

export function p1363ToRS(sig: Buffer): { r: bigint; s: bigint } {
  expect(sig.length).toBe(64);
  return { r: bigintOf(sig.subarray(0, 32)), s: bigintOf(sig.subarray(32)) };
}

export function rsToP1363(r: bigint, s: bigint): Buffer {
  const hex = (v: bigint) => v.toString(16).padStart(64, '0');
  return Buffer.from(hex(r) + hex(s), 'hex');
}

/** Sorted keys at every level, no whitespace: the canonical form the formats use as AAD. */
export function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const obj = value as Record<string, unknown>;
  return `{${Object.keys(obj)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(obj[k])}`)
    .join(',')}}`;
}

function gcmOpen(key: Buffer, iv: string, ct: string, tag: string, aad: string): Buffer {
  const d = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  d.setAAD(Buffer.from(aad));
  d.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([d.update(Buffer.from(ct, 'base64url')), d.final()]);
}

/**
 * Decrypts `keys/<alias>.json` of an encrypted-file store with the passphrase, the way the format
 * is documented (Argon2id KEK → data key → PKCS#8), and returns the private key as a JWK. Used
 * to learn `d` so that the leak test can look for it.
 */
export async function decryptKeyFile(
  dir: string,
  alias: string,
  passphrase: string,
): Promise<{ d: string; x: string; y: string }> {
  const master = JSON.parse(await fsp.readFile(path.join(dir, 'file-master.json'), 'utf8'));
  const { kdf, wrap, dataKeyId } = master;
  const kek = Buffer.from(
    (await argon2id({
      password: passphrase,
      salt: Buffer.from(kdf.salt, 'base64url'),
      parallelism: kdf.p,
      iterations: kdf.t,
      memorySize: kdf.m,
      hashLength: 32,
      outputType: 'binary',
    })) as Uint8Array,
  );
  const header = { format: master.format, version: master.version, dataKeyId, kdf };
  const dataKey = gcmOpen(kek, wrap.iv, wrap.ciphertext, wrap.tag, canonical(header));
  const rec = JSON.parse(await fsp.readFile(path.join(dir, 'keys', `${alias}.json`), 'utf8'));
  const bd = rec.backendData;
  const aad = canonical({
    format: 'device-keystore/key',
    alias: rec.alias,
    tier: rec.tier,
    algorithm: rec.algorithm,
    publicKey: rec.publicKey,
    createdAt: rec.createdAt,
    dataKeyId: bd.dataKeyId,
    // Version 3 records bind the store id; 0.1.0's have none.
    ...(rec.storeId !== undefined ? { storeId: rec.storeId } : {}),
  });
  const pkcs8 = gcmOpen(dataKey, bd.iv, bd.ciphertext, bd.tag, aad);
  const jwk = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({
    format: 'jwk',
  });
  return { d: jwk.d!, x: jwk.x!, y: jwk.y! };
}

/** Every file under `dir`, recursively, with its contents. */
export async function readTree(dir: string): Promise<{ file: string; data: Buffer }[]> {
  const out: { file: string; data: Buffer }[] = [];
  for (const entry of await fsp.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await readTree(full)));
    else if (entry.isFile()) out.push({ file: full, data: await fsp.readFile(full) });
  }
  return out;
}

/**
 * Runs of 43 or more base64url/hex characters in `text` that are not part of `allowed` (public
 * material). A private scalar in base64url is 43 characters, in hex 64.
 */
export function unexpectedLongRuns(text: string, allowed: string[]): string[] {
  // JSON and util.inspect escape newlines as "\\n": that "n" is not part of the run after it.
  const runs = text.replace(/\\[nrt]/g, ' ').match(/[A-Za-z0-9_-]{43,}/g) ?? [];
  return runs.filter((run) => !allowed.some((a) => a.includes(run)));
}

// ---- what the API tests share --------------------------------------------------------------

export const PASS = 'opt-pass: Quokka-Fjord-7731-lanterns';
export const ENV_PASS = 'env-pass: Marmot-Delta-2209-kettles';
export const WRONG_PASS = 'wrong-pass: Heron-Basin-5150-ladders';
export const WRONG_ENV_PASS = 'wrong-env: Otter-Cairn-4096-spindles';

/** The variables a Keystore reads on its own; no test may inherit them from the runner. */
export const ENV_VARS = [
  'DEVICE_KEYSTORE_PASSPHRASE',
  'DEVICE_KEYSTORE_PASSPHRASE_FILE',
  'DEVICE_KEYSTORE_DIR',
] as const;

export const subtle = webcrypto.subtle;
export const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
export const msg = Buffer.from('device-keystore API test message');
export const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest();

/** Aliases and secret names that must be refused before they become file names. */
export const BAD_NAMES: unknown[] = [
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

/**
 * Clears ENV_VARS for the file (call it at the top level of a test file) and puts the runner's
 * values back afterwards.
 */
export function withoutKeystoreEnv(): void {
  const saved = new Map<string, string | undefined>();
  beforeAll(() => {
    for (const k of ENV_VARS) {
      saved.set(k, process.env[k]);
      delete process.env[k];
    }
  });
  afterAll(() => {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
}

export interface ApiStore {
  dir: string;
  ks: Keystore;
}

/**
 * A new encrypted-file store in a temp dir, opened with the passphrase PASS as an option (so no
 * passphrase file is written): with an identity named `identity` when given, then the keys
 * `keys`. Each describe block (or test) that uses a store makes its own with this, in its own
 * beforeAll/beforeEach, and removes it with closeApiStore.
 */
export async function openApiStore(
  opts: { identity?: string; keys?: string[] } = {},
): Promise<ApiStore> {
  const dir = await makeTempDir('store');
  const ks = await Keystore.open({ dir, passphrase: PASS });
  if (opts.identity !== undefined) await ks.init({ name: opts.identity });
  for (const alias of opts.keys ?? []) await ks.createKey(alias);
  return { dir, ks };
}

export async function closeApiStore(store: Partial<ApiStore> | undefined): Promise<void> {
  await store?.ks?.close();
  await removeDir(store?.dir);
}
