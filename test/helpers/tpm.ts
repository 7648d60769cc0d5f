/**
 * Helpers for test/tiers/tpm2/tpm.test.ts and test/tiers/tpm2/tpm-faults.test.ts (the TPM 2.0 tier against a real
 * swtpm). The DER reader/writer, the TPM2B_PUBLIC reader and the record checksum are written
 * here from the documented formats (DESIGN §4a, TPM 2.0 Part 2), not imported from src/, so that
 * they can disagree with the code under test.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash, createPublicKey, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { existsSync, promises as fsp } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect } from 'vitest';
import { ROOT, tempDirsNamed } from './common';
import { Keystore, type OpenOptions } from '../../src/index';
import { canonical } from './api';

export { HALF_N, N, ROOT, caught, expectCode, removeDir, type CaughtError } from './common';
export const makeTempDir = tempDirsNamed('dk-tpm');
export const DIST_INDEX = path.join(ROOT, 'dist', 'index.js');
export const FIXTURES = path.join(__dirname, '..', 'fixtures', 'tpm');

/**
 * The scripts under fixtures/tpm (child processes, worker threads) run the built package. They
 * get a private copy of dist/, taken once per test file: other test files and people rebuild
 * dist/ (which deletes it first) while these tests run. The copy resolves the addon and the
 * dependencies through symlinks to this checkout, so it runs exactly the code in dist/.
 * Returns the path of the copy's index.js; `cleanup` removes the copy.
 */
export async function distSnapshot(): Promise<{ index: string; cleanup: () => Promise<void> }> {
  const ready = () => existsSync(DIST_INDEX) && existsSync(path.join(ROOT, 'dist', 'index.mjs'));
  // index.mjs is written last by scripts/build.mjs: wait out a build that is under way.
  for (let i = 0; i < 300 && !ready(); i++) await new Promise((r) => setTimeout(r, 100));
  if (!ready()) {
    const r = await run(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs')], {}, 120_000);
    expect(r.code, r.stderr).toBe(0);
  }
  const copy = await fsp.mkdtemp(path.join(os.tmpdir(), 'dk-tpm-dist-'));
  await fsp.cp(path.join(ROOT, 'dist'), path.join(copy, 'dist'), { recursive: true });
  await fsp.copyFile(path.join(ROOT, 'package.json'), path.join(copy, 'package.json'));
  await fsp.symlink(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'));
  await fsp.symlink(path.join(ROOT, 'build'), path.join(copy, 'build'));
  const index = path.join(copy, 'dist', 'index.js');
  expect(existsSync(index)).toBe(true);
  return { index, cleanup: () => fsp.rm(copy, { recursive: true, force: true }) };
}

/**
 * Every Keystore a test file opens, so that all of them can be closed before an outside tool
 * (tpm2-openssl, tpm2-tools) needs the TPM's few object slots: the native layer shares one
 * TPM context per TCTI per process, and it only lets go of its objects when the last user closes.
 */
export class Stores {
  private readonly open = new Set<Keystore>();

  async add(opts: OpenOptions): Promise<Keystore> {
    const ks = await Keystore.open(opts);
    this.open.add(ks);
    return ks;
  }

  async close(ks: Keystore): Promise<void> {
    this.open.delete(ks);
    await ks.close();
  }

  async closeAll(): Promise<void> {
    const all = [...this.open];
    this.open.clear();
    await Promise.all(all.map((ks) => ks.close()));
  }
}

// ---- errors and timing --------------------------------------------------------------------

/** Rejects if `p` has not settled after `ms`: proves that nothing hangs, without timing asserts. */
export async function withTimeout<T>(p: Promise<T>, ms: number, label: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${label}: still pending after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, guard]);
  } finally {
    clearTimeout(timer);
  }
}

// ---- outside programs ---------------------------------------------------------------------

export interface ToolResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a program (async, so the event loop keeps serving the TPM's callbacks meanwhile). */
export function run(
  file: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs = 20_000,
): Promise<ToolResult> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        const e = err as (Error & { code?: number | string; signal?: NodeJS.Signals }) | null;
        resolve({
          code: e ? (typeof e.code === 'number' ? e.code : -1) : 0,
          signal: e?.signal ?? null,
          stdout: String(stdout),
          stderr: String(stderr),
        });
      },
    );
  });
}

/** Runs a program that must succeed; fails the test with its stderr otherwise. */
export async function runOk(
  file: string,
  args: string[],
  env: Record<string, string>,
): Promise<string> {
  const r = await run(file, args, env);
  expect(r.code, `${file} ${args.join(' ')}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

/** openssl with the tpm2-openssl provider talking to `tcti`. */
export function openssl(tcti: string, args: string[]): Promise<ToolResult> {
  return run('openssl', args, { TPM2OPENSSL_TCTI: tcti, TSS2_LOG: 'all+none' });
}

export const TPM2_PROVIDER = ['-provider', 'tpm2', '-provider', 'base'];

/**
 * A P-256 key made inside the TPM by `openssl genpkey -provider tpm2` (tpm2-openssl), written to
 * `file`; `extra` adds -pkeyopt pairs (user-auth). Returns the TSS2 PEM.
 */
export async function tpm2Genpkey(
  tcti: string,
  file: string,
  extra: string[] = [],
): Promise<string> {
  const r = await openssl(tcti, [
    ...['genpkey', ...TPM2_PROVIDER, '-algorithm', 'EC', '-pkeyopt', 'group:P-256'],
    ...extra,
    ...['-out', file],
  ]);
  if (r.code !== 0) throw new Error(`openssl genpkey -provider tpm2 failed: ${r.stderr}`);
  return fsp.readFile(file, 'utf8');
}

/** A tpm2-tools command talking to `tcti`. */
export function tpm2(tcti: string, tool: string, args: string[]): Promise<ToolResult> {
  return run(tool, args, { TPM2TOOLS_TCTI: tcti, TSS2_LOG: 'all+none' });
}

export interface NodeResult extends ToolResult {
  json?: unknown;
}

/** `node <script> <args>`; stdout parsed as JSON when it is JSON. */
export function runNodeScript(
  script: string,
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 30_000,
): Promise<NodeResult> {
  return new Promise((resolve, reject) => {
    const childEnv: NodeJS.ProcessEnv = { TSS2_LOG: 'all+none' };
    for (const [k, v] of Object.entries(process.env)) {
      // Store settings never leak in; the choice of addon binary (node-gyp-build) does.
      if (!k.startsWith('DEVICE_KEYSTORE_') || k === 'DEVICE_KEYSTORE_PREBUILD') childEnv[k] = v;
    }
    const child = spawn(process.execPath, [script, ...args], {
      env: { ...childEnv, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      let json: unknown;
      try {
        json = JSON.parse(stdout);
      } catch {
        json = undefined;
      }
      resolve({ code, signal, stdout, stderr, json });
    });
  });
}

/** A loopback port that nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

// ---- signatures ---------------------------------------------------------------------------

// derToRS and p1363ToRS: the independent signature parsers of the API tests.
export { derToRS, p1363ToRS } from './api';

/** DER of (r, s), for handing a P1363 signature to `openssl dgst -verify`. */
export function rsToDer(r: bigint, s: bigint): Buffer {
  const int = (v: bigint) => {
    let hex = v.toString(16);
    if (hex.length % 2) hex = '0' + hex;
    let b = Buffer.from(hex, 'hex');
    if (b[0]! & 0x80) b = Buffer.concat([Buffer.of(0), b]);
    return Buffer.concat([Buffer.of(0x02, b.length), b]);
  };
  const body = Buffer.concat([int(r), int(s)]);
  return Buffer.concat([Buffer.of(0x30, body.length), body]);
}

/** node:crypto's own verdict on an ECDSA-SHA256 signature over `msg`. */
export function nodeVerifies(
  key: KeyObject | string,
  msg: Buffer | string,
  sig: Buffer,
  format: 'der' | 'p1363' = 'der',
): boolean {
  const pub = typeof key === 'string' ? createPublicKey(key) : key;
  return nodeVerify(
    'sha256',
    Buffer.from(msg),
    { key: pub, dsaEncoding: format === 'der' ? 'der' : 'ieee-p1363' },
    sig,
  );
}

export function sha256(data: string | Uint8Array): Buffer {
  return createHash('sha256').update(data).digest();
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

// ---- records ------------------------------------------------------------------------------

// The record checksum covers the same canonical form the API tests use.
export { canonical };

/** Edits a JSON record and writes it back with a checksum that matches the edit. */
export async function rewriteRecord(
  file: string,
  edit: (body: Record<string, any>) => void,
): Promise<void> {
  const { checksum: _old, ...body } = JSON.parse(await fsp.readFile(file, 'utf8'));
  edit(body);
  const checksum = sha256Hex(canonical(body));
  await fsp.writeFile(file, JSON.stringify({ ...body, checksum }, null, 2) + '\n', { mode: 0o600 });
}

// ---- TSS2 PRIVATE KEY (DER) ---------------------------------------------------------------

const PEM_RE =
  /-----BEGIN TSS2 PRIVATE KEY-----\n([A-Za-z0-9+/=\n]+)-----END TSS2 PRIVATE KEY-----/;

export function pemToDer(pem: string): Buffer {
  const m = PEM_RE.exec(pem);
  if (!m) throw new Error('not a TSS2 PRIVATE KEY PEM');
  return Buffer.from(m[1]!.replace(/\n/g, ''), 'base64');
}

export function derToPem(der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g)!;
  return `-----BEGIN TSS2 PRIVATE KEY-----\n${lines.join('\n')}\n-----END TSS2 PRIVATE KEY-----\n`;
}

export interface Tlv {
  tag: number;
  /** The whole element: tag, length and body. */
  raw: Buffer;
  body: Buffer;
}

/** One DER element at `off` (short or long form length). */
export function readTlv(buf: Buffer, off: number): Tlv {
  const tag = buf[off]!;
  let len = buf[off + 1]!;
  let hdr = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[off + 2 + i]!;
    hdr = 2 + n;
  }
  const end = off + hdr + len;
  if (end > buf.length) throw new Error('DER element runs past the end');
  return { tag, raw: buf.subarray(off, end), body: buf.subarray(off + hdr, end) };
}

/** The elements of a SEQUENCE body, in order. */
export function children(body: Buffer): Tlv[] {
  const out: Tlv[] = [];
  for (let off = 0; off < body.length; ) {
    const el = readTlv(body, off);
    out.push(el);
    off += el.raw.length;
  }
  return out;
}

export function tlv(tag: number, body: Buffer): Buffer {
  let len: Buffer;
  if (body.length < 0x80) len = Buffer.of(body.length);
  else if (body.length < 0x100) len = Buffer.of(0x81, body.length);
  else len = Buffer.of(0x82, body.length >> 8, body.length & 0xff);
  return Buffer.concat([Buffer.of(tag), len, body]);
}

export interface TpmKeyFile {
  oid: Buffer;
  /** Optional [n] EXPLICIT fields, as whole elements, in file order. */
  tagged: Tlv[];
  parent: number;
  parentBody: Buffer;
  pub: Buffer;
  priv: Buffer;
}

/** Splits a TPMKey SEQUENCE into its fields (independent of src/crypto/tss2-pem.ts). */
export function splitKeyFile(der: Buffer): TpmKeyFile {
  const outer = readTlv(der, 0);
  expect(outer.tag).toBe(0x30);
  expect(outer.raw.length).toBe(der.length);
  const els = children(outer.body);
  const oid = els.shift()!;
  expect(oid.tag).toBe(0x06);
  const tagged: Tlv[] = [];
  while (els[0] && (els[0].tag & 0xe0) === 0xa0) tagged.push(els.shift()!);
  const [parent, pub, priv] = els;
  expect(els.length).toBe(3);
  expect([parent!.tag, pub!.tag, priv!.tag]).toEqual([0x02, 0x04, 0x04]);
  let p = 0;
  for (const b of parent!.body) p = p * 256 + b;
  return {
    oid: oid.body,
    tagged,
    parent: p % 2 ** 32,
    parentBody: parent!.body,
    pub: pub!.body,
    priv: priv!.body,
  };
}

/** INTEGER body of an unsigned 32-bit handle (leading 00 when the top bit is set). */
export function handleBody(handle: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(handle);
  let i = 0;
  while (i < 3 && b[i] === 0) i++;
  const minimal = b.subarray(i);
  return minimal[0]! & 0x80 ? Buffer.concat([Buffer.of(0), minimal]) : Buffer.from(minimal);
}

/** Re-encodes a TPMKey from parts; `tagged` are whole [n] elements. */
export function buildKeyFile(parts: {
  oid: Buffer;
  tagged: Buffer[];
  parentBody: Buffer;
  pub: Buffer;
  priv: Buffer;
}): Buffer {
  return tlv(
    0x30,
    Buffer.concat([
      tlv(0x06, parts.oid),
      ...parts.tagged,
      tlv(0x02, parts.parentBody),
      tlv(0x04, parts.pub),
      tlv(0x04, parts.priv),
    ]),
  );
}

// ---- TPM2B_PUBLIC (ECC) -------------------------------------------------------------------

export interface EccPublic {
  type: number;
  nameAlg: number;
  attributes: number;
  curve: number;
  /** 0x04 ‖ x ‖ y */
  point: Buffer;
  /** Byte offset of the attributes inside the TPM2B (size prefix included). */
  attributesOffset: number;
  /** Byte offset of x inside the TPM2B. */
  xOffset: number;
}

/** Reads an ECC TPM2B_PUBLIC (TPM 2.0 Part 2: TPMT_PUBLIC, TPMS_ECC_PARMS, TPMS_ECC_POINT). */
export function readEccPublic(tpm2b: Buffer): EccPublic {
  expect(tpm2b.readUInt16BE(0)).toBe(tpm2b.length - 2);
  let o = 2;
  const u16 = () => {
    const v = tpm2b.readUInt16BE(o);
    o += 2;
    return v;
  };
  const type = u16();
  const nameAlg = u16();
  const attributesOffset = o;
  const attributes = tpm2b.readUInt32BE(o);
  o += 4;
  const policyLength = u16();
  o += policyLength; // authPolicy
  const sym = u16();
  if (sym !== 0x0010) o += 4; // keyBits, mode
  const scheme = u16();
  if (scheme !== 0x0010) o += scheme === 0x001a ? 4 : 2;
  const curve = u16();
  const kdf = u16();
  if (kdf !== 0x0010) o += 2;
  const xLen = u16();
  const xOffset = o;
  const x = tpm2b.subarray(o, o + xLen);
  o += xLen;
  const yLen = u16();
  const y = tpm2b.subarray(o, o + yLen);
  o += yLen;
  expect(o).toBe(tpm2b.length);
  expect([xLen, yLen]).toEqual([32, 32]);
  return {
    type,
    nameAlg,
    attributes,
    curve,
    point: Buffer.concat([Buffer.of(4), x, y]),
    attributesOffset,
    xOffset,
  };
}

/** SPKI PEM of a raw uncompressed P-256 point, through node:crypto. */
export function pemOfPoint(point: Buffer): string {
  return createPublicKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: point.subarray(1, 33).toString('base64url'),
      y: point.subarray(33).toString('base64url'),
    },
    format: 'jwk',
  })
    .export({ type: 'spki', format: 'pem' })
    .toString();
}
