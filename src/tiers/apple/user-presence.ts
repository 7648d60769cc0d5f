import { corrupt, invalidArgument, received, type ErrorCode } from '../../errors';
import type { KeyGuarantees, KeyRecord, PromptedPresence } from '../../backends/backend';

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

interface PresenceStatus {
  domain: string;
  status: number;
  name: string;
  code: ErrorCode;
  hint: string;
}

const LA_DOMAIN = 'com.apple.LocalAuthentication';
const NOT_AVAILABLE = 'E_USER_PRESENCE_UNAVAILABLE' satisfies ErrorCode;

function la(status: number, name: string, code: ErrorCode, hint: string): PresenceStatus {
  return { domain: LA_DOMAIN, status, name, code, hint };
}

/**
 * The LocalAuthentication statuses a key with a prompt can fail with (LAError.h), beyond the
 * user-cancel and authentication-failed entries src/backends/osstatus.ts already names. Its
 * table takes these in (osstatus.ts imports this list).
 */
export const USER_PRESENCE_STATUSES: readonly PresenceStatus[] = Object.freeze([
  la(
    -3,
    'LAErrorUserFallback',
    'E_USER_CANCELED',
    'the user chose the fallback button, which this library does not offer; retry and use Touch ID or the password',
  ),
  la(
    -4,
    'LAErrorSystemCancel',
    'E_USER_CANCELED',
    'macOS canceled the prompt (another application came forward, or the screen locked); retry',
  ),
  la(
    -5,
    'LAErrorPasscodeNotSet',
    NOT_AVAILABLE,
    'this Mac account has no login password, so nothing can confirm the user; set one in System Settings',
  ),
  la(
    -6,
    'LAErrorBiometryNotAvailable',
    NOT_AVAILABLE,
    "this Mac has no usable Touch ID (none built in, the lid is closed, or it is disabled); use a key made with userPresence 'biometry-or-passcode'",
  ),
  la(
    -7,
    'LAErrorBiometryNotEnrolled',
    NOT_AVAILABLE,
    'no fingerprint is enrolled; add one in System Settings > Touch ID & Password',
  ),
  la(
    -8,
    'LAErrorBiometryLockout',
    'E_AUTH_FAILED',
    'Touch ID is locked after too many failed attempts; unlock the Mac with its password, then retry',
  ),
  la(
    -1004,
    'LAErrorNotInteractive',
    'E_INTERACTION_NOT_ALLOWED',
    'this key asks the user at each use, and this process cannot show a prompt (no GUI session: SSH, a daemon)',
  ),
]);
