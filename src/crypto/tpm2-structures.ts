import { invalidArgument } from '../core/errors';
import { exportPublicKey } from './p256';

/**
 * Marshal and unmarshal the few TPM 2.0 structures the TPM tier needs, in pure TypeScript.
 * Everything is big-endian, as TPM 2.0 Library Part 2 ("Structures") defines it.
 *
 * The parser is strict on purpose: size prefixes must match exactly, unions are read by their
 * selector and an unknown selector is refused (its payload length is unknown, so guessing
 * would misread everything after it), and no byte may be left over. Parse errors are
 * E_INVALID_ARGUMENT; a caller that read the bytes from a key file maps them to E_CORRUPT.
 */

/** TPM_ALG_ID values used here (Part 2, table "TPM_ALG_ID"; numbering from the TCG registry). */
export const TPM2_ALG = {
  RSA: 0x0001,
  TDES: 0x0003,
  SHA1: 0x0004,
  HMAC: 0x0005,
  AES: 0x0006,
  MGF1: 0x0007,
  KEYEDHASH: 0x0008,
  XOR: 0x000a,
  SHA256: 0x000b,
  SHA384: 0x000c,
  SHA512: 0x000d,
  NULL: 0x0010,
  SM4: 0x0013,
  ECDSA: 0x0018,
  ECDH: 0x0019,
  ECDAA: 0x001a,
  SM2: 0x001b,
  ECSCHNORR: 0x001c,
  ECMQV: 0x001d,
  KDF1_SP800_56A: 0x0020,
  KDF2: 0x0021,
  KDF1_SP800_108: 0x0022,
  ECC: 0x0023,
  SYMCIPHER: 0x0025,
  CAMELLIA: 0x0026,
  CFB: 0x0043,
} as const;

/** TPM_ECC_CURVE. */
export const TPM2_ECC_NIST_P256 = 0x0003;

/** TPMA_OBJECT bits (Part 2, "TPMA_OBJECT (Object Attributes)"). */
export const TPMA_OBJECT = {
  fixedTPM: 1 << 1,
  stClear: 1 << 2,
  fixedParent: 1 << 4,
  sensitiveDataOrigin: 1 << 5,
  userWithAuth: 1 << 6,
  adminWithPolicy: 1 << 7,
  noDA: 1 << 10,
  encryptedDuplication: 1 << 11,
  restricted: 1 << 16,
  decrypt: 1 << 17,
  sign: 1 << 18,
} as const;

/**
 * Our keys: sign | decrypt | fixedTPM | fixedParent | sensitiveDataOrigin | userWithAuth | noDA.
 * sign+decrypt with scheme NULL lets one key do ECDSA and ECDH (DESIGN §4).
 */
export const KEY_ATTRIBUTES = 0x00060472;

/** What tpm2-openssl and other tools give their keys: the same without noDA (DESIGN §4a). */
export const PEER_KEY_ATTRIBUTES = 0x00060072;

/**
 * Sealed data objects: fixedTPM (bit 1, 0x2) | fixedParent (bit 4, 0x10) | userWithAuth
 * (bit 6, 0x40) | noDA (bit 10, 0x400) = 0x00000452.
 * - sensitiveDataOrigin (bit 5) is NOT set: the caller supplies the sealed bytes, and TPM2_Create
 *   refuses a keyedHash object that has both that bit and caller data (TPM_RC_ATTRIBUTES).
 * - sign (bit 18) and decrypt (bit 17) are clear, which is what makes a keyedHash object a sealed
 *   data object rather than an HMAC key; restricted (bit 16) is clear too.
 */
export const SEAL_ATTRIBUTES = 0x00000452;

/**
 * The TCG EK-profile "H-2" SRK: restricted | decrypt | noDA | fixedTPM | fixedParent |
 * sensitiveDataOrigin | userWithAuth (DESIGN §4a).
 */
export const H2_SRK_ATTRIBUTES = 0x00030472;

export interface Tpm2SymDefObject {
  /** TPM_ALG_NULL, or a block cipher (AES, SM4, CAMELLIA). */
  algorithm: number;
  /** Present exactly when algorithm is not NULL. */
  keyBits?: number;
  /** Present exactly when algorithm is not NULL (e.g. CFB 0x0043). */
  mode?: number;
}

export interface Tpm2EccScheme {
  /** TPM_ALG_NULL, or ECDSA/ECDH/ECDAA/SM2/ECSCHNORR/ECMQV. */
  scheme: number;
  /** Present exactly when scheme is not NULL. */
  hashAlg?: number;
  /** Only for ECDAA (TPMS_SCHEME_ECDAA has a count after the hash). */
  count?: number;
}

export interface Tpm2KdfScheme {
  /** TPM_ALG_NULL, or MGF1/KDF1_SP800_56A/KDF2/KDF1_SP800_108. */
  scheme: number;
  /** Present exactly when scheme is not NULL. */
  hashAlg?: number;
}

/** The fields of a TPMT_PUBLIC of type ECC. */
export interface Tpm2EccPublicFields {
  nameAlg: number;
  objectAttributes: number;
  authPolicy: Buffer;
  symmetric: Tpm2SymDefObject;
  scheme: Tpm2EccScheme;
  curveId: number;
  kdf: Tpm2KdfScheme;
  /** unique.x, as stored (not padded). Empty in a template. */
  x: Buffer;
  /** unique.y, as stored (not padded). Empty in a template. */
  y: Buffer;
}

export interface Tpm2EccPublic extends Tpm2EccPublicFields {
  type: typeof TPM2_ALG.ECC;
  /** The TPMT_PUBLIC bytes (without the TPM2B size prefix): what the TPM hashes into the Name. */
  raw: Buffer;
}

/** sizeof(TPMU_HA) for SHA-512: the largest TPM2B_DIGEST any TPM accepts. */
const MAX_DIGEST_BYTES = 64;
/** Generous bound for TPM2B_ECC_PARAMETER (P-521 needs 66). */
const MAX_ECC_PARAMETER_BYTES = 128;

/**
 * TDES is a TPM_ALG_ID, but libtss2-mu (3.2) has no TPMU_SYM_KEY_BITS member for it and refuses
 * such a public area, so the addon could never load one: refused here too (test/fuzz found it).
 */
const SYM_BLOCK_CIPHERS: ReadonlySet<number> = new Set([
  TPM2_ALG.AES,
  TPM2_ALG.SM4,
  TPM2_ALG.CAMELLIA,
]);
const ECC_HASH_SCHEMES: ReadonlySet<number> = new Set([
  TPM2_ALG.ECDSA,
  TPM2_ALG.ECDH,
  TPM2_ALG.SM2,
  TPM2_ALG.ECSCHNORR,
  TPM2_ALG.ECMQV,
]);
/** KDF2 is left out for the same reason as TDES: libtss2-mu 3.2 has no TPMU_KDF_SCHEME member for it. */
const KDF_HASH_SCHEMES: ReadonlySet<number> = new Set([
  TPM2_ALG.MGF1,
  TPM2_ALG.KDF1_SP800_56A,
  TPM2_ALG.KDF1_SP800_108,
]);

function hex4(n: number): string {
  return '0x' + n.toString(16).padStart(4, '0');
}

/**
 * Bounds-checked big-endian reader; every failure names the structure and the field. Failures
 * are E_INVALID_ARGUMENT unless the caller gives its own error (attestation uses its own code).
 */
export class Reader {
  private offset = 0;
  constructor(
    private readonly buf: Buffer,
    private readonly what: string,
    private readonly error: (message: string) => Error = invalidArgument,
  ) {}

  fail(message: string): never {
    throw this.error(`${this.what}: ${message}`);
  }

  private take(n: number, field: string): Buffer {
    if (this.offset + n > this.buf.length) this.fail(`truncated at ${field}`);
    const out = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  u8(field: string): number {
    return this.take(1, field)[0]!;
  }

  u16(field: string): number {
    return this.take(2, field).readUInt16BE(0);
  }

  u32(field: string): number {
    return this.take(4, field).readUInt32BE(0);
  }

  u64(field: string): bigint {
    return this.take(8, field).readBigUInt64BE(0);
  }

  /** A TPM2B: 2-byte size, then that many bytes. */
  tpm2b(field: string, max: number): Buffer {
    const size = this.u16(`${field} size`);
    if (size > max) this.fail(`${field} is ${size} bytes (max ${max})`);
    return Buffer.from(this.take(size, field));
  }

  end(): void {
    if (this.offset !== this.buf.length) {
      this.fail(`${this.buf.length - this.offset} trailing bytes after the structure`);
    }
  }
}

/**
 * Splits a TPM2B (2-byte big-endian size, then exactly that many bytes) and returns the body.
 * The size must account for every byte: no truncation, nothing after it.
 */
export function unwrapTpm2b(bytes: Uint8Array, what = 'TPM2B'): Buffer {
  if (!(bytes instanceof Uint8Array)) throw invalidArgument(`${what}: expected bytes`);
  if (bytes.length < 2) throw invalidArgument(`${what}: shorter than its 2-byte size prefix`);
  const size = (bytes[0]! << 8) | bytes[1]!;
  if (size !== bytes.length - 2) {
    throw invalidArgument(`${what}: size prefix says ${size} bytes but ${bytes.length - 2} follow`);
  }
  return Buffer.from(bytes.subarray(2));
}

/** Prefixes `body` with its 2-byte size. */
export function wrapTpm2b(body: Uint8Array, what = 'TPM2B'): Buffer {
  if (body.length > 0xffff)
    throw invalidArgument(`${what}: ${body.length} bytes do not fit a TPM2B`);
  const out = Buffer.alloc(2 + body.length);
  out.writeUInt16BE(body.length, 0);
  out.set(body, 2);
  return out;
}

function readSymmetric(r: Reader): Tpm2SymDefObject {
  const algorithm = r.u16('symmetric.algorithm');
  if (algorithm === TPM2_ALG.NULL) return { algorithm };
  if (!SYM_BLOCK_CIPHERS.has(algorithm)) {
    throw invalidArgument(`TPM2B_PUBLIC: unsupported symmetric algorithm ${hex4(algorithm)}`);
  }
  return { algorithm, keyBits: r.u16('symmetric.keyBits'), mode: r.u16('symmetric.mode') };
}

function readEccScheme(r: Reader): Tpm2EccScheme {
  const scheme = r.u16('scheme.scheme');
  if (scheme === TPM2_ALG.NULL) return { scheme };
  if (scheme === TPM2_ALG.ECDAA) {
    return { scheme, hashAlg: r.u16('scheme.hashAlg'), count: r.u16('scheme.count') };
  }
  if (!ECC_HASH_SCHEMES.has(scheme)) {
    throw invalidArgument(`TPM2B_PUBLIC: unsupported ECC scheme ${hex4(scheme)}`);
  }
  return { scheme, hashAlg: r.u16('scheme.hashAlg') };
}

function readKdf(r: Reader): Tpm2KdfScheme {
  const scheme = r.u16('kdf.scheme');
  if (scheme === TPM2_ALG.NULL) return { scheme };
  if (!KDF_HASH_SCHEMES.has(scheme)) {
    throw invalidArgument(`TPM2B_PUBLIC: unsupported KDF scheme ${hex4(scheme)}`);
  }
  return { scheme, hashAlg: r.u16('kdf.hashAlg') };
}

/**
 * Parses a TPM2B_PUBLIC (2-byte size, then TPMT_PUBLIC) whose type is ECC. Other types (RSA,
 * KEYEDHASH, SYMCIPHER) are refused with E_INVALID_ARGUMENT.
 */
export function parseTpm2bPublic(bytes: Uint8Array): Tpm2EccPublic {
  const raw = unwrapTpm2b(bytes, 'TPM2B_PUBLIC');
  if (raw.length === 0) throw invalidArgument('TPM2B_PUBLIC: empty public area');
  const r = new Reader(raw, 'TPM2B_PUBLIC');
  const type = r.u16('type');
  if (type !== TPM2_ALG.ECC) {
    throw invalidArgument(
      `TPM2B_PUBLIC: object type ${hex4(type)} is not ECC (${hex4(TPM2_ALG.ECC)})`,
    );
  }
  const nameAlg = r.u16('nameAlg');
  const objectAttributes = r.u32('objectAttributes');
  const authPolicy = r.tpm2b('authPolicy', MAX_DIGEST_BYTES);
  const symmetric = readSymmetric(r);
  const scheme = readEccScheme(r);
  const curveId = r.u16('curveID');
  const kdf = readKdf(r);
  const x = r.tpm2b('unique.x', MAX_ECC_PARAMETER_BYTES);
  const y = r.tpm2b('unique.y', MAX_ECC_PARAMETER_BYTES);
  r.end();
  return {
    type: TPM2_ALG.ECC,
    nameAlg,
    objectAttributes,
    authPolicy,
    symmetric,
    scheme,
    curveId,
    kdf,
    x,
    y,
    raw,
  };
}

/** The fields of a TPMT_PUBLIC of type RSA (an RSA EK or an RSA AK). */
export interface Tpm2RsaPublic {
  type: typeof TPM2_ALG.RSA;
  nameAlg: number;
  objectAttributes: number;
  authPolicy: Buffer;
  symmetric: Tpm2SymDefObject;
  /** TPMT_RSA_SCHEME: NULL, or a scheme with its hash (RSASSA, RSAPSS, OAEP, RSAES has none). */
  scheme: { scheme: number; hashAlg?: number };
  keyBits: number;
  /** 0 means the default, 65537 (Part 2, TPMS_RSA_PARMS). */
  exponent: number;
  /** unique.rsa: the modulus. */
  modulus: Buffer;
  raw: Buffer;
}

/** TPM2B_PUBLIC_KEY_RSA holds at most TPM_MAX_RSA_KEY_BYTES (512, RSA-4096). */
const MAX_RSA_KEY_BYTES = 512;
const RSA_HASH_SCHEMES: ReadonlySet<number> = new Set([0x0014, 0x0016, 0x0017]); // RSASSA, RSAPSS, OAEP
const RSA_SCHEME_RSAES = 0x0015;

function readRsaPublic(r: Reader, raw: Buffer): Tpm2RsaPublic {
  const nameAlg = r.u16('nameAlg');
  const objectAttributes = r.u32('objectAttributes');
  const authPolicy = r.tpm2b('authPolicy', MAX_DIGEST_BYTES);
  const symmetric = readSymmetric(r);
  const schemeId = r.u16('scheme.scheme');
  let scheme: Tpm2RsaPublic['scheme'];
  if (schemeId === TPM2_ALG.NULL || schemeId === RSA_SCHEME_RSAES) scheme = { scheme: schemeId };
  else if (RSA_HASH_SCHEMES.has(schemeId))
    scheme = { scheme: schemeId, hashAlg: r.u16('scheme.hashAlg') };
  else throw invalidArgument(`TPMT_PUBLIC: unsupported RSA scheme ${hex4(schemeId)}`);
  const keyBits = r.u16('keyBits');
  const exponent = r.u32('exponent');
  const modulus = r.tpm2b('unique.rsa', MAX_RSA_KEY_BYTES);
  r.end();
  return {
    type: TPM2_ALG.RSA,
    nameAlg,
    objectAttributes,
    authPolicy,
    symmetric,
    scheme,
    keyBits,
    exponent,
    modulus,
    raw,
  };
}

/**
 * Parses a TPMT_PUBLIC (no size prefix) of type ECC or RSA: what an attestation carries as
 * `pubArea`, and what an EK or AK public is. Other types are refused; nothing may follow it.
 */
export function parseTpmtPublic(bytes: Uint8Array): Tpm2EccPublic | Tpm2RsaPublic {
  if (!(bytes instanceof Uint8Array)) throw invalidArgument('TPMT_PUBLIC: expected bytes');
  const raw = Buffer.from(bytes);
  const r = new Reader(raw, 'TPMT_PUBLIC');
  const type = r.u16('type');
  if (type === TPM2_ALG.RSA) return readRsaPublic(r, raw);
  if (type !== TPM2_ALG.ECC) {
    throw invalidArgument(`TPMT_PUBLIC: object type ${hex4(type)} is neither ECC nor RSA`);
  }
  if (raw.length > 0xffff) throw invalidArgument('TPMT_PUBLIC: longer than a TPM2B can hold');
  return parseTpm2bPublic(wrapTpm2b(raw, 'TPMT_PUBLIC'));
}

/**
 * The 65-byte uncompressed point 0x04‖x‖y of a P-256 public area, each coordinate left-padded to
 * 32 bytes. The point is checked to lie on the curve (via p256.ts), so a damaged blob cannot
 * produce a bogus public key.
 */
export function publicPointOf(pub: Tpm2EccPublic): Buffer {
  if (pub.curveId !== TPM2_ECC_NIST_P256) {
    throw invalidArgument(
      `TPM public area curve ${hex4(pub.curveId)} is not NIST P-256 (${hex4(TPM2_ECC_NIST_P256)})`,
    );
  }
  if (pub.x.length === 0 || pub.y.length === 0) {
    throw invalidArgument('TPM public area has no public point (unique is empty: a template?)');
  }
  if (pub.x.length > 32 || pub.y.length > 32) {
    throw invalidArgument('TPM public area coordinate is longer than 32 bytes');
  }
  const point = Buffer.alloc(65);
  point[0] = 0x04;
  pub.x.copy(point, 1 + 32 - pub.x.length);
  pub.y.copy(point, 33 + 32 - pub.y.length);
  return exportPublicKey(point, 'raw');
}

function checkU16(v: unknown, field: string): number {
  if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 0xffff) {
    throw invalidArgument(`${field} must be a 16-bit unsigned integer`);
  }
  return v as number;
}

function checkU32(v: unknown, field: string): number {
  if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 0xffffffff) {
    throw invalidArgument(`${field} must be a 32-bit unsigned integer`);
  }
  return v as number;
}

/** Writes big-endian fields into a growing list of chunks. */
class Writer {
  private readonly chunks: Buffer[] = [];

  u16(v: number, field: string): this {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(checkU16(v, field));
    this.chunks.push(b);
    return this;
  }

  u32(v: number, field: string): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(checkU32(v, field));
    this.chunks.push(b);
    return this;
  }

  tpm2b(body: Uint8Array, field: string, max: number): this {
    if (!(body instanceof Uint8Array)) throw invalidArgument(`${field} must be bytes`);
    if (body.length > max) throw invalidArgument(`${field} is longer than ${max} bytes`);
    this.chunks.push(wrapTpm2b(body, field));
    return this;
  }

  done(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** Union members must be present exactly when the selector says so; anything else is a bug. */
function checkUnion(
  present: boolean,
  value: number | undefined,
  field: string,
  selector: string,
): void {
  if (present && value === undefined) throw invalidArgument(`${field} is required for ${selector}`);
  if (!present && value !== undefined)
    throw invalidArgument(`${field} must be absent for ${selector}`);
}

/**
 * Marshals the fields of an ECC TPMT_PUBLIC and wraps it as a TPM2B_PUBLIC. The inverse of
 * parseTpm2bPublic: `marshalTpm2bEccPublic(parseTpm2bPublic(b))` returns `b`.
 */
export function marshalTpm2bEccPublic(f: Tpm2EccPublicFields): Buffer {
  const w = new Writer()
    .u16(TPM2_ALG.ECC, 'type')
    .u16(f.nameAlg, 'nameAlg')
    .u32(f.objectAttributes, 'objectAttributes')
    .tpm2b(f.authPolicy, 'authPolicy', MAX_DIGEST_BYTES);

  const sym = f.symmetric;
  w.u16(sym.algorithm, 'symmetric.algorithm');
  const symName = `symmetric algorithm ${hex4(sym.algorithm)}`;
  if (sym.algorithm !== TPM2_ALG.NULL && !SYM_BLOCK_CIPHERS.has(sym.algorithm)) {
    throw invalidArgument(`unsupported ${symName}`);
  }
  const symDetails = sym.algorithm !== TPM2_ALG.NULL;
  checkUnion(symDetails, sym.keyBits, 'symmetric.keyBits', symName);
  checkUnion(symDetails, sym.mode, 'symmetric.mode', symName);
  if (symDetails) w.u16(sym.keyBits!, 'symmetric.keyBits').u16(sym.mode!, 'symmetric.mode');

  const sch = f.scheme;
  w.u16(sch.scheme, 'scheme.scheme');
  const schName = `ECC scheme ${hex4(sch.scheme)}`;
  const isEcdaa = sch.scheme === TPM2_ALG.ECDAA;
  if (sch.scheme !== TPM2_ALG.NULL && !isEcdaa && !ECC_HASH_SCHEMES.has(sch.scheme)) {
    throw invalidArgument(`unsupported ${schName}`);
  }
  checkUnion(sch.scheme !== TPM2_ALG.NULL, sch.hashAlg, 'scheme.hashAlg', schName);
  checkUnion(isEcdaa, sch.count, 'scheme.count', schName);
  if (sch.hashAlg !== undefined) w.u16(sch.hashAlg, 'scheme.hashAlg');
  if (sch.count !== undefined) w.u16(sch.count, 'scheme.count');

  w.u16(f.curveId, 'curveID');

  const kdf = f.kdf;
  w.u16(kdf.scheme, 'kdf.scheme');
  const kdfName = `KDF scheme ${hex4(kdf.scheme)}`;
  if (kdf.scheme !== TPM2_ALG.NULL && !KDF_HASH_SCHEMES.has(kdf.scheme)) {
    throw invalidArgument(`unsupported ${kdfName}`);
  }
  checkUnion(kdf.scheme !== TPM2_ALG.NULL, kdf.hashAlg, 'kdf.hashAlg', kdfName);
  if (kdf.hashAlg !== undefined) w.u16(kdf.hashAlg, 'kdf.hashAlg');

  w.tpm2b(f.x, 'unique.x', MAX_ECC_PARAMETER_BYTES);
  w.tpm2b(f.y, 'unique.y', MAX_ECC_PARAMETER_BYTES);
  return wrapTpm2b(w.done(), 'TPM2B_PUBLIC');
}

/**
 * TPM2B_PUBLIC template for a new P-256 key: nameAlg SHA-256, the given attributes, empty
 * authPolicy, symmetric NULL, scheme NULL (the scheme is given per call), kdf NULL, and unique
 * x and y of size 0.
 */
export function marshalEccKeyTemplate(
  attributes: number,
  authPolicy: Buffer = Buffer.alloc(0),
): Buffer {
  return marshalTpm2bEccPublic({
    nameAlg: TPM2_ALG.SHA256,
    objectAttributes: checkU32(attributes, 'attributes'),
    authPolicy,
    symmetric: { algorithm: TPM2_ALG.NULL },
    scheme: { scheme: TPM2_ALG.NULL },
    curveId: TPM2_ECC_NIST_P256,
    kdf: { scheme: TPM2_ALG.NULL },
    x: Buffer.alloc(0),
    y: Buffer.alloc(0),
  });
}

/**
 * The "H-2" ECC P-256 SRK template of the TCG EK profile, as a TPM2B_PUBLIC (size 0x001A):
 * `0023 000B 00030472 0000 0006 0080 0043 0010 0003 0010 0000 0000` (DESIGN §4a). tpm2-openssl,
 * ssh-tpm-agent and go-tpm-keyfiles use it for parent 0x40000001. Any difference (noDA missing,
 * unique set to 32 zero bytes) yields a different SRK, and loading keys then fails with
 * TPM_RC_INTEGRITY.
 */
export const H2_SRK_TEMPLATE: Buffer = marshalTpm2bEccPublic({
  nameAlg: TPM2_ALG.SHA256,
  objectAttributes: H2_SRK_ATTRIBUTES,
  authPolicy: Buffer.alloc(0),
  symmetric: { algorithm: TPM2_ALG.AES, keyBits: 128, mode: TPM2_ALG.CFB },
  scheme: { scheme: TPM2_ALG.NULL },
  curveId: TPM2_ECC_NIST_P256,
  kdf: { scheme: TPM2_ALG.NULL },
  x: Buffer.alloc(0),
  y: Buffer.alloc(0),
});

/**
 * TPM2B_PUBLIC template for a sealed data object: type KEYEDHASH, nameAlg SHA-256, attributes
 * SEAL_ATTRIBUTES (0x00000452, see there), empty authPolicy, scheme NULL, unique of size 0.
 * Bytes: `000E 0008 000B 00000452 0000 0010 0000`.
 */
export function marshalSealTemplate(): Buffer {
  const body = new Writer()
    .u16(TPM2_ALG.KEYEDHASH, 'type')
    .u16(TPM2_ALG.SHA256, 'nameAlg')
    .u32(SEAL_ATTRIBUTES, 'objectAttributes')
    .tpm2b(Buffer.alloc(0), 'authPolicy', MAX_DIGEST_BYTES)
    .u16(TPM2_ALG.NULL, 'scheme.scheme') // TPMS_KEYEDHASH_PARMS: scheme NULL has no details
    .tpm2b(Buffer.alloc(0), 'unique', MAX_DIGEST_BYTES) // TPM2B_DIGEST, filled in by the TPM
    .done();
  return wrapTpm2b(body, 'TPM2B_PUBLIC');
}
