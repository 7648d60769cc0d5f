/**
 * Records for the key-usage tests of the OS-key-store tiers (test/tiers/apple/key-usage.test.ts,
 * test/tiers/windows/key-usage.test.ts): a header of either usage, the record the store would
 * write for a made key, and the same record with its usage edited.
 */
import { generateKeyPairSync } from 'node:crypto';
import type { KeyRecord, NewKeyHeader } from '../../src/core/records';
import type { TierName } from '../../src/core/tiers';

export const usageHeader = (tier: TierName, usage?: 'certify'): NewKeyHeader => ({
  alias: 'k',
  tier,
  algorithm: 'ECDSA-P256',
  createdAt: '2026-01-01T00:00:00.000Z',
  storeId: 'AAAAAAAAAAAAAAAAAAAAAA',
  ...(usage ? { usage } : {}),
});

export const recordOf = (
  h: NewKeyHeader,
  made: { publicKey: Buffer; backendData: KeyRecord['backendData'] },
): KeyRecord => ({ ...h, publicKey: made.publicKey, backendData: made.backendData });

/** The record with its usage edited: certify -> general drops the field, general -> certify adds it. */
export function flipped(record: KeyRecord): KeyRecord {
  const { usage, ...rest } = record;
  return usage === 'certify' ? rest : { ...rest, usage: 'certify' };
}

/** A fresh P-256 public key as X9.63 (0x04 || X || Y), what the macOS addon reports. */
export function x963(): Buffer {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const jwk = publicKey.export({ format: 'jwk' });
  return Buffer.concat([
    Buffer.from([4]),
    Buffer.from(jwk.x!, 'base64url'),
    Buffer.from(jwk.y!, 'base64url'),
  ]);
}
