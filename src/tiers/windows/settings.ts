import type { TierGuarantees } from '../../core/tiers';
import { type NcryptKind, type NcryptUsagePolicy } from '../../addon/windows';

/** What each Windows tier promises, which NCrypt providers may be used, and which passed their probe. */

export const WINDOWS_TPM_GUARANTEES = {
  tier: 'windows-tpm',
  hardwareBacked: true,
  extractableBy: 'nobody',
} as const satisfies TierGuarantees;

export const WINDOWS_KSP_GUARANTEES = {
  tier: 'windows-ksp',
  hardwareBacked: false,
  extractableBy: 'os-account-owner',
} as const satisfies TierGuarantees;

/**
 * Which NCrypt providers detection may use: "platform", "software", both comma-separated (the
 * default), or "none". For machines where keys must never go to the software KSP (a roaming
 * profile, a policy), and for test runs that must get the file tier on any Windows.
 */
export const NCRYPT_PROVIDERS_ENV = 'DEVICE_KEYSTORE_NCRYPT_PROVIDERS';

/** The providers allowed by DEVICE_KEYSTORE_NCRYPT_PROVIDERS, or why the value is refused. */
export function allowedProviders(
  value: string | undefined = process.env[NCRYPT_PROVIDERS_ENV],
): { ok: true; kinds: NcryptKind[] } | { ok: false; reason: string } {
  if (value === undefined || value.trim() === '')
    return { ok: true, kinds: ['platform', 'software'] };
  const parts = value.split(',').map((p) => p.trim());
  if (parts.length === 1 && parts[0] === 'none') return { ok: true, kinds: [] };
  if (parts.every((p): p is NcryptKind => p === 'platform' || p === 'software')) {
    return { ok: true, kinds: parts };
  }
  return {
    ok: false,
    reason: `${NCRYPT_PROVIDERS_ENV}=${JSON.stringify(value)} is not "none" or a comma-separated list of platform and software`,
  };
}

export const PCP_NAME = 'Microsoft Platform Crypto Provider';
export const KSP_NAME = 'Microsoft Software Key Storage Provider';

/** The providers whose probe passed in this process, with the usage policy that held. */
export const provenThisProcess = new Map<NcryptKind, NcryptUsagePolicy>();
