import { canonicalJson, type Json } from './json-record';
import type { KeyHeader, SecretHeader } from './records';

/**
 * The additional authenticated data that binds sealed material to its record: tiers seal with
 * it, the store writes the same fields into the record, so editing a record breaks the seal.
 */

/**
 * The AAD that binds a tier's sealed key material to its record. `binding` adds what the tier
 * itself must bind (the file tier: the id of the data key it used).
 */
export function keyAad(header: KeyHeader, binding: { [key: string]: Json } = {}): Buffer {
  return Buffer.from(
    canonicalJson({
      ...binding,
      format: KEY_FORMAT,
      alias: header.alias,
      tier: header.tier,
      algorithm: header.algorithm,
      publicKey: header.publicKey.toString('base64url'),
      createdAt: header.createdAt,
      ...storeIdOf(header),
      ...usageOf(header),
    }),
  );
}

/** Only certifying keys name their usage, so general keys keep the AAD and record they had. */
export function usageOf(header: { usage?: 'certify' }): { usage?: 'certify' } {
  return header.usage === 'certify' ? { usage: 'certify' } : {};
}

export function storeIdOf(header: { storeId?: string }): { storeId?: string } {
  return header.storeId !== undefined ? { storeId: header.storeId } : {};
}

/** The AAD that binds a sealed secret to its record; `binding` as for keyAad. */
export function secretAad(header: SecretHeader, binding: { [key: string]: Json } = {}): Buffer {
  return Buffer.from(
    canonicalJson({
      ...binding,
      format: SECRET_FORMAT,
      name: header.name,
      tier: header.tier,
      createdAt: header.createdAt,
      ...storeIdOf(header),
    }),
  );
}

export const KEY_FORMAT = 'device-keystore/key';
export const SECRET_FORMAT = 'device-keystore/secret';
