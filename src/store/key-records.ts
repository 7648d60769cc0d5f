import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { TIERS, type KeyRecord, type SecretRecord, type TierName } from '../backends/backend';
import { corrupt, fromFsError } from '../errors';
import { parsePeerPublicKey } from '../crypto/p256';
import { RecordReader, readRecord, writeRecord, type Json } from './records';

/** Key and secret records: one JSON file each, named after the alias. */

const KEY_FORMAT = 'device-keystore/key';
const SECRET_FORMAT = 'device-keystore/secret';
const VERSION = 1;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;

function tierOf(r: RecordReader, file: string): TierName {
  const tier = r.string('tier');
  if (!(TIERS as readonly string[]).includes(tier)) throw corrupt(file, `unknown tier "${tier}"`);
  return tier as TierName;
}

export async function writeKeyRecord(file: string, record: KeyRecord): Promise<void> {
  await writeRecord(file, {
    format: KEY_FORMAT,
    version: VERSION,
    alias: record.alias,
    tier: record.tier,
    algorithm: record.algorithm,
    publicKey: record.publicKey.toString('base64url'),
    createdAt: record.createdAt,
    backendData: record.backendData,
  });
}

export async function readKeyRecord(file: string, expectedAlias: string): Promise<KeyRecord> {
  const body = await readRecord(file, 'key file');
  const r = new RecordReader(file, body);
  r.literal('format', KEY_FORMAT);
  r.literal('version', VERSION);
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
  return {
    alias,
    tier: tierOf(r, file),
    algorithm: r.literal('algorithm', 'ECDSA-P256'),
    publicKey,
    createdAt: r.string('createdAt', ISO_DATE),
    backendData: objectField(body, 'backendData', file),
  };
}

export async function writeSecretRecord(file: string, record: SecretRecord): Promise<void> {
  await writeRecord(file, {
    format: SECRET_FORMAT,
    version: VERSION,
    name: record.name,
    tier: record.tier,
    createdAt: record.createdAt,
    backendData: record.backendData,
  });
}

export async function readSecretRecord(file: string, expectedName: string): Promise<SecretRecord> {
  const body = await readRecord(file, 'secret file');
  const r = new RecordReader(file, body);
  r.literal('format', SECRET_FORMAT);
  r.literal('version', VERSION);
  const name = r.string('name');
  if (name !== expectedName)
    throw corrupt(file, `it holds secret "${name}", not "${expectedName}"`);
  return {
    name,
    tier: tierOf(r, file),
    createdAt: r.string('createdAt', ISO_DATE),
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
