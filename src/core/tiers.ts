/** The ground words about tiers: their names, and what each promises about its keys. */

/** The tiers, in detection order: the first available one wins. */
export const TIERS = [
  'secure-enclave',
  'keychain',
  'tpm2',
  'windows-tpm',
  'windows-ksp',
  'encrypted-file',
] as const;
export type TierName = (typeof TIERS)[number];

/**
 * Who can get the private key out: nobody, the OS account owner, or whoever has the files and
 * the passphrase; 'unknown' for a key whose own material says it was made, or can be copied,
 * outside its tier's hardware (a tier never claims it for all its keys). Named so that no one
 * tests it for truth; `extractable` is the boolean.
 */
export type ExtractableBy = 'nobody' | 'os-account-owner' | 'passphrase-holder' | 'unknown';

/**
 * What a key needs besides the process's access to it: 'pin' for a tpm2 or windows-tpm key made
 * with one (the caller supplies it); 'biometry' or 'biometry-or-passcode' for a Secure Enclave
 * key made with createKey's userPresence (macOS asks the user at each use).
 */
export type UserPresence = 'pin' | PromptedPresence | 'none';

/** What macOS asks of the user at each use of a key made with createKey's userPresence. */
export type PromptedPresence = 'biometry' | 'biometry-or-passcode';

/** What a key gets: its tier's guarantees, or less when its own material says so. */
export interface KeyGuarantees {
  hardwareBacked: boolean;
  extractableBy: ExtractableBy;
  /** Absent: 'none'. */
  userPresence?: UserPresence;
}

export interface TierGuarantees extends KeyGuarantees {
  tier: TierName;
  /** A tier knows who can extract its keys. */
  extractableBy: Exclude<ExtractableBy, 'unknown'>;
}

/** What the API reports about a key or a store: `extractable` true when anyone can get it out. */
export interface Extractability {
  extractable: boolean;
  extractableBy: ExtractableBy;
}

export function extractabilityOf(g: { extractableBy: ExtractableBy }): Extractability {
  return { extractable: g.extractableBy !== 'nobody', extractableBy: g.extractableBy };
}

export type ProbeResult =
  | { available: true; detail?: string }
  | { available: false; reason: string };
