import { KeystoreError } from '../core/errors';

/** Small pieces the OS-key-store tiers (macos.ts, windows.ts) share. */

/** A view of `data` as a Buffer, without a copy. */
export function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** What a forced tier that cannot open says. */
export function tierUnavailable(tier: string, reason: string): KeystoreError {
  return new KeystoreError('E_BACKEND_UNAVAILABLE', `the ${tier} tier is unavailable: ${reason}`, {
    hint: 'omit the backend option to use the best available tier',
  });
}

/**
 * E_CORRUPT for a key file that holds the only copy of its key (a Secure Enclave or TPM blob):
 * its `hint` says so, instead of the generic "delete it and create the key again".
 */
export function onlyCopyCorrupt(
  file: string,
  what: string,
  hint: string,
  cause?: unknown,
): KeystoreError {
  return new KeystoreError('E_CORRUPT', `${file} is corrupt: ${what}`, {
    path: file,
    hint,
    ...(cause === undefined ? {} : { cause }),
  });
}

/** Runs `fn` on a native object opened for it, and closes the object whatever happens. */
export async function withOpened<N extends { close(): Promise<void> }, T>(
  open: () => N,
  fn: (native: N) => Promise<T>,
): Promise<T> {
  const native = open();
  try {
    return await fn(native);
  } finally {
    await native.close();
  }
}
