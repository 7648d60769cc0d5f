import type { ErrorCode } from '../core/errors';

/**
 * Exit codes, stable and documented in docs/cli.md, so that scripts can branch on them.
 * 1 is kept for "the answer is no" (a signature that does not verify), as in `openssl`.
 */
export const EXIT = {
  OK: 0,
  VERIFY_FAILED: 1,
  USAGE: 2,
  INTERNAL: 70,
} as const;

/** Codes only the CLI reports (in its --json errors), never a KeystoreError's. */
export const CLI_ONLY_CODES = { E_USAGE: EXIT.USAGE } as const;

const BY_CODE: Record<ErrorCode, number> = {
  E_INVALID_ARGUMENT: 2,
  E_NOT_FOUND: 3,
  E_NOT_INITIALIZED: 3,
  E_EXISTS: 4,
  E_BAD_PASSPHRASE: 5,
  E_CORRUPT: 6,
  E_INSECURE_PERMISSIONS: 7,
  E_BACKEND_UNAVAILABLE: 8,
  E_HARDWARE_REQUIRED: 8,
  E_LOCKED: 9,
  E_IO: 10,
  E_CLOSED: 70,
  E_ABORTED: 70,
  E_CERTIFICATE_INVALID: 1,
  E_ATTESTATION_INVALID: 1,
  E_SESSION_EXPIRED: 11,
  E_KEY_USAGE: 11,
  E_TPM_UNAVAILABLE: 8,
  E_TPM_PERMISSION: 8,
  E_TPM_LOCKOUT: 11,
  E_TPM_AUTH: 11,
  E_TPM_OBJECT_MEMORY: 12,
  E_TPM_SRK_MISMATCH: 12,
  E_TPM_INTEGRITY: 12,
  E_TPM: 12,
  E_MISSING_ENTITLEMENT: 8,
  E_INTERACTION_NOT_ALLOWED: 8,
  E_USER_PRESENCE_UNAVAILABLE: 8,
  E_AUTH_FAILED: 11,
  E_USER_CANCELED: 11,
  E_MACOS: 12,
  E_PERMISSION: 10,
  E_WINDOWS: 12,
};

export function exitCodeFor(code: ErrorCode): number {
  return BY_CODE[code];
}
