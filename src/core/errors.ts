import { deniedHint, deniedReason, deniedText } from './denied';

/**
 * One error class for the whole package. Callers branch on `code`, never on `message`.
 *
 * Messages say what happened and what to do next. They never include a passphrase, key bytes,
 * or any other secret: secrets never reach the constructor, so they cannot leak through
 * `message`, `stack` or `util.inspect`.
 */

export const ErrorCodes = [
  'E_NOT_FOUND',
  'E_EXISTS',
  'E_BAD_PASSPHRASE',
  'E_CORRUPT',
  'E_INSECURE_PERMISSIONS',
  'E_BACKEND_UNAVAILABLE',
  'E_HARDWARE_REQUIRED',
  'E_INVALID_ARGUMENT',
  'E_LOCKED',
  'E_NOT_INITIALIZED',
  'E_IO',
  'E_CLOSED',
  'E_ABORTED',
  // Delegated session keys; `check` names the certificate check that failed.
  'E_CERTIFICATE_INVALID',
  'E_SESSION_EXPIRED',
  // A certifying key asked to sign caller data or do ECDH (see KeyUsage).
  'E_KEY_USAGE',
  // TPM key attestation (src/attestation/); `check` names the check that failed.
  'E_ATTESTATION_INVALID',
  // TPM 2.0 tier; `tpmRc` carries the raw TSS2_RC.
  'E_TPM_UNAVAILABLE',
  'E_TPM_PERMISSION',
  'E_TPM_LOCKOUT',
  'E_TPM_AUTH',
  'E_TPM_OBJECT_MEMORY',
  'E_TPM_SRK_MISMATCH',
  'E_TPM_INTEGRITY',
  'E_TPM',
  // macOS tiers (Secure Enclave, Keychain); `osStatus` carries the raw OSStatus.
  'E_MISSING_ENTITLEMENT',
  'E_INTERACTION_NOT_ALLOWED',
  'E_AUTH_FAILED',
  'E_USER_CANCELED',
  // The key asks for user presence this machine cannot give now (no Touch ID, none enrolled, no
  // login password) or that its tier cannot set (a PCP that refuses a PIN).
  'E_USER_PRESENCE_UNAVAILABLE',
  'E_MACOS',
  // This process may not use a file or key that exists: a store file of another OS user (the
  // message names the file, its owner and mode), or, on Windows, an NCrypt key (NTE_PERM).
  'E_PERMISSION',
  // Windows NCrypt tiers (Platform Crypto Provider, Software KSP); `osStatus` carries the raw
  // SECURITY_STATUS / TBS_RESULT.
  'E_WINDOWS',
] as const;

export type ErrorCode = (typeof ErrorCodes)[number];

export interface KeystoreErrorDetails {
  /** A one-line instruction for the user: what to run or change. */
  hint?: string;
  /** The path involved, when there is one. */
  path?: string;
  /** The underlying error (an fs error, a native status). Never carries secrets. */
  cause?: unknown;
  /** Raw platform status, kept so that nothing is lost in translation. */
  osStatus?: number;
  tpmRc?: number;
  errno?: string;
  /**
   * E_CERTIFICATE_INVALID, E_ATTESTATION_INVALID: which check failed ('signature', 'validity',
   * 'purpose', 'nonce', 'fixedTPM', ...).
   */
  check?: string;
  /** E_TPM_AUTH for a key's PIN: wrong tries left before the TPM locks out, when it says. */
  triesLeft?: number;
  /** E_TPM_LOCKOUT: seconds until the TPM forgets one failure and accepts PINs again. */
  retryAfterSeconds?: number;
}

export class KeystoreError extends Error {
  readonly code: ErrorCode;
  // `declare`: optional fields exist on an error only when set, so inspect shows no undefineds.
  declare readonly hint?: string;
  declare readonly path?: string;
  declare readonly osStatus?: number;
  declare readonly tpmRc?: number;
  declare readonly errno?: string;
  declare readonly check?: string;
  declare readonly triesLeft?: number;
  declare readonly retryAfterSeconds?: number;

  constructor(code: ErrorCode, message: string, details: KeystoreErrorDetails = {}) {
    const full = details.hint ? `${message} (${details.hint})` : message;
    super(full, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'KeystoreError';
    this.code = code;
    const fields = [
      'hint',
      'path',
      'osStatus',
      'tpmRc',
      'errno',
      'check',
      'triesLeft',
      'retryAfterSeconds',
    ] as const;
    for (const k of fields) {
      if (details[k] !== undefined)
        Object.defineProperty(this, k, { value: details[k], enumerable: true });
    }
  }
}

export function isKeystoreError(err: unknown, code?: ErrorCode): err is KeystoreError {
  return err instanceof KeystoreError && (code === undefined || err.code === code);
}

export function invalidArgument(message: string, hint?: string): KeystoreError {
  return new KeystoreError('E_INVALID_ARGUMENT', message, hint ? { hint } : {});
}

export function corrupt(path: string, what: string): KeystoreError {
  return new KeystoreError('E_CORRUPT', `${path} is corrupt: ${what}`, {
    path,
    hint: 'the file was changed outside device-keystore; restore it from a backup or delete it and create the key again',
  });
}

/** Translate an fs error into a KeystoreError without losing the errno. */
export function fromFsError(err: unknown, path: string, action: string): KeystoreError {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ENOENT') {
    return new KeystoreError('E_NOT_FOUND', `cannot ${action} ${path}: it does not exist`, {
      path,
      errno: e.code,
      cause: err,
    });
  }
  if (e?.code === 'EACCES' || e?.code === 'EPERM') {
    // POSIX: name the file that stops us and whose it is (usually another user's store).
    const why = deniedReason(path, !/^(read|check|open|list)/.test(action));
    if (why) {
      return new KeystoreError('E_PERMISSION', `cannot ${action} ${path}: ${deniedText(why)}`, {
        path,
        errno: e.code,
        cause: err,
        hint: deniedHint(why),
      });
    }
    return new KeystoreError('E_IO', `cannot ${action} ${path}: permission denied`, {
      path,
      errno: e.code,
      cause: err,
      hint: 'run as the user that owns the keystore directory',
    });
  }
  if (e?.code === 'ENOSPC' || e?.code === 'EDQUOT') {
    return new KeystoreError('E_IO', `cannot ${action} ${path}: the disk is full (${e.code})`, {
      path,
      errno: e.code,
      cause: err,
      hint: 'free some space on that volume and try again; the store was left as it was',
    });
  }
  return new KeystoreError('E_IO', `cannot ${action} ${path}: ${e?.message ?? String(err)}`, {
    path,
    cause: err,
    ...(e?.code ? { errno: e.code } : {}),
  });
}

/**
 * What a refused argument was, in the words of node's ERR_INVALID_ARG_TYPE ("an instance of
 * DataView", "type number", "null"). Values themselves are never shown: the argument may be a
 * secret passed in the wrong shape.
 */
export function received(value: unknown): string {
  if (value === null || value === undefined) return `Received ${value}`;
  if (typeof value === 'function') return `Received function ${value.name || '(anonymous)'}`;
  if (typeof value === 'object') {
    const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof name === 'string' && name
      ? `Received an instance of ${name}`
      : 'Received an object with a null prototype';
  }
  return `Received type ${typeof value}`;
}

/**
 * An option's or field's value for a message: strings quoted (and cut at 40 characters), other
 * primitives as they print, anything else by its type. Never throws (JSON.stringify does on a
 * bigint). Only for values that are not secret.
 */
export function shown(value: unknown): string {
  if (typeof value === 'string') {
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  }
  if (value === null || ['undefined', 'number', 'boolean'].includes(typeof value)) {
    return String(value);
  }
  return `a value of type ${typeof value}`;
}
