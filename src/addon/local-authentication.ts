import type { ErrorCode } from '../core/errors';

/**
 * The LocalAuthentication statuses of keys that prompt the user (createKey's userPresence on
 * macOS, src/tiers/apple/user-presence.ts), as data for the macOS status table.
 */

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
 * user-cancel and authentication-failed entries ./osstatus.ts already names. Its
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
