import * as crypto from 'node:crypto';
import { KeystoreError } from '../core/errors';
import type { KeyHandle, RawSignature } from '../core/key-handle';
import { signDigestWithScalar } from './ecdsa';
import { publicKeyObjectFromRaw } from './p256';

/**
 * A software P-256 private key as a KeyObject, signing and agreeing with node:crypto: the
 * encrypted-file tier's keys once decrypted, and session keys, which never leave memory.
 */

/** SEC1 DER of a P-256 private key: fixed prefix, then the 32-byte scalar. */
const SEC1_PREFIX = Buffer.from('30770201010420', 'hex');

/** A private KeyObject held where no caller can reach it. */
export class SoftwareKeyHandle implements KeyHandle {
  readonly #privateKey: crypto.KeyObject;
  // Built once: crypto.sign re-reads the options object on every call.
  readonly #signOptions: crypto.SignKeyObjectInput;

  constructor(privateKey: crypto.KeyObject) {
    this.#privateKey = privateKey;
    this.#signOptions = { key: privateKey, dsaEncoding: 'der' };
  }

  /** A message (not a digest), signed synchronously: DER, as node:crypto makes it. */
  signMessage(data: Uint8Array): Buffer {
    // DER is node:crypto's native output; asking for P1363 costs a conversion inside node.
    return crypto.sign('sha256', data, this.#signOptions);
  }

  async signRaw(data: Uint8Array, prehashed: boolean): Promise<RawSignature> {
    if (!prehashed) return { encoding: 'der', bytes: this.signMessage(data) };
    // node:crypto always hashes its input, so a precomputed digest is signed with noble.
    const sec1 = this.#privateKey.export({ format: 'der', type: 'sec1' });
    try {
      if (!sec1.subarray(0, SEC1_PREFIX.length).equals(SEC1_PREFIX)) {
        throw new KeystoreError('E_CORRUPT', 'unexpected private key encoding from node:crypto');
      }
      const d = sec1.subarray(SEC1_PREFIX.length, SEC1_PREFIX.length + 32);
      return { encoding: 'p1363', bytes: signDigestWithScalar(data, d) };
    } finally {
      sec1.fill(0);
    }
  }

  async ecdh(peerPoint: Buffer): Promise<Buffer> {
    return crypto.diffieHellman({
      privateKey: this.#privateKey,
      publicKey: publicKeyObjectFromRaw(peerPoint),
    });
  }
}
