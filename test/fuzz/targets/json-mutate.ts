/**
 * Structure-aware mutation of the store's JSON records: change, drop, add or rename one field
 * anywhere in the tree, then (most of the time) make the checksum right again, so the mutation
 * reaches the field checks behind it instead of stopping at the checksum.
 */
import { createHash } from 'node:crypto';
import { canonicalJson, type Json } from '../../../src/core/json-record';
import type { Rng } from '../engine';

type Obj = { [key: string]: Json };

function deep(n: number): Json {
  let v: Json = 'bottom';
  for (let i = 0; i < n; i++) v = [v];
  return v;
}

const VALUES: Json[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  2 ** 53,
  1e308,
  '',
  'x',
  'A'.repeat(22),
  'é\u0000\u202e',
  '../../etc/passwd',
  [],
  {},
  'AAAAAAAAAAAAAAAAAAAAAA==',
  '2026-12-02T00:00:00.000Z',
  'encrypted-file',
  'tpm2',
];

/** Every path in the tree (objects and arrays too), root excluded. */
function paths(v: Json, prefix: (string | number)[] = [], out: (string | number)[][] = []) {
  if (v !== null && typeof v === 'object') {
    for (const [k, child] of Object.entries(v)) {
      const p = [...prefix, Array.isArray(v) ? Number(k) : k];
      out.push(p);
      paths(child, p, out);
    }
  }
  return out;
}

function parentOf(root: Obj, p: (string | number)[]): { [k: string]: Json } | Json[] {
  let v: Json = root;
  for (const k of p.slice(0, -1)) v = (v as Obj)[k as string] as Json;
  return v as Obj;
}

function tweak(v: Json, rng: Rng): Json {
  if (typeof v === 'string' && v.length && rng.chance(0.7)) {
    const i = rng.below(v.length);
    const c = rng.pick(['A', '-', '_', '=', '+', '/', '.', ' ', '\n', v[i]!.toUpperCase(), '']);
    return v.slice(0, i) + c + v.slice(i + 1);
  }
  if (typeof v === 'number' && rng.chance(0.7))
    return rng.pick([v + 1, v - 1, -v, v * 2 ** 20, v + 0.5]);
  if (rng.chance(0.05)) return deep(rng.pick([31, 32, 33, 100]));
  return rng.pick(VALUES);
}

/** The checksum readRecord expects: SHA-256 of the canonical JSON of the covered fields. */
export function fixChecksum(body: Obj, unchecked: readonly string[] = []): Obj {
  const { checksum: _old, ...rest } = body;
  const covered = Object.fromEntries(Object.entries(rest).filter(([k]) => !unchecked.includes(k)));
  try {
    return { ...rest, checksum: createHash('sha256').update(canonicalJson(covered)).digest('hex') };
  } catch {
    return body; // nested too deeply to canonicalise: left as it is
  }
}

export function mutateRecord(
  input: Buffer,
  rng: Rng,
  unchecked: readonly string[] = [],
): Buffer | undefined {
  let root: Json;
  try {
    root = JSON.parse(input.toString('utf8'));
  } catch {
    return undefined;
  }
  if (root === null || typeof root !== 'object' || Array.isArray(root)) return undefined;
  const obj = root as Obj;
  for (let n = 1 + (rng.chance(0.2) ? 1 : 0); n > 0; n--) {
    // Paths again each round: the previous change may have moved them.
    const all = paths(obj).filter((p) => p[p.length - 1] !== 'checksum' || rng.chance(0.1));
    if (!all.length) break;
    const p = rng.pick(all);
    const parent = parentOf(obj, p) as Obj;
    if (parent === null || typeof parent !== 'object') break;
    const key = p[p.length - 1] as string;
    switch (rng.below(5)) {
      case 0:
        if (Array.isArray(parent)) parent.splice(Number(key), 1);
        else delete parent[key];
        break;
      case 1:
        if (!Array.isArray(parent))
          parent[rng.pick(['extra', 'passphrase', 'storeId', 'constructor', 'sideFile'])] = tweak(
            'x',
            rng,
          );
        break;
      case 2:
        if (!Array.isArray(parent) && key !== 'checksum') {
          parent[key + rng.pick(['', 's', 'X'])] = parent[key]!;
          if (rng.chance(0.5)) delete parent[key];
        }
        break;
      default:
        parent[key] = tweak(parent[key]!, rng);
    }
  }
  const body = rng.chance(0.9) ? fixChecksum(obj, unchecked) : obj;
  const text = rng.chance(0.8) ? JSON.stringify(body, null, 2) + '\n' : JSON.stringify(body);
  // Now and then a duplicated key, which JSON.parse resolves to the last one.
  if (rng.chance(0.03)) return Buffer.from(text.replace('{', '{"format":"device-keystore/key",'));
  return Buffer.from(text);
}
