import type { StoreDescription } from '../rooms/describe';
import type { TierName } from '../core/tiers';

/**
 * What survives an uninstall or reinstall of the product and the loss of the device, per tier,
 * as the tier actually behaves (docs/production.md). No tier promises device-loss recovery.
 */
const BY_TIER: Record<TierName, string> = {
  tpm2: 'tpm2: reinstalling the product keeps the keys usable on this machine as long as the store directory and the TPM are kept; clearing the TPM (tpm2_clear, a firmware reset, some OS reinstalls) destroys them. They cannot be restored on another device: after a loss, enrol the new device and revoke the old identity',
  'secure-enclave':
    "secure-enclave: the keys stay in this Mac's Secure Enclave while the store directory is kept; erasing the Mac destroys them, and they cannot be restored on another device or from a backup",
  keychain:
    'keychain: the keys live in the login keychain; a reinstall of the product keeps them, a new user account or Mac does not have them unless the keychain is migrated with the account',
  'windows-tpm':
    'windows-tpm: reinstalling the product keeps the keys on this PC while the store directory is kept; clearing the TPM or reinstalling Windows destroys them; they cannot be restored on another device',
  'windows-ksp':
    'windows-ksp: the keys are DPAPI-protected for this Windows user on this PC; a reinstall of the product keeps them, another PC or a reset profile does not',
  'encrypted-file':
    'encrypted-file: the store directory plus its passphrase restore the keys on any machine; back up both, separately',
};

export function survivalOf(d: StoreDescription): string[] {
  const tiers = new Set<TierName>([d.tier, ...d.keys.map((k) => k.tier)]);
  return [...tiers].map((t) => BY_TIER[t]);
}
