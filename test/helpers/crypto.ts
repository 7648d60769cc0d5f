/** Helpers for the unit tests of src/crypto (test/unit/crypto/). */
import { expect } from 'vitest';
import { isKeystoreError } from '../../src/core/errors';

/** Expects `fn` to throw E_INVALID_ARGUMENT with a message matching `pattern`. */
export function expectInvalid(fn: () => unknown, pattern: RegExp): void {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(isKeystoreError(error, 'E_INVALID_ARGUMENT'), String(error)).toBe(true);
  expect((error as Error).message).toMatch(pattern);
}

/** Bytes from hex written with spaces for reading. */
export const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
