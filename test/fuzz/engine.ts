/**
 * The fuzzing loop: a hand-made mutation engine (see test/fuzz/README.md for why not fast-check
 * or Jazzer.js). Each target owns its oracle; the engine only feeds it inputs grown from the
 * committed corpus and keeps the ones that reached an outcome no earlier input reached, a cheap
 * stand-in for coverage feedback that needs no instrumentation.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { ErrorCodes, KeystoreError } from '../../src/core/errors';

export const CORPUS = path.join(__dirname, 'corpus');
/** A batch being checked is written here first, so an input that kills the process is kept. */
export const INFLIGHT = path.join(__dirname, '.inflight');

/** An oracle violation; the input that caused it is saved as a regression input. */
export class FuzzFailure extends Error {
  constructor(
    message: string,
    readonly input?: Buffer,
  ) {
    super(message);
  }
}

/** Deterministic, seedable randomness (xorshift32), so a run can be replayed from its seed. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 1;
  }
  u32(): number {
    let x = this.s;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  below(n: number): number {
    return n <= 0 ? 0 : this.u32() % n;
  }
  chance(p: number): boolean {
    return this.u32() / 0x100000000 < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)]!;
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.u32() & 0xff;
    return b;
  }
}

export interface Target {
  name: string;
  /** Inputs the target always starts from, besides its corpus directory. */
  seeds(): Buffer[];
  /** Structure-aware mutation; undefined lets the engine fall back to byte mutations. */
  mutate?(input: Buffer, rng: Rng, pool: readonly Buffer[]): Buffer | undefined;
  /**
   * Runs the oracle over a batch and returns one outcome label per input (inputs with a label
   * never seen before join the pool). Throws FuzzFailure on a violation.
   */
  check(inputs: Buffer[]): string[] | Promise<string[]>;
}

const INTERESTING = [0x00, 0x01, 0x02, 0x7f, 0x80, 0x81, 0x82, 0xfe, 0xff];

/** Generic byte-level mutations, the same for every target. */
export function mutateBytes(input: Buffer, rng: Rng, pool: readonly Buffer[]): Buffer {
  let b = Buffer.from(input);
  const rounds = 1 + rng.below(3);
  for (let r = 0; r < rounds; r++) {
    const at = rng.below(b.length + 1);
    switch (rng.below(8)) {
      case 0: // flip a bit
        if (b.length) b[rng.below(b.length)]! ^= 1 << rng.below(8);
        break;
      case 1: // an interesting byte
        if (b.length) b[rng.below(b.length)] = rng.pick(INTERESTING);
        break;
      case 2: // insert random bytes
        b = Buffer.concat([b.subarray(0, at), rng.bytes(1 + rng.below(4)), b.subarray(at)]);
        break;
      case 3: // delete a run
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + rng.below(8))]);
        break;
      case 4: // duplicate a run
        b = Buffer.concat([
          b.subarray(0, at),
          b.subarray(at, at + 1 + rng.below(16)),
          b.subarray(at),
        ]);
        break;
      case 5: // truncate
        b = b.subarray(0, at);
        break;
      case 6: {
        // splice with another pool member
        const other = rng.pick(pool);
        const from = rng.below(other.length + 1);
        b = Buffer.concat([b.subarray(0, at), other.subarray(from, from + rng.below(32))]);
        break;
      }
      default: // add or subtract a small number from a byte
        if (b.length) {
          const i = rng.below(b.length);
          b[i] = (b[i]! + (rng.chance(0.5) ? 1 : 255) * (1 + rng.below(4))) & 0xff;
        }
    }
  }
  return b;
}

export function corpusFiles(name: string): { file: string; bytes: Buffer }[] {
  const dir = path.join(CORPUS, name);
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return [];
  }
  return names
    .filter((n) => !n.startsWith('.') && n !== 'README.md')
    .map((n) => ({ file: path.join(dir, n), bytes: readFileSync(path.join(dir, n)) }));
}

export function saveCorpusInput(name: string, prefix: string, input: Buffer): string {
  const dir = path.join(CORPUS, name);
  mkdirSync(dir, { recursive: true });
  const file = path.join(
    dir,
    `${prefix}-${createHash('sha256').update(input).digest('hex').slice(0, 16)}`,
  );
  writeFileSync(file, input);
  return file;
}

/**
 * The oracle every target shares: `run` may succeed or throw a KeystoreError with a stable
 * code; anything else (a TypeError, a RangeError, a plain Error) is a finding.
 */
export function typedOutcome<T>(
  run: () => T,
): { ok: true; value: T } | { ok: false; label: string; message: string } {
  try {
    return { ok: true, value: run() };
  } catch (err) {
    if (err instanceof KeystoreError && (ErrorCodes as readonly string[]).includes(err.code)) {
      // Digits vary with the input (sizes, offsets); the rest of the message names the check.
      const label = `${err.code} ${err.message.replace(/0x[0-9a-f]+|\d+/gi, '#')}`;
      return { ok: false, label, message: `${err.code} ${err.message}` };
    }
    const e = err as Error;
    throw new FuzzFailure(`not a KeystoreError: ${e?.name}: ${e?.message}\n${e?.stack ?? ''}`);
  }
}

export async function typedOutcomeAsync<T>(
  run: () => Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; label: string; message: string }> {
  let value: T;
  try {
    value = await run();
  } catch (err) {
    return typedOutcome(() => {
      throw err;
    }) as { ok: false; label: string; message: string };
  }
  return { ok: true, value };
}

export interface FuzzStats {
  name: string;
  inputs: number;
  seconds: number;
  perSecond: number;
  pool: number;
  outcomes: number;
  accepted: number;
}

/**
 * A batch taking longer than this is a hang: the slowest oracle (a file round trip) takes about
 * 3 ms an input, so a batch well under a second even on a loaded machine. An input that never
 * returns at all is caught by scripts/fuzz.mjs's deadline, with the batch in .inflight/.
 */
const HANG_BATCH_MS = 30_000;
const BATCH = 128;
const MAX_POOL = 4_096;

/**
 * Fuzz `target` for `seconds`. On a violation the input is saved in the corpus as
 * `crash-<sha256>` (replayed from then on by test/fuzz/replay.test.ts) and the failure rethrown.
 */
export async function fuzz(target: Target, seconds: number, seed = randomBytes(4).readUInt32BE()) {
  const rng = new Rng(seed);
  const pool = [...target.seeds(), ...corpusFiles(target.name).map((c) => c.bytes)];
  if (pool.length === 0) throw new Error(`${target.name}: no seeds`);
  const seen = new Set<string>();
  let inputs = 0;
  let accepted = 0;
  mkdirSync(INFLIGHT, { recursive: true });
  const inflight = path.join(INFLIGHT, `${target.name}.bin`);
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  while (performance.now() < deadline) {
    const batch: Buffer[] = [];
    for (let i = 0; i < BATCH; i++) {
      const parent = rng.pick(pool);
      const structured = rng.chance(0.75) ? target.mutate?.(parent, rng, pool) : undefined;
      batch.push(structured ?? mutateBytes(parent, rng, pool));
    }
    writeFileSync(inflight, Buffer.concat(batch.flatMap(lengthPrefixed)));
    const started = performance.now();
    let labels: string[];
    try {
      labels = await target.check(batch);
    } catch (err) {
      if (!(err instanceof FuzzFailure)) throw err;
      const culprit = err.input ?? (await isolate(target, batch));
      const file = culprit ? saveCorpusInput(target.name, 'crash', culprit) : '(not isolated)';
      throw new FuzzFailure(`${target.name} (seed ${seed}): ${err.message}\nsaved as ${file}`);
    }
    const took = performance.now() - started;
    if (took > HANG_BATCH_MS) {
      throw new FuzzFailure(
        `${target.name}: a batch took ${Math.round(took)} ms (a hang?); it is in ${inflight}`,
      );
    }
    labels.forEach((label, i) => {
      if (label.startsWith('accepted')) accepted++;
      if (!seen.has(label)) {
        seen.add(label);
        if (pool.length < MAX_POOL) pool.push(batch[i]!);
      }
    });
    inputs += batch.length;
    // Let the event loop run between batches: vitest's worker answers its RPCs there.
    await new Promise((resolve) => setImmediate(resolve));
  }
  rmSync(inflight, { force: true });
  const took = (performance.now() - t0) / 1000;
  return {
    name: target.name,
    inputs,
    seconds: took,
    perSecond: Math.round(inputs / took),
    pool: pool.length,
    outcomes: seen.size,
    accepted,
  } satisfies FuzzStats;
}

function lengthPrefixed(b: Buffer): Buffer[] {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(b.length);
  return [head, b];
}

/** Which input of a failing batch fails on its own (the oracle may not have said). */
async function isolate(target: Target, batch: Buffer[]): Promise<Buffer | undefined> {
  for (const input of batch) {
    try {
      await target.check([input]);
    } catch (err) {
      if (err instanceof FuzzFailure) return input;
      throw err;
    }
  }
  return undefined;
}

/** Reads an inflight file back into its inputs. */
export function readInflight(file: string): Buffer[] {
  const data = readFileSync(file);
  const out: Buffer[] = [];
  for (let at = 0; at + 4 <= data.length; ) {
    const n = data.readUInt32BE(at);
    out.push(data.subarray(at + 4, at + 4 + n));
    at += 4 + n;
  }
  return out;
}
