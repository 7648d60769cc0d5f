import { invalidArgument, received } from './errors';

/**
 * A key's PIN as the TPM takes it: the key's authValue is the PIN's UTF-8 bytes (as tpm2-tools
 * and tpm2-openssl take a password, so other tools can use the key with the same PIN). An
 * authValue is at most the size of the key's name digest, and the TPM drops trailing zero
 * bytes, so a PIN is 1-32 bytes without NUL.
 */
export const MAX_PIN_BYTES = 32;

export function pinBytes(pin: unknown, what = 'pin'): Buffer {
  let bytes: Buffer;
  if (typeof pin === 'string') bytes = Buffer.from(pin.normalize('NFC'), 'utf8');
  else if (pin instanceof Uint8Array) bytes = Buffer.from(pin);
  else throw invalidArgument(`${what} must be a string or a Uint8Array. ${received(pin)}`);
  if (bytes.length === 0 || bytes.length > MAX_PIN_BYTES || bytes.includes(0)) {
    bytes.fill(0);
    throw invalidArgument(
      `${what} must be 1 to ${MAX_PIN_BYTES} bytes of UTF-8 without NUL characters`,
      'a TPM key authorization value is at most as long as its SHA-256 name digest',
    );
  }
  return bytes;
}

/** `cacheFor`: how long a PIN stays in process memory, in ms; 0 (the default) is not at all. */
export function cacheForOption(value: unknown): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 2 ** 31 - 1) {
    throw invalidArgument(
      `cacheFor must be a whole number of milliseconds from 0 to 2147483647. ${received(value)}`,
    );
  }
  return value;
}

/** A PIN given to createKey or getKey, and how long the key may keep it. */
export interface PinOptions {
  pin: Buffer;
  cacheFor: number;
}
