import { types } from 'node:util';
import { invalidArgument, received, shown } from './errors';

/**
 * The input rules every signer shares (DeviceKey, SessionKey, verify()): what counts as bytes,
 * which sign options exist, what a digest is. Validated here once, so each face checks the same.
 */

const BYTES_TYPES = 'an instance of Buffer, TypedArray, DataView or ArrayBuffer';

/**
 * Bytes as node:crypto takes them: a string (UTF-8, unless `allowString` is false), any
 * ArrayBufferView, or an ArrayBuffer. Views are not copied. Uint8Array (and so Buffer) comes
 * first: it is the signing hot path.
 */
export function toBytes(data: unknown, what: string, allowString = true): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (typeof data === 'string' && allowString) return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data))
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (types.isAnyArrayBuffer(data)) return new Uint8Array(data);
  throw invalidArgument(
    `${what} must be ${allowString ? 'a string or ' : ''}${BYTES_TYPES}. ${received(data)}`,
  );
}

type ResolvedSignOptions = Readonly<{ format: SignatureFormat; prehashed: boolean }>;

/** Every valid combination, made once: resolving options never allocates. */
const RESOLVED: Readonly<
  Record<SignatureFormat, readonly [ResolvedSignOptions, ResolvedSignOptions]>
> = Object.freeze({
  der: [
    Object.freeze({ format: 'der', prehashed: false }),
    Object.freeze({ format: 'der', prehashed: true }),
  ],
  p1363: [
    Object.freeze({ format: 'p1363', prehashed: false }),
    Object.freeze({ format: 'p1363', prehashed: true }),
  ],
} as const);

const DEFAULT_SIGN_OPTIONS = RESOLVED.der[0];
const DSA_ENCODINGS: Readonly<Record<DsaEncoding, SignatureFormat>> = Object.freeze({
  der: 'der',
  'ieee-p1363': 'p1363',
});

// On the signing hot path: no allocation, with or without options.
export function signOptions(opts: SignOptions | undefined): ResolvedSignOptions {
  if (opts === undefined) return DEFAULT_SIGN_OPTIONS;
  if (opts === null || typeof opts !== 'object') {
    throw invalidArgument(`options must be an object. ${received(opts)}`);
  }
  for (const k in opts) {
    if (k !== 'format' && k !== 'dsaEncoding' && k !== 'prehashed' && k !== 'pin') {
      throw invalidArgument(
        `unknown sign option "${k}"`,
        'use format (or dsaEncoding), prehashed and pin',
      );
    }
  }
  const { format, dsaEncoding, prehashed = false } = opts;
  if (format !== undefined && format !== 'der' && format !== 'p1363') {
    throw invalidArgument(`format must be "der" or "p1363", not ${shown(format)}`);
  }
  if (dsaEncoding !== undefined && dsaEncoding !== 'der' && dsaEncoding !== 'ieee-p1363') {
    throw invalidArgument(`dsaEncoding must be "der" or "ieee-p1363", not ${shown(dsaEncoding)}`);
  }
  const fromDsa = dsaEncoding === undefined ? undefined : DSA_ENCODINGS[dsaEncoding];
  if (format !== undefined && fromDsa !== undefined && format !== fromDsa) {
    throw invalidArgument(
      `format "${format}" and dsaEncoding "${dsaEncoding}" disagree`,
      'give only one of them',
    );
  }
  if (typeof prehashed !== 'boolean') throw invalidArgument('prehashed must be a boolean');
  return RESOLVED[format ?? fromDsa ?? 'der'][prehashed ? 1 : 0];
}

export function checkDigest(data: Uint8Array, prehashed: boolean): void {
  if (prehashed && data.length !== 32) {
    throw invalidArgument(
      `a prehashed input must be a 32-byte SHA-256 digest, not ${data.length} bytes`,
    );
  }
}

export interface SignOptions {
  /** 'der' (node:crypto's default, the default here) or 'p1363' (r‖s, WebCrypto's). */
  format?: SignatureFormat;
  /** node:crypto's spelling of `format`: 'der' or 'ieee-p1363'. Give one of the two. */
  dsaEncoding?: DsaEncoding;
  /** The data is already a 32-byte SHA-256 digest. */
  prehashed?: boolean;
  /** The key's PIN, for a key made with one (userPresence 'pin'). */
  pin?: string | Uint8Array;
}

/** ecdh()'s options. */
export interface EcdhOptions {
  /** The key's PIN, for a key made with one (userPresence 'pin'). */
  pin?: string | Uint8Array;
}

/** Data to sign or verify: a string (signed as UTF-8), any ArrayBufferView, or an ArrayBuffer. */
export type DataInput = string | ArrayBufferView | ArrayBuffer;

export type SignatureFormat = 'der' | 'p1363';
/** node:crypto's name for the same choice (`dsaEncoding`). */
export type DsaEncoding = 'der' | 'ieee-p1363';
