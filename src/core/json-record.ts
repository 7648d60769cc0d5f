import { KeystoreError, corrupt } from './errors';

/**
 * The JSON every record is made of, read without I/O: canonical JSON (checksums and AAD) and
 * field readers that turn a schema violation into E_CORRUPT naming the field. The store reads
 * and writes the files (src/store/records.ts); tiers read their own fields with RecordReader.
 */

/** Field readers that turn a schema violation into E_CORRUPT naming the field. */
export class RecordReader {
  constructor(
    private readonly file: string,
    private readonly body: { [key: string]: Json },
  ) {}

  string(key: string, pattern?: RegExp): string {
    const v = this.body[key];
    if (typeof v !== 'string' || (pattern && !pattern.test(v)))
      throw corrupt(this.file, `bad "${key}"`);
    return v;
  }

  integer(key: string): number {
    const v = this.body[key];
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw corrupt(this.file, `bad "${key}"`);
    return v;
  }

  literal<T extends Json>(key: string, expected: T): T {
    if (this.body[key] !== expected) throw corrupt(this.file, `bad "${key}"`);
    return expected;
  }

  bytes(key: string, length?: number): Buffer {
    const s = this.string(key, /^[A-Za-z0-9_-]*$/);
    const b = Buffer.from(s, 'base64url');
    if (b.toString('base64url') !== s || (length !== undefined && b.length !== length)) {
      throw corrupt(this.file, `bad "${key}"`);
    }
    return b;
  }

  object(key: string): RecordReader {
    const v = this.body[key];
    if (v === null || typeof v !== 'object' || Array.isArray(v))
      throw corrupt(this.file, `bad "${key}"`);
    return new RecordReader(this.file, v);
  }

  raw(key: string): Json | undefined {
    return this.body[key];
  }
}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * How deep a record may nest. Ours nest three levels at most; the bound keeps a hostile file from
 * exhausting the stack of the recursive canonicalJson (a raw RangeError) and makes it E_CORRUPT.
 */
export const MAX_JSON_DEPTH = 32;

/**
 * Canonical JSON: keys sorted at every level, no whitespace. Used for checksums and AAD.
 * Deeper than MAX_JSON_DEPTH is E_CORRUPT (readRecord names the file).
 */
export function canonicalJson(value: Json, depth = 0): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (depth >= MAX_JSON_DEPTH) {
    throw new KeystoreError('E_CORRUPT', `JSON nested more than ${MAX_JSON_DEPTH} levels deep`);
  }
  const inner = (v: Json) => canonicalJson(v, depth + 1);
  if (Array.isArray(value)) return `[${value.map(inner).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${inner(value[k] as Json)}`).join(',')}}`;
}
