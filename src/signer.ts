import type { JsonWebKey, KeyObject } from 'node:crypto';
import { checkDigest, signOptions, toBytes, type DataInput, type SignOptions } from './core/inputs';
import { verifySignature } from './crypto/ecdsa';
import type { PublicKeyFormat } from './crypto/p256';

/**
 * The face every signer of this library shows (DeviceKey, SessionKey). Each signs its own way
 * (through its tier, or with a key in process memory); verification is one function, so both
 * check inputs and signatures the same way.
 */
export interface Signer {
  readonly publicKey: KeyObject;
  sign(data: DataInput, opts?: SignOptions): Promise<Buffer>;
  verify(data: DataInput, signature: ArrayBufferView | ArrayBuffer, opts?: SignOptions): boolean;
  exportPublicKey(format: PublicKeyFormat): string | Buffer | JsonWebKey;
}

/** verify() of every signer: false for a wrong or malformed signature, typed errors for bad input. */
export function verifyWithKey(
  publicKey: KeyObject,
  data: DataInput,
  signature: ArrayBufferView | ArrayBuffer,
  opts: SignOptions | undefined,
): boolean {
  const { format, prehashed } = signOptions(opts);
  const bytes = toBytes(data, 'data');
  checkDigest(bytes, prehashed);
  return verifySignature(publicKey, bytes, toBytes(signature, 'signature', false), {
    format,
    prehashed,
  });
}
