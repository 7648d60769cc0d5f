import { KeyObject, verify as cryptoVerify } from 'node:crypto';
import { p256 } from '@noble/curves/p256';
import { invalidArgument } from '../core/errors';
import { rawFromPublicKeyObject, readDerElement } from './p256';
import { type SignatureFormat } from '../core/inputs';

/**
 * ECDSA P-256 signature encodings. Parsing is strict in both formats so that one (r, s) has
 * exactly one accepted encoding per format: no BER variants, no out-of-range scalars.
 */

export interface RawSignature {
  r: bigint;
  s: bigint;
}

export const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const HALF_N = P256_N >> 1n;

const SCALAR_BYTES = 32;
const DIGEST_BYTES = 32;
const TAG_INTEGER = 0x02;
const TAG_SEQUENCE = 0x30;

function isScalar(v: unknown): boolean {
  return typeof v === 'bigint' && v >= 1n && v < P256_N;
}

function assertScalars(r: bigint, s: bigint, what: string): void {
  if (!isScalar(r) || !isScalar(s)) {
    throw invalidArgument(`${what}: r and s must be integers in [1, n-1]`);
  }
}

function bytesToBigint(bytes: Uint8Array): bigint {
  return BigInt('0x' + Buffer.from(bytes).toString('hex'));
}

function scalarToBytes(v: bigint): Buffer {
  return Buffer.from(v.toString(16).padStart(SCALAR_BYTES * 2, '0'), 'hex');
}

function assertBytes(value: unknown, what: string): void {
  if (!(value instanceof Uint8Array)) throw invalidArgument(`${what} must be a Uint8Array`);
}

function assertFormat(format: unknown): asserts format is SignatureFormat {
  if (format !== 'der' && format !== 'p1363') {
    throw invalidArgument(
      `signature format must be 'der' or 'p1363', got ${JSON.stringify(format)}`,
    );
  }
}

/** A DER INTEGER body that is non-negative and minimally encoded. */
function parseDerInteger(body: Buffer, what: string): bigint {
  if (body.length === 0) throw invalidArgument(`${what}: empty INTEGER`);
  if (body[0]! & 0x80) throw invalidArgument(`${what}: negative INTEGER`);
  if (body[0] === 0 && body.length > 1 && !(body[1]! & 0x80)) {
    throw invalidArgument(`${what}: INTEGER has a superfluous leading zero byte`);
  }
  return bytesToBigint(body);
}

/** r, s < n keep every DER length below 128, so the short length form always suffices. */
function derTlv(tag: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.of(tag, body.length), body]);
}

/** Minimal big-endian bytes, with a 0x00 in front when the top bit would read as negative. */
function encodeDerInteger(v: bigint): Buffer {
  let hex = v.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  if (parseInt(hex.slice(0, 2), 16) & 0x80) hex = '00' + hex;
  return derTlv(TAG_INTEGER, Buffer.from(hex, 'hex'));
}

/** SEQUENCE { INTEGER r, INTEGER s } in strict DER, nothing before or after it. */
export function parseDerSignature(sig: Uint8Array): RawSignature {
  assertBytes(sig, 'DER signature');
  const seq = readDerElement(sig, 0, 'DER signature');
  if (seq.tag !== TAG_SEQUENCE) throw invalidArgument('DER signature: expected a SEQUENCE');
  if (seq.end !== sig.length) throw invalidArgument('DER signature: trailing bytes after SEQUENCE');
  const r = readDerElement(seq.body, 0, 'DER signature r');
  const s = readDerElement(seq.body, r.end, 'DER signature s');
  if (r.tag !== TAG_INTEGER || s.tag !== TAG_INTEGER) {
    throw invalidArgument('DER signature: r and s must be INTEGERs');
  }
  if (s.end !== seq.body.length) throw invalidArgument('DER signature: SEQUENCE has extra fields');
  const result = {
    r: parseDerInteger(r.body, 'DER signature r'),
    s: parseDerInteger(s.body, 'DER signature s'),
  };
  assertScalars(result.r, result.s, 'DER signature');
  return result;
}

/** r‖s, each exactly 32 bytes big-endian. */
export function parseP1363Signature(sig: Uint8Array): RawSignature {
  assertBytes(sig, 'P1363 signature');
  if (sig.length !== 2 * SCALAR_BYTES) {
    throw invalidArgument('P1363 signature must be exactly 64 bytes');
  }
  const r = bytesToBigint(sig.subarray(0, SCALAR_BYTES));
  const s = bytesToBigint(sig.subarray(SCALAR_BYTES));
  assertScalars(r, s, 'P1363 signature');
  return { r, s };
}

export function parseSignature(sig: Uint8Array, format: SignatureFormat): RawSignature {
  assertFormat(format);
  return format === 'der' ? parseDerSignature(sig) : parseP1363Signature(sig);
}

export function encodeDerSignature(r: bigint, s: bigint): Buffer {
  assertScalars(r, s, 'DER signature');
  return derTlv(TAG_SEQUENCE, Buffer.concat([encodeDerInteger(r), encodeDerInteger(s)]));
}

export function encodeP1363Signature(r: bigint, s: bigint): Buffer {
  assertScalars(r, s, 'P1363 signature');
  return Buffer.concat([scalarToBytes(r), scalarToBytes(s)]);
}

/** (r, s) and (r, n − s) both verify; emitting only the low one removes that malleability. */
export function lowS(r: bigint, s: bigint): RawSignature {
  assertScalars(r, s, 'signature');
  return { r, s: s > HALF_N ? P256_N - s : s };
}

const N_BYTES = scalarToBytes(P256_N);
const HALF_N_BYTES = scalarToBytes(HALF_N);

/**
 * A scalar in place: `len` big-endian bytes at `off` in `buf` (the signature itself, or the
 * scratch holding n − s), leading zeros removed. Built as plain literals: object spread here
 * costs more than the rest of the function.
 */
interface ScalarSpan {
  buf: Uint8Array;
  off: number;
  len: number;
}

/**
 * Compare a span with a 32-byte reference whose first byte is non-zero (n and n/2 both are),
 * so a shorter span is always smaller.
 */
function compareSpan(x: ScalarSpan, ref: Buffer): number {
  if (x.len !== SCALAR_BYTES) return x.len < SCALAR_BYTES ? -1 : 1;
  for (let i = 0; i < SCALAR_BYTES; i++) {
    const d = x.buf[x.off + i]! - ref[i]!;
    if (d !== 0) return d;
  }
  return 0;
}

function trimZeros(buf: Uint8Array, off: number, len: number): ScalarSpan {
  while (len > 0 && buf[off] === 0) {
    off++;
    len--;
  }
  return { buf, off, len };
}

/** One minimal, non-negative DER INTEGER at `at`; undefined on any deviation. */
function derIntegerAt(der: Uint8Array, at: number): (ScalarSpan & { next: number }) | undefined {
  if (der[at] !== TAG_INTEGER) return undefined;
  const len = der[at + 1]!;
  const start = at + 2;
  if (len < 1 || len > SCALAR_BYTES + 1 || start + len > der.length) return undefined;
  const first = der[start]!;
  if (first & 0x80) return undefined;
  if (first === 0 && len > 1 && !(der[start + 1]! & 0x80)) return undefined;
  const span = trimZeros(der, start, len);
  return { buf: der, off: span.off, len: span.len, next: start + len };
}

function scalarInRange(x: ScalarSpan): boolean {
  return x.len > 0 && compareSpan(x, N_BYTES) < 0;
}

// finishSignature is synchronous, so one scratch buffer serves every call without allocation.
const negated = new Uint8Array(SCALAR_BYTES);

/** n − x into the scratch buffer (x < n). */
function negate(x: ScalarSpan): ScalarSpan {
  const pad = SCALAR_BYTES - x.len;
  let borrow = 0;
  for (let i = SCALAR_BYTES - 1; i >= 0; i--) {
    const v = i >= pad ? x.buf[x.off + i - pad]! : 0;
    const d = N_BYTES[i]! - v - borrow;
    borrow = d < 0 ? 1 : 0;
    negated[i] = d & 0xff;
  }
  return trimZeros(negated, 0, SCALAR_BYTES);
}

// A byte loop: a subarray() view per copy costs more than the copy itself.
function copySpan(x: ScalarSpan, out: Uint8Array, at: number): void {
  for (let i = 0; i < x.len; i++) out[at + i] = x.buf[x.off + i]!;
}

function derIntegerLength(x: ScalarSpan): number {
  return x.len + (x.buf[x.off]! & 0x80 ? 1 : 0);
}

function writeDerInteger(out: Buffer, pos: number, x: ScalarSpan): number {
  const len = derIntegerLength(x);
  out[pos] = TAG_INTEGER;
  out[pos + 1] = len;
  if (len > x.len) out[pos + 2] = 0;
  copySpan(x, out, pos + 2 + len - x.len);
  return pos + 2 + len;
}

// allocUnsafe takes from node's pool (Buffer.alloc makes a new ArrayBuffer per call); every
// byte of the output is written below.
function encodeScalarSpan(r: ScalarSpan, s: ScalarSpan, format: SignatureFormat): Buffer {
  if (format === 'p1363') {
    const out = Buffer.allocUnsafe(2 * SCALAR_BYTES).fill(0);
    copySpan(r, out, SCALAR_BYTES - r.len);
    copySpan(s, out, 2 * SCALAR_BYTES - s.len);
    return out;
  }
  // At most 2 + 2 + 33 + 2 + 33 = 72 bytes, so every length fits the short form.
  const body = 4 + derIntegerLength(r) + derIntegerLength(s);
  const out = Buffer.allocUnsafe(2 + body);
  out[0] = TAG_SEQUENCE;
  out[1] = body;
  writeDerInteger(out, writeDerInteger(out, 2, r), s);
  return out;
}

/**
 * The one exit for every backend's signature: strict parse and range check, low-S, requested
 * encoding. Backends hand over what they produce natively: r‖s (a TPM) or DER (node:crypto,
 * where asking for P1363 would cost a conversion inside node). This is the signing hot path,
 * so it reads the scalars in place and returns a DER input that is already low-S unchanged (the
 * same buffer). test/ecdsa.test.ts checks it against the bigint path value for value.
 */
export function finishSignature(
  sig: Uint8Array,
  format: SignatureFormat,
  from: SignatureFormat = 'p1363',
): Buffer {
  assertBytes(sig, 'signature');
  assertFormat(format);
  let r: ScalarSpan;
  let s: ScalarSpan;
  if (from === 'der') {
    const seqOk = sig.length >= 8 && sig[0] === TAG_SEQUENCE && sig[1] === sig.length - 2;
    const ri = seqOk ? derIntegerAt(sig, 2) : undefined;
    const si = ri && derIntegerAt(sig, ri.next);
    if (!ri || !si || si.next !== sig.length) {
      throw invalidArgument('signature: not a strict DER ECDSA signature');
    }
    r = ri;
    s = si;
  } else {
    if (sig.length !== 2 * SCALAR_BYTES) {
      throw invalidArgument(`P1363 signature must be 64 bytes, got ${sig.length}`);
    }
    r = trimZeros(sig, 0, SCALAR_BYTES);
    s = trimZeros(sig, SCALAR_BYTES, SCALAR_BYTES);
  }
  if (!scalarInRange(r) || !scalarInRange(s)) {
    throw invalidArgument('signature: r and s must be integers in [1, n-1]');
  }
  const high = compareSpan(s, HALF_N_BYTES) > 0;
  if (from === 'der' && format === 'der' && !high && Buffer.isBuffer(sig)) return sig;
  return encodeScalarSpan(r, high ? negate(s) : s, format);
}

/**
 * Returns false for anything that is not a strictly encoded, valid signature; throws only for
 * caller mistakes (key, data, options). High-S signatures verify: low-S is a property of what we
 * emit, not of ECDSA.
 */
export function verifySignature(
  publicKey: KeyObject,
  data: Uint8Array,
  signature: Uint8Array,
  opts: { format: SignatureFormat; prehashed?: boolean },
): boolean {
  const raw = rawFromPublicKeyObject(publicKey);
  assertBytes(data, 'data');
  assertFormat(opts.format);
  if (opts.prehashed && data.length !== DIGEST_BYTES) {
    throw invalidArgument('prehashed data must be a 32-byte SHA-256 digest');
  }
  if (!opts.prehashed && opts.format === 'der') {
    // The hot path of a server checking signatures: the same strict DER rules as
    // parseDerSignature, read in place, and the bytes handed to OpenSSL as they are. An r or s
    // out of range is a signature OpenSSL finds false, as it should.
    return isStrictDerSignature(signature) && cryptoVerify('sha256', data, publicKey, signature);
  }
  const parsed = tryParse(signature, opts.format);
  if (!parsed) return false;
  const p1363 = encodeP1363Signature(parsed.r, parsed.s);
  if (opts.prehashed) {
    return p256.verify(p1363, data, raw, { prehash: false, lowS: false, format: 'compact' });
  }
  return cryptoVerify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, p1363);
}

/** An INTEGER at `at` in strict DER, 1 to 33 bytes, non-negative; the offset after it, or -1. */
function strictInteger(sig: Uint8Array, at: number, end: number): number {
  if (at + 2 > end || sig[at] !== TAG_INTEGER) return -1;
  const len = sig[at + 1]!;
  const body = at + 2;
  if (len < 1 || len > SCALAR_BYTES + 1 || body + len > end) return -1;
  if (sig[body]! & 0x80) return -1; // negative
  if (sig[body] === 0 && len > 1 && !(sig[body + 1]! & 0x80)) return -1; // superfluous zero
  return body + len;
}

/** SEQUENCE { INTEGER r, INTEGER s } in strict DER (short lengths suffice for P-256). */
function isStrictDerSignature(sig: unknown): sig is Uint8Array {
  if (!(sig instanceof Uint8Array) || sig.length < 8 || sig[0] !== TAG_SEQUENCE) return false;
  if (sig[1] !== sig.length - 2) return false;
  const afterR = strictInteger(sig, 2, sig.length);
  return afterR > 0 && strictInteger(sig, afterR, sig.length) === sig.length;
}

function tryParse(signature: unknown, format: SignatureFormat): RawSignature | undefined {
  if (!(signature instanceof Uint8Array)) return undefined;
  try {
    return parseSignature(signature, format);
  } catch {
    return undefined;
  }
}

/**
 * Signs a precomputed SHA-256 digest, which node:crypto cannot do. Returns low-S r‖s; RFC 6979
 * deterministic nonces mean no randomness source can weaken the key.
 */
export function signDigestWithScalar(digest: Uint8Array, d: Uint8Array): Buffer {
  if (!(digest instanceof Uint8Array) || digest.length !== DIGEST_BYTES) {
    throw invalidArgument('digest must be a 32-byte SHA-256 digest');
  }
  if (!(d instanceof Uint8Array) || d.length !== SCALAR_BYTES) {
    throw invalidArgument('private scalar must be 32 bytes');
  }
  if (!isScalar(bytesToBigint(d))) throw invalidArgument('private scalar must be in [1, n-1]');
  const sig = p256.sign(digest, d, { prehash: false, lowS: true });
  return Buffer.from(sig.toBytes('compact'));
}
