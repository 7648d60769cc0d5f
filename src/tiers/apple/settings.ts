import { invalidArgument } from '../../core/errors';
import type { TierGuarantees } from '../../core/tiers';

/** What each macOS tier promises, and the one setting its keys take from the environment. */

export const SE_GUARANTEES = {
  tier: 'secure-enclave',
  hardwareBacked: true,
  extractableBy: 'nobody',
} as const satisfies TierGuarantees;

export const KEYCHAIN_GUARANTEES = {
  tier: 'keychain',
  hardwareBacked: false,
  extractableBy: 'os-account-owner',
} as const satisfies TierGuarantees;

/** Secure Enclave keys are usable "when unlocked" (default) or "after first unlock". */
export const ACCESSIBILITY_ENV = 'DEVICE_KEYSTORE_SE_ACCESSIBILITY';
export const ACCESSIBILITIES = ['when-unlocked', 'after-first-unlock'] as const;
export type Accessibility = (typeof ACCESSIBILITIES)[number];

export function accessibilityFrom(value: string | undefined): Accessibility {
  if (value === undefined || value === '') return 'when-unlocked';
  if ((ACCESSIBILITIES as readonly string[]).includes(value)) return value as Accessibility;
  throw invalidArgument(
    `${ACCESSIBILITY_ENV}=${JSON.stringify(value)} is not a known accessibility`,
    `use ${ACCESSIBILITIES.join(' or ')}`,
  );
}
