import { KeystoreError, invalidArgument, isKeystoreError } from '../core/errors';
import { tlv } from './der';
import { readDerElement, type DerElement } from './p256';
import { unwrapTpm2b } from './tpm2-structures';

/**
 * The "TSS2 PRIVATE KEY" PEM format (DESIGN §4a): the key file format of tpm2-openssl,
 * tpm2-tss-engine, openssl_tpm2_engine, ssh-tpm-agent and go-tpm-keyfiles, specified in
 * "ASN.1 Specification for TPM 2.0 Key Files" (draft-bottomley-tpm2-keys):
 *
 *   TPMKey ::= SEQUENCE {
 *     type        OBJECT IDENTIFIER,                         -- 2.23.133.10.1.3 loadableKey
 *     emptyAuth   [0] EXPLICIT BOOLEAN OPTIONAL,
 *     policy      [1] EXPLICIT SEQUENCE OF TPMPolicy OPTIONAL,
 *     secret      [2] EXPLICIT OCTET STRING OPTIONAL,
 *     authPolicy  [3] EXPLICIT SEQUENCE OF TPMAuthPolicy OPTIONAL,
 *     description [4] EXPLICIT UTF8String OPTIONAL,
 *     rsaParent   [5] EXPLICIT BOOLEAN OPTIONAL,
 *     parent      INTEGER,
 *     pubkey      OCTET STRING,                              -- TPM2B_PUBLIC, with its size
 *     privkey     OCTET STRING                               -- TPM2B_PRIVATE, with its size
 *   }
 *
 * The optional tagged fields can only sit between the OID and `parent`, in ascending tag order,
 * each at most once; that is where the draft, openssl_tpm2_engine's tpm2-asn.h, go-tpm-keyfiles
 * and GRUB's tpm2key.asn put them, and where the reader looks for them.
 *
 * The old OID 2.23.133.10.2 is accepted with this same layout, as go-tpm-keyfiles does (it is what
 * early tpm2-tss-engine releases wrote). The much older "TSS2 KEY BLOB" label, whose parent and
 * pubkey are EXPLICIT-tagged ([1], [2]), is a different format and is not read.
 *
 * The writer emits only OID, [0] emptyAuth, parent, pubkey and privkey: tpm2-openssl 1.1.1
 * rejects the tagged fields [1]–[5].
 */

export const TSS2_PEM_LABEL = 'TSS2 PRIVATE KEY';

/** DER contents (no tag/length) of the two OIDs. */
const OID_LOADABLE_KEY = Buffer.from('6781050a0103', 'hex'); // 2.23.133.10.1.3
const OID_LEGACY_LOADABLE_KEY = Buffer.from('6781050a02', 'hex'); // 2.23.133.10.2

const TAG_BOOLEAN = 0x01;
const TAG_INTEGER = 0x02;
const TAG_OCTET_STRING = 0x04;
const TAG_OID = 0x06;
const TAG_UTF8_STRING = 0x0c;
const TAG_SEQUENCE = 0x30;
/** [n] EXPLICIT = context-specific, constructed. */
const TAG_CONTEXT = 0xa0;

/** The universal type inside each EXPLICIT optional field [1]..[5]. */
const OPTIONAL_FIELDS: ReadonlyMap<number, { name: string; inner: number }> = new Map([
  [1, { name: 'policy', inner: TAG_SEQUENCE }],
  [2, { name: 'secret', inner: TAG_OCTET_STRING }],
  [3, { name: 'authPolicy', inner: TAG_SEQUENCE }],
  [4, { name: 'description', inner: TAG_UTF8_STRING }],
  [5, { name: 'rsaParent', inner: TAG_BOOLEAN }],
]);

/**
 * The largest TPM2B_PRIVATE: sizeof(TPM2B_PRIVATE.buffer) in tpm2-tss (sizeof(_PRIVATE)), the
 * bound libtss2-mu, and so the addon, enforces. A larger blob could never be loaded.
 */
const MAX_PRIVATE_BYTES = 1550;

/** Limits nesting in the skipped policy structures, so a hostile file cannot recurse deeply. */
const MAX_DER_DEPTH = 16;

export interface Tss2KeyFields {
  /** TPM handle of the parent: 0x40000001 (owner hierarchy, H-2 SRK) or a persistent 0x81xxxxxx. */
  parent: number;
  /** TPM2B_PUBLIC, including its 2-byte size prefix. */
  publicBlob: Buffer;
  /** TPM2B_PRIVATE, including its 2-byte size prefix. */
  privateBlob: Buffer;
  /** True when the key has no authorization value (what every key we create has). */
  emptyAuth: boolean;
}

export interface DecodedTss2Key extends Tss2KeyFields {
  /** 'loadableKey' for 2.23.133.10.1.3, 'legacy' for the old 2.23.133.10.2. */
  oid: 'loadableKey' | 'legacy';
  /**
   * The [5] rsaParent flag: when true, parent 0x40000001 means the RSA-2048 SRK rather than the
   * H-2 ECC one, and the key cannot be loaded under the ECC SRK.
   */
  rsaParent: boolean;
  /** The [4] description, when present. */
  description?: string;
  /**
   * Numbers of the optional tagged fields present ([1] policy, [2] secret, [3] authPolicy,
   * [4] description, [5] rsaParent). A key with [1] or [3] needs a policy session to be used.
   */
  optionalTags: number[];
}

// ---------------------------------------------------------------------------------------------
// Writing

/** Minimal two's-complement INTEGER body of an unsigned 32-bit value (0x81000001 → 00 81 00 00 01). */
function unsignedIntegerBody(value: number): Buffer {
  const four = Buffer.alloc(4);
  four.writeUInt32BE(value);
  let i = 0;
  while (i < 3 && four[i] === 0) i++;
  const body = four.subarray(i);
  return body[0]! & 0x80 ? Buffer.concat([Buffer.of(0), body]) : Buffer.from(body);
}

function checkBlob(blob: unknown, what: string): Buffer {
  if (!(blob instanceof Uint8Array)) throw invalidArgument(`${what} must be a Buffer`);
  const body = unwrapTpm2b(blob, what); // throws E_INVALID_ARGUMENT on a size mismatch
  if (body.length === 0) throw invalidArgument(`${what} is empty`);
  return Buffer.from(blob);
}

/** DER of the TPMKey SEQUENCE with exactly the five fields tpm2-openssl reads. */
export function encodeTss2Der(fields: Tss2KeyFields): Buffer {
  const { parent, emptyAuth } = fields;
  if (!Number.isInteger(parent) || parent < 0 || parent > 0xffffffff) {
    throw invalidArgument('parent must be a TPM handle (an unsigned 32-bit integer)');
  }
  if (typeof emptyAuth !== 'boolean') throw invalidArgument('emptyAuth must be a boolean');
  const pub = checkBlob(fields.publicBlob, 'publicBlob (TPM2B_PUBLIC)');
  const priv = checkBlob(fields.privateBlob, 'privateBlob (TPM2B_PRIVATE)');
  const parts = [tlv(TAG_OID, OID_LOADABLE_KEY)];
  // DER's TRUE is 0xFF. tpm2-openssl writes 0x01 but reads any non-zero byte; Go's cryptobyte
  // (go-tpm-keyfiles, ssh-tpm-agent) accepts only 0x00/0xFF.
  if (emptyAuth) parts.push(tlv(TAG_CONTEXT | 0, tlv(TAG_BOOLEAN, Buffer.of(0xff))));
  parts.push(
    tlv(TAG_INTEGER, unsignedIntegerBody(parent)),
    tlv(TAG_OCTET_STRING, pub),
    tlv(TAG_OCTET_STRING, priv),
  );
  return tlv(TAG_SEQUENCE, Buffer.concat(parts));
}

/** The PEM text: label `TSS2 PRIVATE KEY`, base64 in lines of 64 characters, final newline. */
export function encodeTss2Pem(fields: Tss2KeyFields): string {
  const lines = encodeTss2Der(fields)
    .toString('base64')
    .match(/.{1,64}/g)!;
  return `-----BEGIN ${TSS2_PEM_LABEL}-----\n${lines.join('\n')}\n-----END ${TSS2_PEM_LABEL}-----\n`;
}

// ---------------------------------------------------------------------------------------------
// Reading

const PEM_PATTERN =
  /^\s*-----BEGIN TSS2 PRIVATE KEY-----\r?\n((?:[A-Za-z0-9+/=]+\r?\n)+)-----END TSS2 PRIVATE KEY-----\s*$/;

/** Makes the error for one problem with a key file; the default is E_CORRUPT (a stored file). */
export type Fail = (what: string) => KeystoreError;

function failer(source: string | undefined): Fail {
  const prefix = source ? `${source}: ` : '';
  return (what) =>
    new KeystoreError('E_CORRUPT', `${prefix}TSS2 PRIVATE KEY is corrupt: ${what}`, {
      hint: 'the key file is damaged or is not a TPM 2.0 key file; restore it from a backup or create the key again',
    });
}

/** One DER element, strict (see readDerElement), with low-tag-number form only. */
function readElement(buf: Buffer, offset: number, what: string, fail: Fail): DerElement {
  let el: DerElement;
  try {
    el = readDerElement(buf, offset, what);
  } catch (e) {
    if (isKeystoreError(e, 'E_INVALID_ARGUMENT')) throw fail(e.message);
    throw e;
  }
  if ((el.tag & 0x1f) === 0x1f) throw fail(`${what}: multi-byte DER tags are not allowed`);
  if (el.tag === 0) throw fail(`${what}: unexpected end-of-contents marker`);
  return el;
}

function readBoolean(body: Buffer, what: string, fail: Fail): boolean {
  const el = readElement(body, 0, what, fail);
  if (el.tag !== TAG_BOOLEAN) throw fail(`${what} is not a BOOLEAN`);
  if (el.end !== body.length) throw fail(`${what}: extra bytes after the BOOLEAN`);
  if (el.body.length !== 1) throw fail(`${what}: BOOLEAN must be one byte`);
  const v = el.body[0]!;
  // 0xFF is DER's TRUE; 0x01 is what tpm2-openssl (OpenSSL's ASN1_BOOLEAN = 1) writes.
  if (v === 0xff || v === 0x01) return true;
  if (v === 0x00) return false;
  throw fail(`${what}: BOOLEAN value 0x${v.toString(16)} is neither 0x00, 0x01 nor 0xFF`);
}

/** Checks that `buf` is a sequence of well-formed, strictly encoded DER elements. */
function checkDerContents(buf: Buffer, what: string, fail: Fail, depth: number): void {
  if (depth > MAX_DER_DEPTH) throw fail(`${what}: nested too deeply`);
  let offset = 0;
  while (offset < buf.length) {
    const el = readElement(buf, offset, what, fail);
    if (el.tag & 0x20) {
      checkDerContents(el.body, what, fail, depth + 1);
    } else if (el.tag === TAG_BOOLEAN) {
      readBoolean(buf.subarray(offset, el.end), what, fail);
    } else if (el.tag === TAG_INTEGER) {
      checkMinimalInteger(el.body, what, fail);
    }
    offset = el.end;
  }
}

/** DER INTEGERs are minimal: no leading 00 before a clear top bit, no leading FF before a set one. */
function checkMinimalInteger(body: Buffer, what: string, fail: Fail): void {
  if (body.length === 0) throw fail(`${what}: empty INTEGER`);
  if (body.length > 1) {
    const a = body[0]!;
    const b = body[1]!;
    if ((a === 0x00 && !(b & 0x80)) || (a === 0xff && b & 0x80)) {
      throw fail(`${what}: INTEGER is not minimally encoded`);
    }
  }
}

/** Value of a minimally encoded two's-complement INTEGER of at most 5 bytes. */
function integerValue(body: Buffer, what: string, fail: Fail): number {
  checkMinimalInteger(body, what, fail);
  if (body.length > 5) throw fail(`${what}: INTEGER is too large`);
  let v = body[0]! & 0x80 ? -1 : 0;
  for (const byte of body) v = v * 256 + byte;
  return v;
}

/**
 * The parent handle as an unsigned 32-bit value. Writers that kept the handle in a signed 32-bit
 * `long` stored 0x81000001 as -2130706431 (INTEGER 81 00 00 01); that is mapped back.
 */
function parentValue(body: Buffer, fail: Fail): number {
  const v = integerValue(body, 'parent', fail);
  if (v < -0x80000000 || v > 0xffffffff) throw fail('parent is not a 32-bit TPM handle');
  return v >>> 0;
}

/** The TPMKey DER → fields. Every deviation from the format is E_CORRUPT. */
export function decodeTss2Der(der: Uint8Array, source?: string, onError?: Fail): DecodedTss2Key {
  const fail = onError ?? failer(source);
  const buf = Buffer.from(der.buffer, der.byteOffset, der.byteLength);
  const outer = readElement(buf, 0, 'TPMKey', fail);
  if (outer.tag !== TAG_SEQUENCE) throw fail('TPMKey is not a SEQUENCE');
  if (outer.end !== buf.length) throw fail('trailing bytes after the TPMKey SEQUENCE');
  const seq = outer.body;

  const oidEl = readElement(seq, 0, 'type', fail);
  if (oidEl.tag !== TAG_OID) throw fail('type is not an OBJECT IDENTIFIER');
  let oid: DecodedTss2Key['oid'];
  if (oidEl.body.equals(OID_LOADABLE_KEY)) oid = 'loadableKey';
  else if (oidEl.body.equals(OID_LEGACY_LOADABLE_KEY)) oid = 'legacy';
  else throw fail('type is not loadableKey (2.23.133.10.1.3) or the old 2.23.133.10.2');

  let offset = oidEl.end;
  let emptyAuth = false;
  let rsaParent = false;
  let description: string | undefined;
  const optionalTags: number[] = [];
  let lastTag = -1;
  let el = readElement(seq, offset, 'parent', fail);
  while ((el.tag & 0xe0) === TAG_CONTEXT) {
    const n = el.tag & 0x1f;
    if (n > 5) throw fail(`unknown optional field [${n}]`);
    if (n <= lastTag) throw fail(`optional field [${n}] is repeated or out of order`);
    lastTag = n;
    if (n === 0) {
      emptyAuth = readBoolean(el.body, 'emptyAuth', fail);
    } else {
      const spec = OPTIONAL_FIELDS.get(n)!;
      const inner = readElement(el.body, 0, spec.name, fail);
      if (inner.tag !== spec.inner) {
        throw fail(`[${n}] ${spec.name} does not hold the expected type`);
      }
      if (inner.end !== el.body.length) throw fail(`[${n}] ${spec.name}: extra bytes`);
      checkDerContents(el.body, spec.name, fail, 0);
      if (n === 4) {
        try {
          description = new TextDecoder('utf-8', { fatal: true }).decode(inner.body);
        } catch {
          throw fail('[4] description is not valid UTF-8');
        }
      }
      if (n === 5) rsaParent = readBoolean(el.body, 'rsaParent', fail);
      optionalTags.push(n);
    }
    offset = el.end;
    el = readElement(seq, offset, 'parent', fail);
  }

  if (el.tag !== TAG_INTEGER) throw fail('parent is not an INTEGER');
  const parent = parentValue(el.body, fail);
  const pubEl = readElement(seq, el.end, 'pubkey', fail);
  if (pubEl.tag !== TAG_OCTET_STRING) throw fail('pubkey is not an OCTET STRING');
  const privEl = readElement(seq, pubEl.end, 'privkey', fail);
  if (privEl.tag !== TAG_OCTET_STRING) throw fail('privkey is not an OCTET STRING');
  if (privEl.end !== seq.length) throw fail('unexpected fields after privkey');

  const publicBlob = tpm2bBlob(pubEl.body, 'pubkey (TPM2B_PUBLIC)', fail);
  const privateBlob = tpm2bBlob(privEl.body, 'privkey (TPM2B_PRIVATE)', fail);
  if (privateBlob.length - 2 > MAX_PRIVATE_BYTES) {
    throw fail(
      `privkey (TPM2B_PRIVATE) is ${privateBlob.length - 2} bytes (max ${MAX_PRIVATE_BYTES})`,
    );
  }
  return {
    oid,
    emptyAuth,
    parent,
    publicBlob,
    privateBlob,
    rsaParent,
    ...(description !== undefined ? { description } : {}),
    optionalTags,
  };
}

function tpm2bBlob(body: Buffer, what: string, fail: Fail): Buffer {
  if (body.length < 2) throw fail(`${what} is shorter than its 2-byte size prefix`);
  const size = body.readUInt16BE(0);
  if (size !== body.length - 2) {
    throw fail(`${what} size prefix says ${size} bytes but ${body.length - 2} follow`);
  }
  if (size === 0) throw fail(`${what} is empty`);
  return body;
}

/**
 * Parses a `TSS2 PRIVATE KEY` PEM. `source` (a path or a label) prefixes error messages.
 * Throws KeystoreError E_CORRUPT on anything that is not exactly one well-formed key block, or
 * what `onError` makes of it (an import reports the caller's input as E_INVALID_ARGUMENT).
 */
export function decodeTss2Pem(
  pem: string | Buffer,
  source?: string,
  onError?: Fail,
): DecodedTss2Key {
  const fail = onError ?? failer(source);
  const text = typeof pem === 'string' ? pem : Buffer.isBuffer(pem) ? pem.toString('latin1') : null;
  if (text === null) throw invalidArgument('TSS2 key must be a PEM string or Buffer');
  const m = PEM_PATTERN.exec(text);
  if (!m) throw fail(`expected exactly one '-----BEGIN ${TSS2_PEM_LABEL}-----' block`);
  const b64 = m[1]!.replace(/\r?\n/g, '');
  const der = Buffer.from(b64, 'base64');
  // Buffer's decoder skips junk and misplaced padding silently; the round trip refuses both.
  if (der.toString('base64') !== b64) throw fail('PEM body is not canonical base64');
  return decodeTss2Der(der, source, onError);
}
