import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import {
  SIDE_FILE_SUFFIXES,
  type KeyRecord,
  type SecretRecord,
  type SideFileSuffix,
} from '../core/records';
import { TIERS, type TierName } from '../core/tiers';
import { corrupt, fromFsError, isKeystoreError } from '../core/errors';
import { parsePeerPublicKey } from '../crypto/p256';
import { FILE_MODE, assertPrivateFile } from './permissions';
import { readRecord, writeRecord } from './records';
import { RecordReader, type Json } from '../core/json-record';
import { writeFileAtomic } from './atomic';
import { KEY_FORMAT, storeIdOf, usageOf, SECRET_FORMAT } from '../core/aad';

/**
 * Key and secret records: one JSON file each, named after the alias, plus at most one side file
 * a tier declares (the TPM's TSS2 PEM), whose SHA-256 the record holds.
 */

/**
 * Version 3 records carry the store id; version 2 declared the side file; version 1 (0.1.0) kept
 * it in the TPM's data. Versions 1 and 2 are still read (they have no store id).
 */
const KEY_VERSION = 3;
/** Version 2 secrets carry the store id and are sealed by the store (sealing.ts); 1 is 0.1.0. */
export const SECRET_VERSION = 2;
export const LEGACY_SECRET_VERSION = 1;
export const STORE_ID_RE = /^[A-Za-z0-9_-]{22}$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;

function tierOf(r: RecordReader, file: string): TierName {
  const tier = r.string('tier');
  if (!(TIERS as readonly string[]).includes(tier)) throw corrupt(file, `unknown tier "${tier}"`);
  return tier as TierName;
}

/** A key record as stored: the side file is named and checksummed, its bytes not yet read. */
export interface StoredKeyRecord extends Omit<KeyRecord, 'sideFile'> {
  sideFileRef?: { suffix: SideFileSuffix; sha256: string };
}

export function sideFilePath(keysDir: string, alias: string, suffix: SideFileSuffix): string {
  return path.join(keysDir, alias + suffix);
}

function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Write a key: its side file first, then the record, which is the commit point. A crash between
 * the two leaves only a side file that no record names, which the next locked call of any
 * process removes (sweepOrphanSideFiles in context.ts).
 */
export async function writeKeyRecord(file: string, record: KeyRecord): Promise<void> {
  const side = record.sideFile;
  if (side) {
    await writeFileAtomic(
      sideFilePath(path.dirname(file), record.alias, side.suffix),
      side.bytes,
      FILE_MODE,
    );
  }
  await writeRecord(file, {
    format: KEY_FORMAT,
    version: KEY_VERSION,
    alias: record.alias,
    tier: record.tier,
    algorithm: record.algorithm,
    publicKey: record.publicKey.toString('base64url'),
    createdAt: record.createdAt,
    ...storeIdOf(requireStoreId(record, file)),
    ...usageOf(record),
    backendData: record.backendData,
    ...(side ? { sideFile: { suffix: side.suffix, sha256: sha256Hex(side.bytes) } } : {}),
  });
}

/** Read the side file a record names, refusing loose permissions and a checksum mismatch. */
export async function readSideFile(file: string, record: StoredKeyRecord): Promise<KeyRecord> {
  const { sideFileRef: sideFile, ...rest } = record;
  if (!sideFile) return rest;
  const side = sideFilePath(path.dirname(file), record.alias, sideFile.suffix);
  let bytes: Buffer;
  try {
    await assertPrivateFile(side, 'key side file');
    bytes = await fsp.readFile(side);
  } catch (err) {
    // The record exists, so the key is not "not found": its material is missing.
    if (isKeystoreError(err, 'E_NOT_FOUND') || (err as NodeJS.ErrnoException).code === 'ENOENT')
      throw corrupt(file, `its key file ${side} is missing`);
    if (isKeystoreError(err)) throw err;
    throw fromFsError(err, side, 'read');
  }
  if (sha256Hex(bytes) !== sideFile.sha256)
    throw corrupt(side, 'it does not match its record (sha256)');
  return { ...rest, sideFile: { suffix: sideFile.suffix, bytes } };
}

function sideFileOf(
  r: RecordReader,
  body: { [key: string]: Json },
  version: number,
  tier: TierName,
  alias: string,
  file: string,
): Pick<StoredKeyRecord, 'sideFileRef' | 'backendData'> {
  const backendData = objectField(body, 'backendData', file);
  if (version === 1) {
    if (tier !== 'tpm2') return { backendData };
    // 0.1.0 kept the TPM's PEM file name and checksum in the tier's data.
    const legacy = new RecordReader(file, backendData);
    if (legacy.string('keyFile') !== `${alias}.tss2.pem`) throw corrupt(file, 'bad "keyFile"');
    return {
      sideFileRef: { suffix: '.tss2.pem', sha256: legacy.string('sha256', /^[0-9a-f]{64}$/) },
      backendData: {},
    };
  }
  if (body.sideFile === undefined) return { backendData };
  const side = r.object('sideFile');
  const suffix = side.string('suffix');
  if (!(SIDE_FILE_SUFFIXES as readonly string[]).includes(suffix))
    throw corrupt(file, 'bad "sideFile"');
  return {
    sideFileRef: {
      suffix: suffix as SideFileSuffix,
      sha256: side.string('sha256', /^[0-9a-f]{64}$/),
    },
    backendData,
  };
}

export async function readKeyRecord(file: string, expectedAlias: string): Promise<StoredKeyRecord> {
  const body = await readRecord(file, 'key file');
  const r = new RecordReader(file, body);
  r.literal('format', KEY_FORMAT);
  const version = r.integer('version');
  if (version !== 1 && version !== 2 && version !== KEY_VERSION)
    throw corrupt(file, 'bad "version"');
  // The alias is bound into the file (and into the AAD), so a renamed file is caught here.
  const alias = r.string('alias');
  if (alias !== expectedAlias)
    throw corrupt(file, `it holds key "${alias}", not "${expectedAlias}"`);
  const publicKey = r.bytes('publicKey', 65);
  try {
    parsePeerPublicKey(publicKey);
  } catch {
    throw corrupt(file, '"publicKey" is not a valid P-256 point');
  }
  const tier = tierOf(r, file);
  return {
    alias,
    tier,
    algorithm: r.literal('algorithm', 'ECDSA-P256'),
    publicKey,
    createdAt: r.string('createdAt', ISO_DATE),
    ...(version === KEY_VERSION ? { storeId: r.string('storeId', STORE_ID_RE) } : {}),
    ...(version === KEY_VERSION && body.usage !== undefined
      ? { usage: r.literal('usage', 'certify') }
      : {}),
    ...sideFileOf(r, body, version, tier, alias, file),
  };
}

/** New records are always bound to a store; only 0.1.0 records lack the id. */
function requireStoreId<T extends { storeId?: string }>(record: T, file: string): T {
  if (record.storeId === undefined || !STORE_ID_RE.test(record.storeId))
    throw new Error(`internal: ${file} would be written without a store id`);
  return record;
}

/**
 * Check that a record read from `file` belongs to this store: E_CORRUPT naming both ids when it
 * was copied from another store. A record without an id (0.1.0 format) passes here; the caller
 * decides what that format may still do.
 */
export function checkStoreBinding(
  file: string,
  recordStoreId: string | undefined,
  storeId: string | undefined,
  storeFile: string,
): void {
  if (recordStoreId === undefined) return;
  if (storeId === undefined)
    throw corrupt(file, `it is bound to store ${recordStoreId}, but ${storeFile} is missing`);
  if (recordStoreId !== storeId)
    throw corrupt(
      file,
      `it belongs to another store (store id ${recordStoreId}; this store is ${storeId})`,
    );
}

export async function writeSecretRecord(file: string, record: SecretRecord): Promise<void> {
  await writeRecord(file, {
    format: SECRET_FORMAT,
    version: SECRET_VERSION,
    name: record.name,
    tier: record.tier,
    createdAt: record.createdAt,
    ...storeIdOf(requireStoreId(record, file)),
    backendData: record.backendData,
  });
}

export async function readSecretRecord(file: string, expectedName: string): Promise<SecretRecord> {
  const body = await readRecord(file, 'secret file');
  const r = new RecordReader(file, body);
  r.literal('format', SECRET_FORMAT);
  const version = r.integer('version');
  if (version !== LEGACY_SECRET_VERSION && version !== SECRET_VERSION)
    throw corrupt(file, 'bad "version"');
  const name = r.string('name');
  if (name !== expectedName)
    throw corrupt(file, `it holds secret "${name}", not "${expectedName}"`);
  return {
    name,
    tier: tierOf(r, file),
    createdAt: r.string('createdAt', ISO_DATE),
    ...(version === SECRET_VERSION ? { storeId: r.string('storeId', STORE_ID_RE) } : {}),
    backendData: objectField(body, 'backendData', file),
  };
}

function objectField(
  body: { [key: string]: Json },
  key: string,
  file: string,
): { [key: string]: Json } {
  const v = body[key];
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw corrupt(file, `bad "${key}"`);
  return v;
}

/** Names of the records in a directory (aliases or secret names), sorted; temp files skipped. */
export async function listRecordNames(dir: string): Promise<string[]> {
  let entries: string[];
  try {
    entries = await fsp.readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw fromFsError(err, dir, 'list');
  }
  return entries
    .filter((e) => e.endsWith('.json') && !e.startsWith('.'))
    .map((e) => path.basename(e, '.json'))
    .sort();
}
