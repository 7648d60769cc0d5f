/**
 * Helpers for test/tiers/file/file-tier.test.ts and test/argon2.test.ts. The checksum and canonical JSON are
 * re-implemented here from the documented format (sha256 hex of the canonical JSON of the record
 * without `checksum`; keys sorted at every level, no whitespace), so they can disagree with src/.
 */
import { createHash, createPublicKey, verify as nodeVerify } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { expect } from 'vitest';
import { tempDirsNamed } from './common';

export { ROOT, caught, expectCode, removeDir } from './common';
export const makeTempDir = tempDirsNamed('dk-file');

export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };
export type JsonObject = { [k: string]: JsonValue };

const ENV_KEYS = [
  'DEVICE_KEYSTORE_PASSPHRASE',
  'DEVICE_KEYSTORE_PASSPHRASE_FILE',
  'DEVICE_KEYSTORE_DIR',
] as const;

/** Clears the keystore's env variables; returns a function that puts the old values back. */
export function isolateEnv(): () => void {
  const saved = ENV_KEYS.map((k) => [k, process.env[k]] as const);
  for (const k of ENV_KEYS) delete process.env[k];
  return () => {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}

// ---- records --------------------------------------------------------------------------------

export function canonical(value: JsonValue): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  return `{${Object.keys(value)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(value[k]!)}`)
    .join(',')}}`;
}

/** sha256 hex of the canonical JSON of the record without its `checksum` field. */
export function recordChecksum(record: JsonObject): string {
  const { checksum: _ignored, ...body } = record;
  return createHash('sha256').update(canonical(body)).digest('hex');
}

/** The record as the store writes it: 2-space JSON with a final newline. */
export function serialize(record: JsonObject): string {
  return JSON.stringify(record, null, 2) + '\n';
}

export function withChecksum(record: JsonObject): JsonObject {
  return { ...record, checksum: recordChecksum(record) };
}

export async function readJson(file: string): Promise<JsonObject> {
  return JSON.parse(await fsp.readFile(file, 'utf8')) as JsonObject;
}

/** Every leaf of a record (recursively), as a path of keys. */
export function leafPaths(value: JsonValue, prefix: string[] = []): string[][] {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    return Object.keys(value).flatMap((k) => leafPaths(value[k]!, [...prefix, k]));
  }
  return [prefix];
}

export function getAt(obj: JsonObject, at: string[]): JsonValue {
  let v: JsonValue = obj;
  for (const k of at) v = (v as JsonObject)[k]!;
  return v;
}

export function setAt(obj: JsonObject, at: string[], value: JsonValue): JsonObject {
  const copy = structuredClone(obj);
  let v: JsonObject = copy;
  for (const k of at.slice(0, -1)) v = v[k] as JsonObject;
  v[at[at.length - 1]!] = value;
  return copy;
}

function rotateChar(c: string): string | undefined {
  const classes = ['0123456789', 'abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'];
  for (const cls of classes) {
    const i = cls.indexOf(c);
    if (i >= 0) return cls[(i + 1) % cls.length];
  }
  return undefined;
}

/**
 * Change exactly one character of a leaf value, staying in the same character class so the value
 * keeps its shape (a base64url string stays base64url and canonical, an ISO date stays a date,
 * 65536 becomes 65537). Strings change a character near the middle, numbers their last digit.
 */
export function mutateOneChar(value: JsonValue): JsonValue {
  if (typeof value === 'number') {
    const s = String(value);
    return Number(s.slice(0, -1) + rotateChar(s[s.length - 1]!));
  }
  if (typeof value === 'string') {
    const mid = Math.floor(value.length / 2);
    for (let d = 0; d < value.length; d++) {
      for (const i of [mid + d, mid - d]) {
        if (i < 0 || i >= value.length) continue;
        const r = rotateChar(value[i]!);
        if (r !== undefined) return value.slice(0, i) + r + value.slice(i + 1);
      }
    }
  }
  throw new Error(`no character to change in ${JSON.stringify(value)}`);
}

// ---- store snapshots ------------------------------------------------------------------------

/** Every regular file under `dir` (hidden ones too), relative path -> bytes. */
export async function snapshotDir(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  async function walk(d: string): Promise<void> {
    for (const e of await fsp.readdir(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) await walk(full);
      // '/' on every platform, so tests can name files as 'keys/x.json'.
      else out.set(path.relative(dir, full).split(path.sep).join('/'), await fsp.readFile(full));
    }
  }
  await walk(dir);
  return out;
}

export function expectSameSnapshot(
  actual: Map<string, Buffer>,
  expected: Map<string, Buffer>,
  label: string,
): void {
  expect([...actual.keys()].sort(), `${label}: file list`).toEqual([...expected.keys()].sort());
  for (const [name, bytes] of expected) {
    expect(actual.get(name)?.equals(bytes), `${label}: ${name} changed`).toBe(true);
  }
}

/**
 * Replace a file's content keeping its mode, without relying on root's right to write a 0400
 * file: the file is removed and created again.
 */
export async function overwrite(file: string, data: string | Buffer): Promise<void> {
  const mode = (await fsp.stat(file)).mode & 0o777;
  await fsp.rm(file);
  await fsp.writeFile(file, data, { mode });
  await fsp.chmod(file, mode);
}

export interface StoreState {
  dirs: Map<string, number>;
  files: Map<string, { bytes: Buffer; mode: number }>;
}

/** Every directory and file under `dir`, with contents and modes, for `restoreStore`. */
export async function captureStore(dir: string): Promise<StoreState> {
  const state: StoreState = { dirs: new Map(), files: new Map() };
  async function walk(d: string): Promise<void> {
    state.dirs.set(path.relative(dir, d), (await fsp.stat(d)).mode & 0o777);
    for (const e of await fsp.readdir(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) await walk(full);
      else {
        const mode = (await fsp.stat(full)).mode & 0o777;
        state.files.set(path.relative(dir, full), { bytes: await fsp.readFile(full), mode });
      }
    }
  }
  await walk(dir);
  return state;
}

/**
 * Put a store back exactly as captured, at the same path: same bytes and modes, nothing else.
 * The master's path and bytes are unchanged, so the process's unlock cache still applies.
 */
export async function restoreStore(dir: string, state: StoreState): Promise<void> {
  await fsp.rm(dir, { recursive: true, force: true });
  for (const [rel, mode] of [...state.dirs].sort(([a], [b]) => a.length - b.length)) {
    await fsp.mkdir(path.join(dir, rel), { recursive: true });
    await fsp.chmod(path.join(dir, rel), mode);
  }
  for (const [rel, { bytes, mode }] of state.files) {
    await fsp.writeFile(path.join(dir, rel), bytes, { mode });
    await fsp.chmod(path.join(dir, rel), mode);
  }
}

/**
 * The mode fs.stat reports for a file or directory the store created with POSIX mode `m`. On
 * Windows only the read-only attribute (no owner write bit) survives, and libuv shows it as 0444
 * or 0666, directories included; what protects them there is the DACL
 * (test/tiers/windows/windows-store.test.ts).
 */
export function statModeFor(m: number): number {
  if (process.platform !== 'win32') return m;
  return (m & 0o200) === 0 ? 0o444 : 0o666;
}

export async function modeOf(file: string): Promise<number> {
  return (await fsp.stat(file)).mode & 0o777;
}

/** Verify a DER ECDSA-SHA256 signature with node:crypto against an SPKI PEM. */
export function verifyDer(publicKeyPem: string, message: Buffer | string, sig: Buffer): boolean {
  return nodeVerify(
    'sha256',
    Buffer.from(message),
    { key: createPublicKey(publicKeyPem), dsaEncoding: 'der' },
    sig,
  );
}

/** The encodings under which a secret could end up in a file. */
export function encodingsOf(secret: string): Buffer[] {
  const b = Buffer.from(secret, 'utf8');
  return [
    b,
    Buffer.from(b.toString('base64')),
    Buffer.from(b.toString('base64url')),
    Buffer.from(b.toString('hex')),
    Buffer.from(b.toString('hex').toUpperCase()),
    Buffer.from(secret, 'utf16le'),
  ];
}
