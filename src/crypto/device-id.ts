import { createHash } from 'node:crypto';
import { publicKeyObjectFromRaw } from './p256';

/** A device's id: the SHA-256 of its identity key's SPKI, base64url (docs/api.md, "Identity"). */

export function deviceIdOf(publicKeyRaw: Buffer): string {
  const spki = publicKeyObjectFromRaw(publicKeyRaw).export({ format: 'der', type: 'spki' });
  return createHash('sha256').update(spki).digest('base64url');
}
