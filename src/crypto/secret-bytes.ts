import { inspect } from 'node:util';

/**
 * Bytes that must never be printed: a passphrase or a derived key. `util.inspect`, `JSON.stringify`
 * and string conversion all show a placeholder, and `wipe()` zeroes the memory when done.
 * The bytes live in a private field, which `util.inspect` does not show even with showHidden.
 */
export class SecretBytes {
  #bytes: Buffer;

  constructor(bytes: Uint8Array) {
    this.#bytes = Buffer.from(bytes);
  }

  static fromString(text: string): SecretBytes {
    return new SecretBytes(Buffer.from(text, 'utf8'));
  }

  /** The raw bytes. Callers must not keep the buffer beyond the call that needs it. */
  unsafeBytes(): Buffer {
    return this.#bytes;
  }

  get length(): number {
    return this.#bytes.length;
  }

  wipe(): void {
    this.#bytes.fill(0);
  }

  toString(): string {
    return '[SecretBytes]';
  }

  toJSON(): string {
    return '[SecretBytes]';
  }

  [inspect.custom](): string {
    return '[SecretBytes]';
  }
}
