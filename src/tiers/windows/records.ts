import { randomBytes } from 'node:crypto';
import { KeystoreError, corrupt } from '../../core/errors';
import { onlyCopyCorrupt } from '../common';
import { RecordReader, type Json } from '../../core/json-record';
import type { KeyRecord, KeyUsage } from '../../core/records';
import { PCP_PIN_FIELD, recordNeedsPin } from './pcp-pin';

/** What the Windows tiers keep in the store: a PCP key blob or a KSP key name, and the errors that name a damaged record. */

/** Certifying keys' names carry their usage; general keys' names are as they always were. */
const CERTIFYING_SEGMENT = 'certifying-key/';
const KEY_NAME_RE =
  /^device-keystore\/(certifying-key\/)?([a-z0-9][a-z0-9._-]{0,63})\/([0-9a-f]{32})$/;
/** A PCP blob is well under 2 KiB; anything far larger is not one. */
const MAX_BLOB_BYTES = 16 * 1024;

/**
 * A Software KSP key's name: the alias (for people reading `certutil -csp KSP -key`) and 128
 * random bits, so that two stores with the same alias never share a key. A certifying key's
 * name says so (`device-keystore/certifying-key/<alias>/…`): the provider keeps the key under
 * that name, so a record cannot name it as a general key without naming it by that name.
 */
export function makeKeyName(alias: string, usage: KeyUsage = 'general'): string {
  const segment = usage === 'certify' ? CERTIFYING_SEGMENT : '';
  return `device-keystore/${segment}${alias}/${randomBytes(16).toString('hex')}`;
}

/** The usage a key name says, or undefined for a name that is not one of ours. */
export function nameUsage(name: string): KeyUsage | undefined {
  const m = KEY_NAME_RE.exec(name);
  if (!m) return undefined;
  return m[1] ? 'certify' : 'general';
}

export type NcryptKeyData =
  | { kind: 'pcp-blob'; blob: Buffer; pin?: true }
  | { kind: 'ksp-key'; name: string };

export function keyDataToJson(data: NcryptKeyData): { [key: string]: Json } {
  return data.kind === 'pcp-blob'
    ? { kind: data.kind, blob: data.blob.toString('base64url'), ...(data.pin ? PCP_PIN_FIELD : {}) }
    : { kind: data.kind, name: data.name };
}

/** Parse and check a key record's backendData against its tier and alias; E_CORRUPT if off. */
export function parseKeyData(record: KeyRecord, file: string): NcryptKeyData {
  const r = new RecordReader(file, record.backendData);
  const kind = r.string('kind');
  const only = (allowed: string[]) => {
    for (const k of Object.keys(record.backendData)) {
      if (!allowed.includes(k)) throw corrupt(file, `unexpected field "${k}"`);
    }
  };
  if (record.tier === 'windows-tpm' && kind === 'pcp-blob') {
    only(['kind', 'blob', 'userPresence']);
    const blob = r.bytes('blob');
    if (blob.length === 0 || blob.length > MAX_BLOB_BYTES) throw corrupt(file, 'bad "blob"');
    const presence = record.backendData.userPresence;
    if (presence !== undefined && !recordNeedsPin(record.backendData))
      throw corrupt(file, 'bad "userPresence"');
    return { kind, blob, ...(presence ? { pin: true as const } : {}) };
  }
  if (record.tier === 'windows-ksp' && kind === 'ksp-key') {
    only(['kind', 'name']);
    const name = r.string('name');
    const m = KEY_NAME_RE.exec(name);
    if (!m || m[2] !== record.alias) throw corrupt(file, 'bad "name"');
    return { kind, name };
  }
  throw corrupt(file, `bad "kind" for the ${record.tier} tier`);
}

/**
 * The key file of a windows-tpm key holds the only copy of that key (the provider keeps
 * nothing): the generic E_CORRUPT hint ("delete it and create the key again") would destroy it.
 */
export const PCP_BLOB_CORRUPT_HINT =
  'the key file holds the only copy of this TPM key: restore the file from a backup if you have one; deleting it destroys the key for good';

export function blobCorrupt(file: string, what: string, cause?: unknown): KeystoreError {
  return onlyCopyCorrupt(file, what, PCP_BLOB_CORRUPT_HINT, cause);
}

/** Any failure while probing as the one-line reason detection reports (with the hint). */
export function reasonOf(err: unknown): string {
  return (err as Error)?.message ?? String(err);
}
