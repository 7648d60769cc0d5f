import type { UserPresence } from './tiers';

/** What a loaded key can do, the same on every tier: sign and ECDH, never show its private part. */

/** A key's PIN for one operation (UTF-8 bytes, checked by src/core/pin.ts). */
export interface KeyAuth {
  pin?: Buffer;
}

export interface RawSignature {
  encoding: 'der' | 'p1363';
  bytes: Buffer;
}

/** A loaded private key. It never exposes private material; only these operations. */
export interface KeyHandle {
  /**
   * ECDSA-SHA256, in whichever encoding the tier produces natively; the caller checks it
   * strictly, normalises S and re-encodes (finishSignature).
   */
  signRaw(data: Uint8Array, prehashed: boolean, auth?: KeyAuth): Promise<RawSignature>;
  /** ECDH with an already validated uncompressed peer point. Returns the 32-byte x-coordinate. */
  ecdh(peerPoint: Buffer, auth?: KeyAuth): Promise<Buffer>;
  /** 'pin' when the key needs a PIN; 'biometry'… when macOS asks the user; absent: 'none'. */
  readonly userPresence?: UserPresence;
  /** Keep `pin` in process memory for `ms` (the tier wipes it then, and on close). */
  cachePin?(pin: Buffer, ms: number): void;
  /**
   * A PIN key's PIN (the call's, else the cached one), proven right by the device, for a key
   * made with the same PIN (its certifying key). The caller wipes the copy returned.
   */
  provePin?(auth?: KeyAuth): Promise<Buffer>;
}
