import { KeyObject, createPublicKey, type JsonWebKey, type webcrypto } from 'node:crypto';
import { types } from 'node:util';
import { invalidArgument, received, shown, type KeystoreError } from '../core/errors';

/**
 * P-256 public keys. Every peer key is validated here, in TypeScript, before it reaches a TPM, the
 * Secure Enclave or OpenSSL: some of those only check what their own parser happens to check, and
 * an off-curve point handed to an ECDH implementation can leak the private key (invalid-curve
 * attack).
 */

/**
 * Everything that names a P-256 public key: one of our keys, a node:crypto KeyObject, a WebCrypto
 * CryptoKey, PEM (string or bytes), a JWK, SPKI DER, or a raw SEC 1 point (65 bytes
 * uncompressed, 33 compressed). Bytes may come as any ArrayBufferView or an ArrayBuffer.
 */
export type PublicKeyInput =
  | LibraryKey
  | KeyObject
  | webcrypto.CryptoKey
  | ArrayBufferView
  | ArrayBuffer
  | string
  | JsonWebKey;
export type PublicKeyFormat = 'spki' | 'pem' | 'jwk' | 'raw';

/**
 * One of this library's keys (DeviceKey, SessionKey). Named by shape so this floor imports
 * nothing above it; only objects that registered their point (registerDevicePoint) are read as
 * keys, so another object of this shape is refused like any unknown value.
 */
export interface LibraryKey {
  exportPublicKey(format: PublicKeyFormat): unknown;
}

/** Field prime and curve constant b of y² = x³ − 3x + b (SEC 2, secp256r1). */
const P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
const B = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn;

const COORD_BYTES = 32;
const RAW_BYTES = 1 + 2 * COORD_BYTES;

const OID_EC_PUBLIC_KEY = Buffer.from('2a8648ce3d0201', 'hex'); // 1.2.840.10045.2.1
const OID_PRIME256V1 = Buffer.from('2a8648ce3d030107', 'hex'); // 1.2.840.10045.3.1.7

/** DER is canonical, so the SPKI of an uncompressed named-curve P-256 key has exactly this prefix. */
const SPKI_PREFIX = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex');

const PEM_PATTERN =
  /^\s*-----BEGIN PUBLIC KEY-----\r?\n((?:[A-Za-z0-9+/=]+\r?\n)+)-----END PUBLIC KEY-----\s*$/;

/** Algorithm and curve OIDs (DER bodies, hex), only to name what was refused. */
const ALGORITHM_NAMES: Record<string, string> = {
  '2a864886f70d010101': 'RSA',
  '2a864886f70d01010a': 'RSA-PSS',
  '2a8648ce380401': 'DSA',
  '2a864886f70d010301': 'DH',
  '2a8648ce3e0201': 'DH',
  '2b656e': 'X25519',
  '2b656f': 'X448',
  '2b6570': 'Ed25519',
  '2b6571': 'Ed448',
  '2a811ccf5501822d': 'SM2',
};
const CURVE_NAMES: Record<string, string> = {
  '2a8648ce3d030101': 'prime192v1 (P-192)',
  '2b81040021': 'secp224r1 (P-224)',
  '2b81040022': 'secp384r1 (P-384)',
  '2b81040023': 'secp521r1 (P-521)',
  '2b8104000a': 'secp256k1',
  '2b2403030208010107': 'brainpoolP256r1',
};
/** node's asymmetricKeyType values, as people write them. */
const KEY_TYPE_NAMES: Record<string, string> = {
  rsa: 'RSA',
  'rsa-pss': 'RSA-PSS',
  dsa: 'DSA',
  dh: 'DH',
  ec: 'EC',
  ed25519: 'Ed25519',
  ed448: 'Ed448',
  x25519: 'X25519',
  x448: 'X448',
};

const EXPECTED = 'an EC P-256 public key (id-ecPublicKey on the named curve prime256v1)';
const PRIVATE_HINT =
  'pass only the public half, e.g. crypto.createPublicKey(privateKey) or the CryptoKeyPair publicKey';

/** "an RSA", "a DSA", "an Ed25519", "a secret": enough English for the names above. */
function withArticle(label: string): string {
  return /^([AEFHILMNORSX]|[aeiou])/.test(label) ? `an ${label}` : `a ${label}`;
}

/** The one refusal for a key of the wrong kind: what we take, and what we got. */
function refused(what: string, got: string, hint?: string): KeystoreError {
  return invalidArgument(`${what} must be ${EXPECTED}; got ${got}`, hint);
}

function oidToDotted(body: Uint8Array): string {
  const arcs: number[] = [];
  let v = 0;
  for (const byte of body) {
    v = v * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      arcs.push(v);
      v = 0;
    }
  }
  const first = arcs.shift() ?? 0;
  const head = first < 80 ? [Math.floor(first / 40), first % 40] : [2, first - 80];
  return [...head, ...arcs].join('.');
}

function oidLabel(body: Buffer, names: Record<string, string>, kind: string): string {
  return names[body.toString('hex')] ?? `${kind} ${oidToDotted(body)}`;
}

const TAG_BIT_STRING = 0x03;
const TAG_OID = 0x06;
const TAG_SEQUENCE = 0x30;

export interface DerElement {
  tag: number;
  body: Buffer;
  /** Offset just past this element in the buffer it was read from. */
  end: number;
}

/**
 * Reads one DER element at `offset`: single-byte tag, definite length in its shortest form.
 * BER leniency (indefinite or padded lengths) is refused because it lets one value have several
 * encodings, which is how signature malleability and parser-differential bugs get in.
 * Shared with ecdsa.ts.
 */
export function readDerElement(buf: Uint8Array, offset: number, what: string): DerElement {
  if (offset + 2 > buf.length) throw invalidArgument(`${what}: truncated DER element`);
  const tag = buf[offset]!;
  const first = buf[offset + 1]!;
  let start = offset + 2;
  let length = first;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0) throw invalidArgument(`${what}: indefinite DER length is not allowed`);
    if (count > 4 || start + count > buf.length) {
      throw invalidArgument(`${what}: truncated or oversized DER length`);
    }
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + buf[start + i]!;
    if (buf[start] === 0 || length < 0x80) {
      throw invalidArgument(`${what}: DER length is not in its shortest form`);
    }
    start += count;
  }
  if (start + length > buf.length) throw invalidArgument(`${what}: truncated DER element`);
  return { tag, body: Buffer.from(buf.subarray(start, start + length)), end: start + length };
}

function expectTag(el: DerElement, tag: number, what: string): DerElement {
  if (el.tag !== tag) {
    throw invalidArgument(`${what}: expected DER tag 0x${hex2(tag)}, got 0x${hex2(el.tag)}`);
  }
  return el;
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

function mod(a: bigint): bigint {
  const r = a % P;
  return r < 0n ? r + P : r;
}

function modPow(base: bigint, exp: bigint): bigint {
  let result = 1n;
  let b = mod(base);
  for (let e = exp; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % P;
    b = (b * b) % P;
  }
  return result;
}

/** x³ − 3x + b mod p: the y² a point with this x must have. */
function curveRhs(x: bigint): bigint {
  return mod(x * x * x - 3n * x + B);
}

function bytesToBigint(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt('0x' + Buffer.from(bytes).toString('hex'));
}

function coordToBytes(v: bigint): Buffer {
  return Buffer.from(v.toString(16).padStart(COORD_BYTES * 2, '0'), 'hex');
}

/**
 * Checks coordinates and the curve equation. The cofactor of P-256 is 1, so any point on the
 * curve is in the prime-order group; affine coordinates cannot express the point at infinity.
 */
function validatedRaw(x: Uint8Array, y: Uint8Array): Buffer {
  const xi = bytesToBigint(x);
  const yi = bytesToBigint(y);
  if (xi >= P || yi >= P)
    throw invalidArgument('public key coordinate is not below the field prime p');
  if (mod(yi * yi) !== curveRhs(xi))
    throw invalidArgument('public key point is not on the P-256 curve');
  return Buffer.concat([Buffer.of(0x04), x, y]);
}

/**
 * Compressed points are accepted (Wycheproof marks them `acceptable`): SEC 1 allows them, and
 * decompression cannot produce an off-curve point because the square root is checked. x values
 * with no square root (twist points, Wycheproof InvalidCompressedPublic) are refused.
 */
function decompress(prefix: number, xBytes: Uint8Array): Buffer {
  const x = bytesToBigint(xBytes);
  if (x >= P) throw invalidArgument('public key coordinate is not below the field prime p');
  const rhs = curveRhs(x);
  // p ≡ 3 (mod 4), so a square root, when one exists, is rhs^((p+1)/4).
  let y = modPow(rhs, (P + 1n) / 4n);
  if ((y * y) % P !== rhs) throw invalidArgument('compressed public key x has no point on P-256');
  // y is never 0: that would be a point of order 2, and the group order n is odd.
  if ((y & 1n) !== BigInt(prefix & 1)) y = P - y;
  return Buffer.concat([Buffer.of(0x04), xBytes, coordToBytes(y)]);
}

/** SEC 1 point encoding: 0x04‖x‖y or 0x02/0x03‖x. Hybrid (0x06/0x07) encodings are refused. */
function parseEncodedPoint(point: Uint8Array): Buffer {
  const prefix = point[0];
  if (prefix === 0x04 && point.length === RAW_BYTES) {
    return validatedRaw(point.subarray(1, 33), point.subarray(33));
  }
  if ((prefix === 0x02 || prefix === 0x03) && point.length === 1 + COORD_BYTES) {
    return decompress(prefix, point.subarray(1));
  }
  if (prefix === 0x00) throw invalidArgument('public key is the point at infinity');
  throw invalidArgument(
    'public key point must be 65 bytes (0x04‖x‖y) or 33 bytes (0x02/0x03‖x) on P-256',
  );
}

/**
 * SubjectPublicKeyInfo restricted to id-ecPublicKey with the named curve prime256v1. `what` and
 * `form` name the input in refusals ("public key", "KeyObject").
 */
function parseSpki(der: Uint8Array, what: string, form = 'SPKI'): Buffer {
  const outer = expectTag(readDerElement(der, 0, 'SPKI'), TAG_SEQUENCE, 'SPKI');
  if (outer.end !== der.length) throw invalidArgument('SPKI: trailing bytes after the structure');
  const alg = expectTag(
    readDerElement(outer.body, 0, 'SPKI algorithm'),
    TAG_SEQUENCE,
    'SPKI algorithm',
  );
  const bits = expectTag(
    readDerElement(outer.body, alg.end, 'SPKI key'),
    TAG_BIT_STRING,
    'SPKI key',
  );
  if (bits.end !== outer.body.length) throw invalidArgument('SPKI: unexpected extra fields');
  checkAlgorithm(alg.body, what, form);
  if (bits.body[0] !== 0) throw invalidArgument('SPKI key: BIT STRING must have 0 unused bits');
  return parseEncodedPoint(bits.body.subarray(1));
}

function checkAlgorithm(body: Buffer, what: string, form: string): void {
  const oid = expectTag(readDerElement(body, 0, 'SPKI algorithm'), TAG_OID, 'SPKI algorithm');
  if (!oid.body.equals(OID_EC_PUBLIC_KEY)) {
    throw refused(what, `${withArticle(oidLabel(oid.body, ALGORITHM_NAMES, 'algorithm'))} ${form}`);
  }
  const params = readDerElement(body, oid.end, 'SPKI curve');
  if (params.tag === TAG_SEQUENCE) {
    throw invalidArgument(
      'SPKI: explicit curve parameters are refused; use named curve prime256v1',
    );
  }
  if (params.tag !== TAG_OID || !params.body.equals(OID_PRIME256V1)) {
    const curve = params.tag === TAG_OID ? oidLabel(params.body, CURVE_NAMES, 'curve') : 'no curve';
    throw refused(what, `an EC ${form} on ${curve}`);
  }
  if (params.end !== body.length) throw invalidArgument('SPKI algorithm: unexpected extra fields');
}

function parsePem(pem: string, what: string): Buffer {
  const m = PEM_PATTERN.exec(pem);
  if (!m) {
    const label = /-----BEGIN ([A-Z0-9 ]+)-----/.exec(pem)?.[1];
    const got = label ? `a "${label}" block` : 'a string that is not PEM';
    throw invalidArgument(
      `${what}: PEM must be exactly one '-----BEGIN PUBLIC KEY-----' block; got ${got}`,
      label === 'CERTIFICATE' ? 'use new crypto.X509Certificate(pem).publicKey' : undefined,
    );
  }
  const b64 = m[1]!.replace(/\r?\n/g, '');
  const der = Buffer.from(b64, 'base64');
  // Buffer's decoder skips junk silently; the round trip makes the encoding canonical.
  if (der.toString('base64') !== b64) throw invalidArgument('PEM body is not canonical base64');
  return parseSpki(der, what, 'PEM key');
}

function decodeJwkCoord(value: unknown, name: string): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'base64url') : undefined;
  if (!bytes || bytes.length !== COORD_BYTES || bytes.toString('base64url') !== value) {
    throw invalidArgument(`JWK ${name} must be base64url (no padding) of exactly 32 bytes`);
  }
  return bytes;
}

function parseJwk(jwk: JsonWebKey, what: string): Buffer {
  // A peer key never carries d; refusing it keeps private material from travelling by mistake.
  if (jwk.d !== undefined) refusedPrivate(what, 'a private JWK (it contains "d")');
  if (jwk.kty !== 'EC') {
    const crv = typeof jwk.crv === 'string' ? ` and crv ${shown(jwk.crv)}` : '';
    throw refused(what, `a JWK with kty ${shown(jwk.kty)}${crv}`);
  }
  if (jwk.crv !== 'P-256') throw refused(what, `an EC JWK with crv ${shown(jwk.crv)}`);
  return validatedRaw(decodeJwkCoord(jwk.x, 'x'), decodeJwkCoord(jwk.y, 'y'));
}

function refusedPrivate(what: string, got: string): never {
  throw refused(what, got, PRIVATE_HINT);
}

/**
 * A KeyObject, validated without reading `asymmetricKeyDetails`: node 20 aborts the process
 * (a C++ assertion) when asked for the details, or a JWK export, of an EC key whose point is
 * empty, and createPublicKey accepts such an SPKI. The type and an SPKI export are safe to ask
 * for; the export is then parsed and the point checked like any other input.
 */
export function rawFromPublicKeyObject(
  k: KeyObject,
  what = 'public key',
  form = 'KeyObject',
): Buffer {
  // A KeyObject cannot change, so one that passed once passes again: a server verifying
  // per request pays the export and the point check once per key, not per signature.
  const known = checkedKeyObjects.get(k);
  if (known) return Buffer.from(known);
  const raw = checkKeyObject(k, what, form);
  checkedKeyObjects.set(k, raw);
  return Buffer.from(raw);
}

const checkedKeyObjects = new WeakMap<KeyObject, Buffer>();

function checkKeyObject(k: KeyObject, what: string, form: string): Buffer {
  if (!types.isKeyObject(k)) throw invalidArgument(`${what}: expected a KeyObject. ${received(k)}`);
  if (k.type === 'private') refusedPrivate(what, `a private ${form}`);
  if (k.type !== 'public') throw refused(what, `${withArticle(k.type)} ${form}`);
  const type = k.asymmetricKeyType;
  if (type !== 'ec') {
    throw refused(what, `${withArticle(KEY_TYPE_NAMES[type ?? ''] ?? String(type))} ${form}`);
  }
  let der: Buffer;
  try {
    der = k.export({ format: 'der', type: 'spki' });
  } catch (err) {
    const why = (err as { code?: unknown }).code ?? (err as Error).message;
    throw refused(what, `an EC ${form} that OpenSSL cannot export (${String(why)})`);
  }
  return parseSpki(der, what, form);
}

/** A WebCrypto key: only a public ECDSA or ECDH key on P-256, read through KeyObject.from. */
function rawFromCryptoKey(k: webcrypto.CryptoKey, what: string): Buffer {
  const alg = k.algorithm as { name?: unknown; namedCurve?: unknown };
  const label = [alg.name, alg.namedCurve].filter((v) => typeof v === 'string').join(' ');
  if (k.type === 'private') refusedPrivate(what, `a private CryptoKey (${label})`);
  if (k.type !== 'public') throw refused(what, `${withArticle(k.type)} CryptoKey (${label})`);
  if ((alg.name !== 'ECDSA' && alg.name !== 'ECDH') || alg.namedCurve !== 'P-256') {
    throw refused(what, `${withArticle(label)} CryptoKey`);
  }
  return rawFromPublicKeyObject(KeyObject.from(k), what, 'CryptoKey');
}

function parseBytes(bytes: Uint8Array, what: string): Buffer {
  if (bytes[0] === TAG_SEQUENCE) return parseSpki(bytes, what);
  if (bytes[0] === 0x2d /* '-' */) return parsePem(Buffer.from(bytes).toString('latin1'), what);
  return parseEncodedPoint(bytes);
}

/** DeviceKeys register their (already validated) point here: a brand nothing else can forge. */
const devicePoints = new WeakMap<object, Buffer>();

export function registerDevicePoint(owner: object, raw65: Buffer): void {
  devicePoints.set(owner, checkedRaw(raw65));
}

function isJwkLike(v: object): v is JsonWebKey {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * The one door for public keys: every entry that takes one (verify(), DeviceKey.ecdh(), stored
 * records) comes through here. Any supported form → validated 65-byte uncompressed point; any
 * other value → E_INVALID_ARGUMENT naming what it was. Private keys are refused in every form,
 * never reduced to their public half, so private material is never used by mistake.
 */
export function parsePeerPublicKey(input: PublicKeyInput, what = 'public key'): Buffer {
  if (typeof input === 'string') return parsePem(input, what);
  if (typeof input === 'object' && input !== null) {
    const known = devicePoints.get(input);
    if (known) return Buffer.from(known);
    if (input instanceof Uint8Array) return parseBytes(input, what);
    if (ArrayBuffer.isView(input)) {
      return parseBytes(new Uint8Array(input.buffer, input.byteOffset, input.byteLength), what);
    }
    if (types.isAnyArrayBuffer(input)) return parseBytes(new Uint8Array(input), what);
    if (types.isKeyObject(input)) return rawFromPublicKeyObject(input as KeyObject, what);
    if (types.isCryptoKey(input)) return rawFromCryptoKey(input as webcrypto.CryptoKey, what);
    if (isJwkLike(input)) return parseJwk(input, what);
  }
  throw invalidArgument(
    `${what} must be a DeviceKey, KeyObject, CryptoKey, PEM, JWK, SPKI DER or raw P-256 point. ${received(input)}`,
  );
}

/** The exporters accept only a valid uncompressed point, so they never emit a bad key. */
function checkedRaw(raw65: Uint8Array): Buffer {
  if (!(raw65 instanceof Uint8Array) || raw65.length !== RAW_BYTES || raw65[0] !== 0x04) {
    throw invalidArgument('raw public key must be a 65-byte uncompressed point (0x04‖x‖y)');
  }
  return parseEncodedPoint(raw65);
}

export function jwkFromRaw(raw65: Uint8Array): JsonWebKey {
  const raw = checkedRaw(raw65);
  return {
    kty: 'EC',
    crv: 'P-256',
    x: raw.subarray(1, 33).toString('base64url'),
    y: raw.subarray(33).toString('base64url'),
  };
}

export function publicKeyObjectFromRaw(raw65: Uint8Array): KeyObject {
  return createPublicKey({ key: jwkFromRaw(raw65), format: 'jwk' });
}

export function spkiDerFromRaw(raw65: Uint8Array): Buffer {
  return Buffer.concat([SPKI_PREFIX, checkedRaw(raw65)]);
}

/** Same layout as node:crypto's own export: 64-column body, trailing newline. */
export function pemFromRaw(raw65: Uint8Array): string {
  const lines = spkiDerFromRaw(raw65)
    .toString('base64')
    .match(/.{1,64}/g)!;
  return `-----BEGIN PUBLIC KEY-----\n${lines.join('\n')}\n-----END PUBLIC KEY-----\n`;
}

export function exportPublicKey(raw65: Uint8Array, format: 'spki' | 'raw'): Buffer;
export function exportPublicKey(raw65: Uint8Array, format: 'pem'): string;
export function exportPublicKey(raw65: Uint8Array, format: 'jwk'): JsonWebKey;
export function exportPublicKey(
  raw65: Uint8Array,
  format: PublicKeyFormat,
): Buffer | string | JsonWebKey;
export function exportPublicKey(
  raw65: Uint8Array,
  format: PublicKeyFormat,
): Buffer | string | JsonWebKey {
  switch (format) {
    case 'spki':
      return spkiDerFromRaw(raw65);
    case 'pem':
      return pemFromRaw(raw65);
    case 'jwk':
      return jwkFromRaw(raw65);
    case 'raw':
      return checkedRaw(raw65);
    default:
      throw invalidArgument(`unknown public key format ${shown(format)}`);
  }
}
