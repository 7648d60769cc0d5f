import type { TierGuarantees, TierProvider } from './backend';
import { KeystoreError } from '../errors';

/**
 * A tier that this build cannot offer at all. It reports the true reason and never pretends to
 * work. (The macOS tiers are real providers in ./macos and report their own reasons.)
 */
export function unavailableTier(guarantees: TierGuarantees, reason: () => string): TierProvider {
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
