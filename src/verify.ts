import { types } from 'node:util';
import { checkDigest, toBytes, signOptions, type DataInput, type SignOptions } from './core/inputs';
import { verifySignature } from './crypto/ecdsa';
import { parsePeerPublicKey, publicKeyObjectFromRaw, type PublicKeyInput } from './crypto/p256';

/**
 * Verify an ECDSA P-256 / SHA-256 signature with any public key, no keystore needed: a
 * DeviceKey, KeyObject, CryptoKey, PEM, JWK, SPKI DER or raw point. Returns false for a wrong or
 * malformed signature; throws E_INVALID_ARGUMENT for a bad key or input.
 */
export function verify(
  publicKey: PublicKeyInput,
  data: DataInput,
  signature: ArrayBufferView | ArrayBuffer,
  opts?: SignOptions,
): boolean {
  const { format, prehashed } = signOptions(opts);
  const bytes = toBytes(data, 'data');
  checkDigest(bytes, prehashed);
  const raw = parsePeerPublicKey(publicKey);
  // A KeyObject that passed is used as it is: making a new one costs more than the verification.
  const key = types.isKeyObject(publicKey) ? publicKey : publicKeyObjectFromRaw(raw);
  return verifySignature(key, bytes, toBytes(signature, 'signature', false), { format, prehashed });
}
