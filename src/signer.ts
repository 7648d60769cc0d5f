import type { JsonWebKey, KeyObject } from 'node:crypto';
import { checkDigest, signOptions, toBytes, type DataInput, type SignOptions } from './core/inputs';
import { verifySignature } from './crypto/ecdsa';
import { exportPublicKey, type PublicKeyFormat } from './crypto/p256';

/**
 * The face every signer of this library shows (DeviceKey, SessionKey): verify() and
 * exportPublicKey() against its current public key, written once so both check and encode the
 * same way. Each signer signs in its own way (a tier's handle, or a key in process memory).
 */
export abstract class Signer {
  /** The current public key, as a KeyObject and as the 65-byte uncompressed point. */
  protected abstract currentPublicKey(): { publicKey: KeyObject; raw: Buffer };

  /** Refuses verify() when the signer says so (a DeviceKey whose store is closed). */
  protected beforeVerify(): void {}

  /** Verifies with the current public key; false for a wrong or malformed signature. */
  verify(data: DataInput, signature: ArrayBufferView | ArrayBuffer, opts?: SignOptions): boolean {
    this.beforeVerify();
    const { publicKey } = this.currentPublicKey();
    const { format, prehashed } = signOptions(opts);
    const bytes = toBytes(data, 'data');
    checkDigest(bytes, prehashed);
    return verifySignature(publicKey, bytes, toBytes(signature, 'signature', false), {
      format,
      prehashed,
    });
  }

  exportPublicKey(format: 'pem'): string;
  exportPublicKey(format: 'jwk'): JsonWebKey;
  exportPublicKey(format: 'spki' | 'raw'): Buffer;
  exportPublicKey(format: PublicKeyFormat): string | Buffer | JsonWebKey;
  exportPublicKey(format: PublicKeyFormat): string | Buffer | JsonWebKey {
    return exportPublicKey(this.currentPublicKey().raw, format);
  }
}
