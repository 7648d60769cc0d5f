/**
 * What every kind of test needs, once: the checkout's root, the P-256 group order, temporary
 * directories and the error checks. The per-room helpers (api.ts, file.ts, tpm.ts, apple.ts)
 * re-export these, so a test imports from the helper of its room.
 */
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect } from 'vitest';

export const ROOT = path.resolve(__dirname, '..', '..');

/** The order of the P-256 group (SEC 2), typed in here rather than imported from src. */
export const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
export const HALF_N = N >> 1n;

/** Makes `makeTempDir(label)` for one room: its directories are named `<prefix>-<label>-…`. */
export function tempDirsNamed(prefix: string): (label: string) => Promise<string> {
  return (label) => fsp.mkdtemp(path.join(os.tmpdir(), `${prefix}-${label}-`));
}

export async function removeDir(dir: string | undefined): Promise<void> {
  if (dir) await fsp.rm(dir, { recursive: true, force: true });
}

/** An error as the tests look at it: a KeystoreError's fields, or whatever else was thrown. */
export type CaughtError = Error & {
  code?: string;
  hint?: string;
  path?: string;
  tpmRc?: number;
  osStatus?: number;
} & Record<string, unknown>;

/** Awaits `run` and returns what it threw (or rejected with); fails the test if it succeeded. */
export async function caught(run: () => unknown): Promise<CaughtError> {
  let value: unknown;
  try {
    value = await run();
  } catch (err) {
    return err as CaughtError;
  }
  throw new Error(`expected an error, got ${String(value)}`);
}

/** Expects `run` to fail with a KeystoreError whose code is `codes` (or one of them). */
export async function expectCode(
  run: () => unknown,
  codes: string | readonly string[],
  label = '',
): Promise<CaughtError> {
  const want = typeof codes === 'string' ? [codes] : codes;
  const err = await caught(run);
  expect(err?.name, `${label} ${String(err)}\n${err?.stack ?? ''}`).toBe('KeystoreError');
  expect(want, `${label} got ${String(err.code)} (${err.message})`).toContain(err.code);
  return err;
}
