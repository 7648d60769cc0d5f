import { corrupt, invalidArgument, received } from '../../core/errors';
import type { KeyGuarantees, PromptedPresence } from '../../core/tiers';
import type { KeyRecord } from '../../core/records';

/**
 * createKey's `userPresence` on macOS: a Secure Enclave key whose every use waits for the user
 * to answer the system's prompt, enforced by the Secure Enclave through the key's
 * SecAccessControl (kSecAccessControlPrivateKeyUsage with kSecAccessControlBiometryAny for
 * 'biometry', kSecAccessControlUserPresence for 'biometry-or-passcode'; native/macos/mac_keys.cc).
 * A TPM or Windows PCP key that needs a PIN is createKey's `pin` instead: the caller supplies
 * the PIN; here the OS asks the user, and no secret passes through this process.
 */
export const PROMPTED_PRESENCES = ['biometry', 'biometry-or-passcode'] as const;

export const PIN_OR_PROMPT_HINT =
  '{ pin } for a key whose PIN the application supplies (tpm2, windows-tpm); { userPresence } for one that macOS guards with its own prompt (secure-enclave)';

/** The option as createKey takes it; undefined (or 'none') makes a key that asks nothing. */
export function userPresenceOption(value: unknown): PromptedPresence | undefined {
  if (value === undefined || value === 'none') return undefined;
  if (value === 'pin') {
    throw invalidArgument(
      "userPresence 'pin' is not an option of its own: a PIN key is made with { pin }",
      'createKey(alias, { pin }) on the tpm2 and windows-tpm tiers',
    );
  }
  if (!(PROMPTED_PRESENCES as readonly unknown[]).includes(value)) {
    throw invalidArgument(
      `userPresence must be 'biometry' or 'biometry-or-passcode'. ${received(value)}`,
      "'biometry': Touch ID with any enrolled finger; 'biometry-or-passcode': Touch ID, a paired watch or the login password",
    );
  }
  return value as PromptedPresence;
}

/** The record field of such a key (absent for keys that ask nothing). */
export function presenceField(presence: PromptedPresence | undefined): { userPresence?: string } {
  return presence ? { userPresence: presence } : {};
}

/** The record's `userPresence`, checked; E_CORRUPT when it is not one we write. */
export function presenceFromData(
  data: { [key: string]: unknown },
  file: string,
): PromptedPresence | undefined {
  const v = data.userPresence;
  if (v === undefined) return undefined;
  if (!(PROMPTED_PRESENCES as readonly unknown[]).includes(v))
    throw corrupt(file, 'bad "userPresence"');
  return v as PromptedPresence;
}

/** What listKeys and describe() report for a macOS key, from its record alone. */
export function macKeyGuarantees(tier: KeyGuarantees, record: KeyRecord): KeyGuarantees {
  let presence: PromptedPresence | undefined;
  try {
    presence = presenceFromData(record.backendData, `the ${record.alias} key record`);
  } catch {
    presence = undefined; // getKey reports the damage; a listing does not claim a prompt
  }
  return presence ? { ...tier, userPresence: presence } : tier;
}
