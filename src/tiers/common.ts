import { KeystoreError, corrupt } from '../core/errors';
import type { KeyUsage } from '../core/records';

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

/**
 * Checks a record's usage against what the key itself says (a keychain item's tag, an NCrypt
 * key's name or usage property; `material`, undefined when it says nothing), before the key is
 * used. A record that calls a certifying key general is E_CORRUPT naming `file` (made with
 * `fail`, for tiers whose key files hold the only copy): that is the edit that would turn a
 * certifying key into a signing oracle. A certifying record whose key says 'general' or nothing
 * is one made before the usage was bound there (device-keystore 0.2.0): it loads, bound by its
 * record only, and the result says so.
 */
export function checkUsage(
  record: { usage?: KeyUsage },
  material: KeyUsage | undefined,
  file: string,
  what: string,
  fail: (file: string, what: string) => KeystoreError = corrupt,
): 'bound' | 'record-only' {
  if (record.usage === 'certify') return material === 'certify' ? 'bound' : 'record-only';
  if (material === 'certify') {
    throw fail(
      file,
      `the record says the key is for general use, but ${what} says it is a certifying key`,
    );
  }
  // A general key needs no binding: a record could only claim less of it, never more.
  return 'bound';
}

/**
 * Remembers the certifying keys checkUsage found bound by their record only and warns once per
 * file: `where` is what the tier read the usage from (a keychain item, an NCrypt key).
 */
export class RecordOnlyUsageNotes {
  readonly notes: string[] = [];
  constructor(private readonly warn: (message: string) => void) {}

  note(
    file: string,
    binding: 'bound' | 'record-only',
    where: string,
    why = 'a certifying key made by device-keystore 0.2.0',
  ): void {
    if (binding === 'bound') return;
    const note = `${file}: only its record says this is a certifying key, not ${where} (${why}), so editing the record can make it a general key; docs/delegation.md ("Key usage") says how to replace it`;
    if (this.notes.includes(note)) return;
    this.notes.push(note);
    this.warn(note);
  }
}
