import { toBytes, signOptions, type SignOptions } from './device-key';
import { invalidArgument } from './errors';
import { verifySignature } from './crypto/ecdsa';
import { parsePeerPublicKey, publicKeyObjectFromRaw, type PublicKeyInput } from './crypto/p256';

/**
 * Verify an ECDSA P-256 / SHA-256 signature with any public key, no keystore needed. Returns
 * false for a wrong or malformed signature; throws E_INVALID_ARGUMENT for a bad key or input.
 */
export function verify(
  publicKey: PublicKeyInput,
  data: Uint8Array | string,
  signature: Uint8Array,
  opts?: SignOptions,
): boolean {
  const { format, prehashed } = signOptions(opts);
  const bytes = toBytes(data, 'data');
  if (prehashed && bytes.length !== 32)
    throw invalidArgument('a prehashed input must be a 32-byte digest');
  const key = publicKeyObjectFromRaw(parsePeerPublicKey(publicKey));
  return verifySignature(key, bytes, toBytes(signature, 'signature'), { format, prehashed });
}
