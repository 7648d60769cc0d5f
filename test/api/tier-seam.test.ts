/**
 * The provider seam (src/tiers/detect.ts, setTierProvidersForTesting): a test puts its own tiers
 * in front of a real store, detection reports them like any other, and restoring brings the real
 * ones back.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Keystore } from '../../src/index';
import { providerFor, setTierProvidersForTesting } from '../../src/tiers/detect';
import { encryptedFileTier } from '../../src/tiers/file/provider';
import { tpm2Tier } from '../../src/tiers/tpm2/provider';
import type { TierProvider } from '../../src/tiers/tier';
import { makeTempDir, removeDir } from '../helpers/file';

const PASS = 'correct horse battery staple';

function refusingTpm(reason: string, probed: string[]): TierProvider {
  return {
    tier: 'tpm2',
    hardwareBacked: true,
    extractableBy: 'nobody',
    async probe() {
      probed.push('tpm2');
      return { available: false, reason };
    },
    async open() {
      throw new Error('a refusing tier is never opened');
    },
  };
}

describe('setTierProvidersForTesting', () => {
  let dir: string | undefined;
  let restore: (() => void) | undefined;
  afterEach(async () => {
    restore?.();
    restore = undefined;
    await removeDir(dir);
  });

  it('detection walks the given tiers, reports why each was skipped, and takes the first that works', async () => {
    dir = await makeTempDir('seam');
    const probed: string[] = [];
    restore = setTierProvidersForTesting([
      refusingTpm('this fake TPM says no', probed),
      encryptedFileTier,
    ]);
    const ks = await Keystore.open({ dir, passphrase: PASS });
    try {
      const d = await ks.describe();
      expect(probed).toEqual(['tpm2']);
      expect(d.tier).toBe('encrypted-file');
      expect(d.tiers.map((t) => [t.tier, t.status])).toEqual([
        ['tpm2', 'unavailable'],
        ['encrypted-file', 'available'],
      ]);
      expect(d.tiers[0]!.reason).toContain('this fake TPM says no');
      const key = await ks.createKey('k');
      const sig = await key.sign('m');
      expect(key.verify('m', sig)).toBe(true);
    } finally {
      await ks.close();
    }
  });

  it('restoring brings back the real tiers', () => {
    restore = setTierProvidersForTesting([encryptedFileTier]);
    expect(() => providerFor('tpm2')).toThrow(/unknown tier/);
    restore();
    restore = undefined;
    expect(providerFor('tpm2')).toBe(tpm2Tier);
  });
});
