import { createHash, randomBytes } from 'node:crypto';
import { KeystoreError, corrupt, isKeystoreError } from '../../core/errors';
import { parsePeerPublicKey } from '../../crypto/p256';
import { onlyCopyCorrupt } from '../common';
import { RecordReader, type Json } from '../../core/json-record';
import { secretAad } from '../../core/aad';
import type { KeyRecord, KeyUsage, SecretHeader, SecretRecord } from '../../core/records';
import { type Accessibility, ACCESSIBILITIES } from './settings';
import { type PromptedPresence } from '../../core/tiers';
import { presenceField, presenceFromData } from './user-presence';

/**
 * What the macOS tiers keep in the store: key data (a keychain tag or a Secure Enclave blob),
 * sealed secrets of 0.1.0, and the errors that name a damaged record.
 */

/** The first segment of a key's tag, by usage: the keychain item itself says what it is for. */
const TAG_KIND: Readonly<Record<KeyUsage, string>> = {
  general: 'key',
  certify: 'certifying-key',
};
const SEAL_TAG_PREFIX = 'device-keystore/seal/';
const KEY_TAG_RE =
  /^device-keystore\/(key|certifying-key)\/([a-z0-9][a-z0-9._-]{0,63})\/([0-9a-f]{32})$/;
const SEAL_TAG_RE = /^device-keystore\/seal\/[0-9a-f]{32}$/;
/** An SE-wrapped key is a few hundred bytes; anything far larger is not one. */
const MAX_BLOB_BYTES = 16 * 1024;
export const ECIES_ALG = 'ECIES-P256-X963SHA256-AESGCM';
/** ECIES output: ephemeral point (65) || ciphertext || GCM tag (16). */
const ECIES_OVERHEAD = 65 + 16;
const AAD_HASH_BYTES = 32;

/**
 * A key's application tag: its usage, the alias (for people reading Keychain Access) and 128
 * random bits, so that two stores with the same alias never share a keychain item. The usage
 * is in the tag so that it is fixed in the keychain item when the key is made: loading reads
 * it from the item (tagUsage), and a record that names the item under another usage is
 * E_CORRUPT. Certifying keys made before this (device-keystore 0.2.0) have a general tag.
 */
export function makeKeyTag(alias: string, usage: KeyUsage = 'general'): string {
  return `device-keystore/${TAG_KIND[usage]}/${alias}/${randomBytes(16).toString('hex')}`;
}

/** The usage a key tag names, or undefined for a tag that is not one of ours. */
export function tagUsage(tag: string): KeyUsage | undefined {
  const m = KEY_TAG_RE.exec(tag);
  if (!m) return undefined;
  return m[1] === TAG_KIND.certify ? 'certify' : 'general';
}

/** The tag of a store's keychain sealing key: one per store directory. */
export function sealTagFor(storeDir: string): string {
  return SEAL_TAG_PREFIX + createHash('sha256').update(storeDir).digest('hex').slice(0, 32);
}

/** What a macOS key record holds in backendData, validated. */
export type MacKeyData =
  | { kind: 'se-blob'; blob: Buffer; accessibility: Accessibility; userPresence?: PromptedPresence }
  | {
      kind: 'se-keychain';
      tag: string;
      accessibility: Accessibility;
      accessGroup?: string;
      userPresence?: PromptedPresence;
    }
  | { kind: 'keychain'; tag: string };

function accessibilityOf(r: RecordReader, file: string): Accessibility {
  const a = r.string('accessibility');
  if (!(ACCESSIBILITIES as readonly string[]).includes(a))
    throw corrupt(file, 'bad "accessibility"');
  return a as Accessibility;
}

function checkOnly(data: { [key: string]: Json }, allowed: string[], file: string): void {
  for (const k of Object.keys(data)) {
    if (!allowed.includes(k)) throw corrupt(file, `unexpected field "${k}"`);
  }
}

export function keyDataToJson(data: MacKeyData): { [key: string]: Json } {
  switch (data.kind) {
    case 'se-blob':
      return {
        kind: data.kind,
        blob: data.blob.toString('base64url'),
        accessibility: data.accessibility,
        ...presenceField(data.userPresence),
      };
    case 'se-keychain':
      return {
        kind: data.kind,
        tag: data.tag,
        accessibility: data.accessibility,
        ...(data.accessGroup ? { accessGroup: data.accessGroup } : {}),
        ...presenceField(data.userPresence),
      };
    case 'keychain':
      return { kind: data.kind, tag: data.tag };
  }
}

/** Parse and check a key record's backendData against its tier and alias; E_CORRUPT if off. */
export function parseKeyData(record: KeyRecord, file: string): MacKeyData {
  const r = new RecordReader(file, record.backendData);
  const kind = r.string('kind');
  const tagOf = (): string => {
    const tag = r.string('tag');
    const m = KEY_TAG_RE.exec(tag);
    if (!m || m[2] !== record.alias) throw corrupt(file, 'bad "tag"');
    return tag;
  };
  if (record.tier === 'secure-enclave' && kind === 'se-blob') {
    checkOnly(record.backendData, ['kind', 'blob', 'accessibility', 'userPresence'], file);
    const blob = r.bytes('blob');
    if (blob.length === 0 || blob.length > MAX_BLOB_BYTES) throw corrupt(file, 'bad "blob"');
    const presence = presenceFromData(record.backendData, file);
    return {
      kind,
      blob,
      accessibility: accessibilityOf(r, file),
      ...(presence ? { userPresence: presence } : {}),
    };
  }
  if (record.tier === 'secure-enclave' && kind === 'se-keychain') {
    checkOnly(
      record.backendData,
      ['kind', 'tag', 'accessibility', 'accessGroup', 'userPresence'],
      file,
    );
    const group = r.raw('accessGroup');
    if (group !== undefined && (typeof group !== 'string' || group === ''))
      throw corrupt(file, 'bad "accessGroup"');
    const presence = presenceFromData(record.backendData, file);
    return {
      kind,
      tag: tagOf(),
      accessibility: accessibilityOf(r, file),
      ...(group ? { accessGroup: group } : {}),
      ...(presence ? { userPresence: presence } : {}),
    };
  }
  if (record.tier === 'keychain' && kind === 'keychain') {
    checkOnly(record.backendData, ['kind', 'tag'], file);
    return { kind, tag: tagOf() };
  }
  throw corrupt(file, `bad "kind" for the ${record.tier} tier`);
}

/**
 * A public key as Security.framework exports it (X9.63: 0x04 || X || Y), checked to be a
 * P-256 point. E_CORRUPT otherwise: it came from the OS or from our file, not from a caller.
 */
export function publicKeyFromX963(x963: Uint8Array, source: string): Buffer {
  if (!(x963 instanceof Uint8Array) || x963.length !== 65 || x963[0] !== 0x04) {
    throw corrupt(source, 'the public key is not a 65-byte uncompressed P-256 point');
  }
  try {
    return parsePeerPublicKey(Buffer.from(x963));
  } catch {
    throw corrupt(source, 'the public key is not on the P-256 curve');
  }
}

/**
 * The 0.1.0 secret frame. ECIES in Security.framework takes no associated data, so the header
 * was bound by sealing SHA-256(header) in front of the value; unsealing checks it. That binds the
 * name, but it authenticates nothing: ECIES is encryption to a public key. Kept to read 0.1.0
 * secrets in the migration (and to make them in tests); nothing new is sealed this way.
 */
export function frameSecret(header: SecretHeader, value: Uint8Array): Buffer {
  return Buffer.concat([createHash('sha256').update(secretAad(header)).digest(), value]);
}

/** Undefined when the frame does not belong to this header. */
export function unframeSecret(header: SecretHeader, framed: Buffer): Buffer | undefined {
  if (framed.length < AAD_HASH_BYTES) return undefined;
  const expected = createHash('sha256').update(secretAad(header)).digest();
  if (!expected.equals(framed.subarray(0, AAD_HASH_BYTES))) return undefined;
  return Buffer.from(framed.subarray(AAD_HASH_BYTES));
}

export type MacSecretData =
  | {
      kind: 'se-blob';
      blob: Buffer;
      publicKey: Buffer;
      accessibility: Accessibility;
      ciphertext: Buffer;
    }
  | { kind: 'keychain'; tag: string; publicKey: Buffer; ciphertext: Buffer };

export function secretDataToJson(data: MacSecretData): { [key: string]: Json } {
  const common = {
    alg: ECIES_ALG,
    kind: data.kind,
    publicKey: data.publicKey.toString('base64url'),
    ciphertext: data.ciphertext.toString('base64url'),
  };
  return data.kind === 'se-blob'
    ? { ...common, blob: data.blob.toString('base64url'), accessibility: data.accessibility }
    : { ...common, tag: data.tag };
}

export function parseSecretData(record: SecretRecord, file: string): MacSecretData {
  const r = new RecordReader(file, record.backendData);
  r.literal('alg', ECIES_ALG);
  const kind = r.string('kind');
  const publicKey = publicKeyFromX963(r.bytes('publicKey', 65), file);
  const ciphertext = r.bytes('ciphertext');
  if (ciphertext.length < ECIES_OVERHEAD + AAD_HASH_BYTES || ciphertext[0] !== 0x04) {
    throw corrupt(file, 'bad "ciphertext"');
  }
  if (record.tier === 'secure-enclave' && kind === 'se-blob') {
    checkOnly(
      record.backendData,
      ['alg', 'kind', 'publicKey', 'ciphertext', 'blob', 'accessibility'],
      file,
    );
    const blob = r.bytes('blob');
    if (blob.length === 0 || blob.length > MAX_BLOB_BYTES) throw corrupt(file, 'bad "blob"');
    return { kind, blob, publicKey, accessibility: accessibilityOf(r, file), ciphertext };
  }
  if (record.tier === 'keychain' && kind === 'keychain') {
    checkOnly(record.backendData, ['alg', 'kind', 'publicKey', 'ciphertext', 'tag'], file);
    const tag = r.string('tag');
    if (!SEAL_TAG_RE.test(tag)) throw corrupt(file, 'bad "tag"');
    return { kind, tag, publicKey, ciphertext };
  }
  throw corrupt(file, `bad "kind" for the ${record.tier} tier`);
}

export function tagBytes(tag: string): Buffer {
  return Buffer.from(tag, 'utf8');
}

/**
 * The key file of a blob-form Secure Enclave key holds the only copy of that key: the generic
 * E_CORRUPT hint ("delete it and create the key again") would tell the user to destroy it.
 */
export const BLOB_CORRUPT_HINT =
  'the key file holds the only copy of this Secure Enclave key: restore the file from a backup if you have one; deleting it destroys the key for good';

export function blobCorrupt(file: string, what: string, cause?: unknown): KeystoreError {
  return onlyCopyCorrupt(file, what, BLOB_CORRUPT_HINT, cause);
}

/**
 * A stored SE blob that SecKeyCreateWithData refuses as undecodable (errSecDecode, our own
 * "corrupt" reason) is a damaged file: E_CORRUPT naming it. Anything else (a locked Mac, a
 * missing entitlement or Secure Enclave, a status the table does not know) keeps its own code
 * and raw status: proof of damage is what E_CORRUPT promises, and deleting the file is for good.
 */
export function blobError(err: unknown, file: string): unknown {
  if (isKeystoreError(err, 'E_CORRUPT')) {
    return blobCorrupt(
      file,
      `its Secure Enclave blob does not rebuild a key (${err.message})`,
      err,
    );
  }
  return err;
}

/** Map any failure while probing to the one-line reason detection reports. */
export function reasonOf(err: unknown): string {
  if (isKeystoreError(err)) return err.hint ? `${err.message}; ${err.hint}` : err.message;
  return (err as Error)?.message ?? String(err);
}
