import type { TierGuarantees, TierProvider } from './backend';
import { KeystoreError } from '../errors';

/**
 * Tiers that this build cannot offer. Each reports the true reason: the wrong OS, or (for now)
 * that the native code for it is not part of this release. None pretends to work.
 */
function unavailableTier(guarantees: TierGuarantees, reason: () => string): TierProvider {
  return {
    ...guarantees,
    async probe() {
      return { available: false, reason: reason() };
    },
    async open() {
      throw new KeystoreError(
        'E_BACKEND_UNAVAILABLE',
        `the ${guarantees.tier} tier is unavailable: ${reason()}`,
        {
          hint: 'omit the backend option to use the best available tier',
        },
      );
    },
  };
}

const NOT_BUILT = 'not built into this release of device-keystore yet';

export const secureEnclaveTier = unavailableTier(
  { tier: 'secure-enclave', hardwareBacked: true, extractable: 'no' },
  () => (process.platform === 'darwin' ? NOT_BUILT : `macOS only (this is ${process.platform})`),
);

export const keychainTier = unavailableTier(
  { tier: 'keychain', hardwareBacked: false, extractable: 'os-owner' },
  () => (process.platform === 'darwin' ? NOT_BUILT : `macOS only (this is ${process.platform})`),
);
