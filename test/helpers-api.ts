/**
 * Helpers for test/keystore.test.ts. Everything here is written independently of src/: the DER
 * parser, the canonical JSON and the decryption of a key file re-implement the documented formats
 * so that they can disagree with the code under test.
 */
import { createDecipheriv, createPrivateKey } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { argon2id } from 'hash-wasm';
import { expect } from 'vitest';

/** The order of the P-256 group (SEC 2), typed in here rather than imported from src. */
export const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
export const HALF_N = N >> 1n;

export const ROOT = path.resolve(__dirname, '..');

export async function makeTempDir(label: string): Promise<string> {
  return fsp.mkdtemp(path.join(os.tmpdir(), `dk-api-${label}-`));
}

export async function removeDir(dir: string | undefined): Promise<void> {
  if (dir) await fsp.rm(dir, { recursive: true, force: true });
}

/** Awaits `run` and returns what it threw (or rejected with); fails the test if it succeeded. */
export async function caught(run: () => unknown): Promise<Error & { code?: string }> {
  let value: unknown;
  try {
    value = await run();
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error(`expected an error, got ${String(value)}`);
}

/** Expects `run` to fail with a KeystoreError of `code`; returns the error for more checks. */
export async function expectCode(
  run: () => unknown,
  code: string,
  label?: string,
): Promise<Error & { code?: string; hint?: string }> {
  const err = await caught(run);
  expect(err?.name, `${label ?? ''} ${String(err)}`).toBe('KeystoreError');
  expect(err.code, `${label ?? ''} ${String(err)}`).toBe(code);
  return err;
}

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
