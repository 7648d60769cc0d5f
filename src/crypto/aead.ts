import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** AES-256-GCM with a fresh 96-bit nonce per message; the header goes in as AAD. */
export interface SealedBox {
  iv: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

export function aesGcmSeal(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): SealedBox {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { iv, ciphertext, tag: cipher.getAuthTag() };
}

/** Returns undefined when authentication fails; the caller decides what that means. */
export function aesGcmOpen(key: Uint8Array, box: SealedBox, aad: Uint8Array): Buffer | undefined {
  if (box.iv.length !== 12 || box.tag.length !== 16) return undefined;
  const decipher = createDecipheriv('aes-256-gcm', key, box.iv, { authTagLength: 16 });
  decipher.setAAD(aad);
  decipher.setAuthTag(box.tag);
  const plaintext = decipher.update(box.ciphertext);
  try {
    decipher.final();
  } catch {
    plaintext.fill(0);
    return undefined;
  }
  return plaintext;
}
