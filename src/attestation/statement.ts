import { decodeFirstSync, encodeOne } from 'cbor';
import { attestationInvalid } from './errors';
import { TPM2_ALG } from '../crypto/tpm2-structures';
import {
  parseTpmSignature,
  TPM2_ALG_RSASSA,
  MAX_CERT_INFO_BYTES,
  MAX_SIGNATURE_BYTES,
} from './tpms-attest';

/**
 * The WebAuthn / ACME device-attest-01 `tpm` attestation statement, and its two encodings: CBOR
 * (what WebAuthn and step-ca read) and JSON with the binary fields in base64url.
 *
 * CBOR is the `cbor` package (pinned): pure JavaScript and CommonJS, with no install script and
 * no optional native part, so installing this package runs nothing and decoding a stranger's
 * bytes runs nothing but the parser (its nesting depth capped). Whatever it returns is checked
 * here field by field before anything trusts it.
 */
export interface TpmAttestationStatement {
  fmt: 'tpm';
  attStmt: {
    ver: '2.0';
    /** COSE algorithm of the AK's signature: -7 ES256, -257 RS256, ... */
    alg: number;
    /** The AK certificate first, then its issuers, DER (present when the caller has one). */
    x5c?: Buffer[];
    /** TPMT_SIGNATURE over certInfo by the AK. */
    sig: Buffer;
    /** TPMS_ATTEST made by TPM2_Certify. */
    certInfo: Buffer;
    /** TPMT_PUBLIC of the certified key. */
    pubArea: Buffer;
  };
}

export type StatementEncoding = 'cbor' | 'json';

/** COSE algorithm ↔ TPM signature scheme and hash. */
const COSE: ReadonlyArray<{ cose: number; sigAlg: number; hashAlg: number }> = [
  { cose: -7, sigAlg: TPM2_ALG.ECDSA, hashAlg: TPM2_ALG.SHA256 },
  { cose: -35, sigAlg: TPM2_ALG.ECDSA, hashAlg: TPM2_ALG.SHA384 },
  { cose: -36, sigAlg: TPM2_ALG.ECDSA, hashAlg: TPM2_ALG.SHA512 },
  { cose: -257, sigAlg: TPM2_ALG_RSASSA, hashAlg: TPM2_ALG.SHA256 },
  { cose: -258, sigAlg: TPM2_ALG_RSASSA, hashAlg: TPM2_ALG.SHA384 },
  { cose: -259, sigAlg: TPM2_ALG_RSASSA, hashAlg: TPM2_ALG.SHA512 },
  { cose: -65535, sigAlg: TPM2_ALG_RSASSA, hashAlg: TPM2_ALG.SHA1 },
];

export function coseAlgFor(sigAlg: number, hashAlg: number): number | undefined {
  return COSE.find((c) => c.sigAlg === sigAlg && c.hashAlg === hashAlg)?.cose;
}

/** Bounds for a statement as a whole: a few certificates and the TPM structures. */
export const MAX_STATEMENT_BYTES = 64 * 1024;
const MAX_X5C = 8;
const MAX_CERT_BYTES = 8 * 1024;

export interface StatementParts {
  certInfo: Uint8Array;
  sig: Uint8Array;
  pubArea: Uint8Array;
  /** COSE alg; by default the one the signature's scheme and hash imply. */
  alg?: number;
  x5c?: readonly Uint8Array[];
}

/** Assembles a `tpm` statement from what TPM2_Certify returned (the device side will use this). */
export function buildTpmStatement(parts: StatementParts): TpmAttestationStatement {
  const sig = parseTpmSignature(parts.sig);
  const implied = coseAlgFor(sig.sigAlg, sig.hashAlg);
  const alg = parts.alg ?? implied;
  if (alg === undefined || alg !== implied) {
    throw attestationInvalid('alg', 'alg does not match the signature scheme and hash of sig');
  }
  return checkStatement({
    fmt: 'tpm',
    attStmt: {
      ver: '2.0',
      alg,
      ...(parts.x5c ? { x5c: parts.x5c.map((c) => Buffer.from(c)) } : {}),
      sig: Buffer.from(parts.sig),
      certInfo: Buffer.from(parts.certInfo),
      pubArea: Buffer.from(parts.pubArea),
    },
  });
}

/** The deepest a statement nests: the statement map, attStmt, x5c, a certificate. */
const CBOR_MAX_DEPTH = 4;

function b64u(b: Buffer): string {
  return b.toString('base64url');
}

export function encodeTpmStatement(
  statement: TpmAttestationStatement,
  encoding: StatementEncoding = 'cbor',
): Buffer | string {
  const s = checkStatement(statement);
  if (encoding === 'cbor') {
    // Field order as WebAuthn lists them; x5c only when present.
    const att: Record<string, unknown> = { ver: s.attStmt.ver, alg: s.attStmt.alg };
    if (s.attStmt.x5c) att.x5c = s.attStmt.x5c;
    Object.assign(att, {
      sig: s.attStmt.sig,
      certInfo: s.attStmt.certInfo,
      pubArea: s.attStmt.pubArea,
    });
    // Plain objects become maps in insertion order, Buffers byte strings (as WebAuthn has them).
    return encodeOne({ fmt: 'tpm', attStmt: att });
  }
  if (encoding === 'json') {
    const a = s.attStmt;
    return JSON.stringify({
      fmt: 'tpm',
      attStmt: {
        ver: a.ver,
        alg: a.alg,
        ...(a.x5c ? { x5c: a.x5c.map(b64u) } : {}),
        sig: b64u(a.sig),
        certInfo: b64u(a.certInfo),
        pubArea: b64u(a.pubArea),
      },
    });
  }
  throw attestationInvalid('format', `unknown encoding ${String(encoding)}: use 'cbor' or 'json'`);
}

const fail = (message: string) => attestationInvalid('format', message);

/** Map or plain object → own entries, with every key a string. */
function entriesOf(v: unknown, what: string): Map<string, unknown> {
  if (v instanceof Map) {
    for (const k of v.keys()) if (typeof k !== 'string') throw fail(`${what} has a non-text key`);
    return v as Map<string, unknown>;
  }
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array)) {
    return new Map(Object.entries(v));
  }
  throw fail(`${what} is not a map`);
}

function binary(v: unknown, field: string, fromJson: boolean, max: number): Buffer {
  let out: Buffer;
  if (fromJson && typeof v === 'string') {
    if (!/^[A-Za-z0-9_-]*$/.test(v)) throw fail(`${field} is not base64url`);
    out = Buffer.from(v, 'base64url');
    if (b64u(out) !== v) throw fail(`${field} is not canonical base64url`);
  } else if (v instanceof Uint8Array) {
    out = Buffer.from(v);
  } else {
    throw fail(`${field} is not a byte string`);
  }
  if (out.length === 0 || out.length > max)
    throw fail(`${field} is empty or longer than ${max} bytes`);
  return out;
}

function shape(input: unknown, fromJson: boolean): TpmAttestationStatement {
  const top = entriesOf(input, 'the statement');
  for (const k of top.keys())
    if (k !== 'fmt' && k !== 'attStmt')
      throw fail(`the statement has an unknown field ${JSON.stringify(k)}`);
  if (top.get('fmt') !== 'tpm') throw fail('fmt is not "tpm"');
  const att = entriesOf(top.get('attStmt'), 'attStmt');
  const known = ['ver', 'alg', 'x5c', 'sig', 'certInfo', 'pubArea'];
  for (const k of att.keys())
    if (!known.includes(k)) throw fail(`attStmt has an unknown field ${JSON.stringify(k)}`);
  if (att.get('ver') !== '2.0') throw attestationInvalid('ver', 'attStmt.ver is not "2.0"');
  const alg = att.get('alg');
  if (!Number.isSafeInteger(alg)) throw fail('attStmt.alg is not an integer');
  let x5c: Buffer[] | undefined;
  if (att.has('x5c')) {
    const list = att.get('x5c');
    if (!Array.isArray(list) || list.length === 0 || list.length > MAX_X5C) {
      throw fail(`attStmt.x5c is not a list of 1 to ${MAX_X5C} certificates`);
    }
    x5c = list.map((c, i) => binary(c, `attStmt.x5c[${i}]`, fromJson, MAX_CERT_BYTES));
  }
  return {
    fmt: 'tpm',
    attStmt: {
      ver: '2.0',
      alg: alg as number,
      ...(x5c ? { x5c } : {}),
      sig: binary(att.get('sig'), 'attStmt.sig', fromJson, MAX_SIGNATURE_BYTES),
      certInfo: binary(att.get('certInfo'), 'attStmt.certInfo', fromJson, MAX_CERT_INFO_BYTES),
      pubArea: binary(att.get('pubArea'), 'attStmt.pubArea', fromJson, 2048),
    },
  };
}

function checkStatement(s: TpmAttestationStatement): TpmAttestationStatement {
  return shape(s, false);
}

/**
 * Reads a statement from CBOR bytes, a JSON string (binary fields base64url), or an object of
 * either shape (Buffers, or base64url strings). Refused: anything larger than 64 KiB, any other
 * field, a wrong type, an empty or oversized binary field.
 */
export function decodeTpmStatement(input: unknown): TpmAttestationStatement {
  if (typeof input === 'string') {
    if (input.length > MAX_STATEMENT_BYTES) throw fail('the statement is larger than 64 KiB');
    let parsed: unknown;
    try {
      parsed = JSON.parse(input);
    } catch {
      throw fail('the statement is neither CBOR bytes nor JSON');
    }
    return shape(parsed, true);
  }
  if (input instanceof Uint8Array) {
    if (input.length > MAX_STATEMENT_BYTES) throw fail('the statement is larger than 64 KiB');
    let parsed: unknown;
    try {
      // Maps stay Maps (any key type is then refused by name); trailing bytes are an error.
      parsed = decodeFirstSync(Buffer.from(input), { preferMap: true, max_depth: CBOR_MAX_DEPTH });
    } catch (err) {
      throw fail(`the statement is not valid CBOR (${(err as Error)?.message ?? String(err)})`);
    }
    return shape(parsed, false);
  }
  if (input !== null && typeof input === 'object') {
    const att = (input as { attStmt?: { sig?: unknown } }).attStmt;
    return shape(input, typeof att?.sig === 'string');
  }
  throw fail('the statement must be CBOR bytes, a JSON string or an object');
}
