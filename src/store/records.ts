import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { KeystoreError, corrupt, fromFsError } from '../core/errors';
import { writeFileAtomic } from './atomic';
import { FILE_MODE, assertPrivateFile } from './permissions';
import { MAX_JSON_DEPTH, type Json, canonicalJson, RecordReader } from '../core/json-record';

/**
 * JSON records on disk (keys, secrets, the file tier's master). Each record carries a SHA-256
 * checksum over the rest of its canonical JSON, so an accidental change (a flipped bit, a bad
 * edit, a truncated copy) is reported as E_CORRUPT before any key is unwrapped. The checksum is
 * not a security boundary: AES-GCM with the header as AAD is. It only makes errors precise,
 * and it stops a damaged KDF parameter from costing minutes or gigabytes.
 */

/** Depth of a parsed JSON value, without recursion (a parsed file can nest a million levels). */
function jsonDepth(value: unknown): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d + 1 > max) max = d + 1;
    if (max > MAX_JSON_DEPTH) return max;
    for (const child of Object.values(v as object)) stack.push([child, d + 1]);
  }
  return max;
}

function checksumOf(body: { [key: string]: Json }): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

export async function writeRecord(file: string, body: { [key: string]: Json }): Promise<void> {
  const withSum = { ...body, checksum: checksumOf(body) };
  await writeFileAtomic(file, JSON.stringify(withSum, null, 2) + '\n', FILE_MODE);
}

/**
 * Read a record, refusing loose permissions, bad JSON and a checksum mismatch.
 * Never writes: a damaged file stays byte-identical for the user to inspect.
 */
export async function readRecord(
  file: string,
  what: string,
  /** Fields outside the checksum (a legacy field that is migrated away). */
  unchecked: readonly string[] = [],
): Promise<{ [key: string]: Json }> {
  await assertPrivateFile(file, what);
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (err) {
    throw fromFsError(err, file, `read ${what}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw corrupt(file, 'not valid JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw corrupt(file, 'not a JSON object');
  }
  if (jsonDepth(parsed) > MAX_JSON_DEPTH) {
    throw corrupt(file, `nested more than ${MAX_JSON_DEPTH} levels deep`);
  }
  const { checksum, ...body } = parsed as { [key: string]: Json };
  const covered = Object.fromEntries(Object.entries(body).filter(([k]) => !unchecked.includes(k)));
  if (typeof checksum !== 'string' || checksum !== checksumOf(covered)) {
    throw corrupt(file, 'checksum mismatch');
  }
  return covered;
}

/**
 * A record read as by readRecord, opened in a RecordReader with its format and version checked;
 * undefined when the file does not exist.
 */
export async function readRecordIfAny(
  file: string,
  what: string,
  format: string,
  version: number,
): Promise<RecordReader | undefined> {
  let body;
  try {
    body = await readRecord(file, what);
  } catch (err) {
    if ((err as KeystoreError).code === 'E_NOT_FOUND') return undefined;
    throw err;
  }
  const r = new RecordReader(file, body);
  r.literal('format', format);
  r.literal('version', version);
  return r;
}
