import { KeystoreError, type ErrorCode } from '../core/errors';
import { isRawNativeError, type RawNativeError } from './native-errors';
import { tpmCode } from './tss2-status';

/**
 * What each NCrypt SECURITY_STATUS and TBS_RESULT means to a caller of device-keystore: the one
 * table of the Windows tiers. native/windows/ reports the raw status (the call, domain "ncrypt"
 * or "tbs", the 32-bit value and FormatMessageW's text for it); `ncryptError` turns it into a
 * KeystoreError with a stable code, a hint, the raw status as `osStatus` and the system's text
 * in the message. The table never travels into C++.
 *
 * Values are those of the Windows SDK's winerror.h. mingw-w64's copy has the NTE_* and TBS_E_*
 * ones (test/ncrypt-unit.test.ts checks them against it) but not TPM_E_PCP_* or TPM_20_E_*; the
 * TPM_E_PCP_*, TPM_E_KEY_* and TPM_E_LOCKED_OUT values here were read from public listings of
 * the SDK's winerror.h (the ElMostafaIdrassi/pcpcrypto Go package's table, which matches the
 * values go-attestation names); test/ncrypt-unit.test.ts pins them. TPM 2.0 response codes
 * arrive from the Platform Crypto Provider as 0x80280000 | TPM_RC; they are decoded like the
 * Linux tier's (tss2-status.ts).
 *
 * A number alone does not always say what happened: NTE_BAD_DATA from importing the stored key
 * blob means a damaged file, from importing the peer's public key during ECDH it means the peer
 * key; NTE_NOT_FOUND from opening a key means the key is gone, from opening the provider that
 * the provider is not there. CALL_ENTRIES names those per operation and call, before the table.
 */

export const NCRYPT_DOMAIN = 'ncrypt';
export const TBS_DOMAIN = 'tbs';

/** Any status the table does not name. */
export const GENERIC_WINDOWS_CODE = 'E_WINDOWS' satisfies ErrorCode;

export interface NcryptStatusEntry {
  status: number;
  /** The SDK's name for it. */
  name: string;
  code: ErrorCode;
  hint?: string;
}

const NO_TPM_HINT =
  'this PC has no usable TPM 2.0 (none fitted, disabled in the firmware, or TPM 1.2); enable it in the firmware settings, or use the windows-ksp or encrypted-file tier';
const TPM_SERVICE_HINT =
  'the TPM Base Services (TBS) service is not running; start it (sc start tbs) or check tpm.msc';
const PERMISSION_HINT =
  'the key belongs to another Windows user, or this process may not use it; run as the user that created the keystore';
const SILENT_HINT =
  'the provider wanted to show a prompt, which device-keystore never allows; the key needs a PIN or consent that a silent call cannot give';
const LOCKOUT_HINT =
  'the TPM is in dictionary-attack lockout after failed authorizations; wait for it to expire, or clear it in tpm.msc ("Reset the TPM\'s lockout")';
const GONE_HINT =
  'the key is gone from the provider (deleted outside device-keystore, or the Windows profile was reset)';
const DAMAGED_BLOB_HINT =
  'the provider refused the stored key blob: it was damaged, or it belongs to another TPM (made on another PC, or before the TPM was cleared)';

const PCP_REFUSED_HINT =
  'the Platform Crypto Provider refused how the key was asked for; doctor says which usage policies it takes';

function e(status: number, name: string, code: ErrorCode, hint?: string): NcryptStatusEntry {
  return { status, name, code, ...(hint ? { hint } : {}) };
}

export const NCRYPT_STATUS_TABLE: readonly NcryptStatusEntry[] = Object.freeze([
  e(0x80070005, 'E_ACCESSDENIED', 'E_PERMISSION', PERMISSION_HINT),
  e(0x80090010, 'NTE_PERM', 'E_PERMISSION', PERMISSION_HINT),
  e(0x80090016, 'NTE_BAD_KEYSET', 'E_NOT_FOUND', GONE_HINT),
  e(0x80090011, 'NTE_NOT_FOUND', 'E_NOT_FOUND', GONE_HINT),
  e(0x8009000d, 'NTE_NO_KEY', 'E_NOT_FOUND', GONE_HINT),
  e(0x8009000f, 'NTE_EXISTS', 'E_EXISTS', 'a key of this name already exists in the provider'),
  e(
    0x80090029,
    'NTE_NOT_SUPPORTED',
    'E_BACKEND_UNAVAILABLE',
    'this provider cannot make or use P-256 keys here (Wine, or a TPM without ECC P-256)',
  ),
  e(0x80090008, 'NTE_BAD_ALGID', 'E_BACKEND_UNAVAILABLE', 'this provider has no ECC P-256'),
  e(0x80090005, 'NTE_BAD_DATA', 'E_CORRUPT', DAMAGED_BLOB_HINT),
  e(0x80090003, 'NTE_BAD_KEY', 'E_CORRUPT', DAMAGED_BLOB_HINT),
  e(0x80090015, 'NTE_BAD_PUBLIC_KEY', 'E_INVALID_ARGUMENT', 'the peer public key was refused'),
  e(0x80090022, 'NTE_SILENT_CONTEXT', 'E_INTERACTION_NOT_ALLOWED', SILENT_HINT),
  e(0x8009002e, 'NTE_UI_REQUIRED', 'E_INTERACTION_NOT_ALLOWED', SILENT_HINT),
  e(0x80090036, 'NTE_USER_CANCELLED', 'E_USER_CANCELED', 'the prompt was dismissed'),
  e(0x80090033, 'NTE_INCORRECT_PASSWORD', 'E_AUTH_FAILED', 'the key refused the PIN or password'),
  e(0x80090030, 'NTE_DEVICE_NOT_READY', 'E_TPM_UNAVAILABLE', NO_TPM_HINT),
  e(0x80090035, 'NTE_DEVICE_NOT_FOUND', 'E_TPM_UNAVAILABLE', NO_TPM_HINT),
  e(
    0x80090024,
    'NTE_TEMPORARY_PROFILE',
    'E_BACKEND_UNAVAILABLE',
    'Windows signed this user in with a temporary profile, where the Software KSP keeps no keys; sign in with the real profile',
  ),
  e(0x8009001d, 'NTE_PROVIDER_DLL_FAIL', 'E_BACKEND_UNAVAILABLE', 'the provider did not load'),
  e(0x80090027, 'NTE_INVALID_PARAMETER', GENERIC_WINDOWS_CODE),
  e(0x80090026, 'NTE_INVALID_HANDLE', GENERIC_WINDOWS_CODE),
  e(0x80090009, 'NTE_BAD_FLAGS', GENERIC_WINDOWS_CODE),
  e(
    0x8009000e,
    'NTE_NO_MEMORY',
    GENERIC_WINDOWS_CODE,
    'Windows ran out of memory for the provider',
  ),
  e(0x8009002d, 'NTE_INTERNAL_ERROR', GENERIC_WINDOWS_CODE),
  e(0x80090020, 'NTE_FAIL', GENERIC_WINDOWS_CODE),
  // The Platform Crypto Provider's own statuses.
  e(0x80290401, 'TPM_E_PCP_DEVICE_NOT_READY', 'E_TPM_UNAVAILABLE', NO_TPM_HINT),
  e(0x80290405, 'TPM_E_PCP_NOT_SUPPORTED', 'E_BACKEND_UNAVAILABLE', NO_TPM_HINT),
  e(
    0x80290408,
    'TPM_E_PCP_AUTHENTICATION_FAILED',
    'E_TPM_AUTH',
    'the TPM refused the authorization of the key or its parent',
  ),
  e(0x8029040e, 'TPM_E_PCP_WRONG_PARENT', 'E_CORRUPT', DAMAGED_BLOB_HINT),
  e(0x8029041b, 'TPM_E_LOCKED_OUT', 'E_TPM_LOCKOUT', LOCKOUT_HINT),
  e(0x80290402, 'TPM_E_PCP_INVALID_HANDLE', GENERIC_WINDOWS_CODE),
  e(0x80290403, 'TPM_E_PCP_INVALID_PARAMETER', GENERIC_WINDOWS_CODE, PCP_REFUSED_HINT),
  e(0x80290404, 'TPM_E_PCP_FLAG_NOT_SUPPORTED', GENERIC_WINDOWS_CODE, PCP_REFUSED_HINT),
  e(0x80290406, 'TPM_E_PCP_BUFFER_TOO_SMALL', GENERIC_WINDOWS_CODE),
  e(0x80290407, 'TPM_E_PCP_INTERNAL_ERROR', GENERIC_WINDOWS_CODE),
  e(0x80290409, 'TPM_E_PCP_AUTHENTICATION_IGNORED', GENERIC_WINDOWS_CODE),
  e(0x8029040a, 'TPM_E_PCP_POLICY_NOT_FOUND', GENERIC_WINDOWS_CODE),
  e(0x8029040c, 'TPM_E_PCP_VALIDATION_FAILED', GENERIC_WINDOWS_CODE),
  e(0x8029040f, 'TPM_E_KEY_NOT_LOADED', GENERIC_WINDOWS_CODE),
  e(0x80290411, 'TPM_E_KEY_NOT_FINALIZED', GENERIC_WINDOWS_CODE),
  e(0x80290414, 'TPM_E_KEY_ALREADY_FINALIZED', GENERIC_WINDOWS_CODE),
  e(0x80290415, 'TPM_E_KEY_USAGE_POLICY_NOT_SUPPORTED', GENERIC_WINDOWS_CODE, PCP_REFUSED_HINT),
  e(0x80290416, 'TPM_E_KEY_USAGE_POLICY_INVALID', GENERIC_WINDOWS_CODE, PCP_REFUSED_HINT),
  e(0x80290417, 'TPM_E_SOFT_KEY_ERROR', GENERIC_WINDOWS_CODE),
  e(
    0x8029041a,
    'TPM_E_KEY_NOT_SIGNING_KEY',
    GENERIC_WINDOWS_CODE,
    'the TPM key was made without the sign attribute, so it cannot sign',
  ),
  e(
    0x80290422,
    'TPM_E_PCP_KEY_HANDLE_INVALIDATED',
    'E_TPM_UNAVAILABLE',
    'the TPM was reset or cleared since the key was loaded; load it again',
  ),
  e(
    0x80290600,
    'TPM_E_PROVISIONING_INCOMPLETE',
    'E_TPM_UNAVAILABLE',
    'the TPM is not fully provisioned; open tpm.msc and prepare it',
  ),
  // TPM Base Services.
  e(0x8028400f, 'TBS_E_TPM_NOT_FOUND', 'E_TPM_UNAVAILABLE', NO_TPM_HINT),
  e(0x80284016, 'TBS_E_DEACTIVATED', 'E_TPM_UNAVAILABLE', NO_TPM_HINT),
  e(0x80284008, 'TBS_E_SERVICE_NOT_RUNNING', 'E_TPM_UNAVAILABLE', TPM_SERVICE_HINT),
  e(0x80284010, 'TBS_E_SERVICE_DISABLED', 'E_TPM_UNAVAILABLE', TPM_SERVICE_HINT),
  e(0x8028400b, 'TBS_E_SERVICE_START_PENDING', 'E_TPM_UNAVAILABLE', TPM_SERVICE_HINT),
  e(0x80284006, 'TBS_E_IOERROR', 'E_TPM_UNAVAILABLE', 'the TPM did not answer; retry'),
]);

const BY_STATUS = new Map(NCRYPT_STATUS_TABLE.map((x) => [x.status, x]));

/** Statuses whose meaning depends on the operation (the provider method) and the call. */
export interface NcryptCallEntry {
  op?: string;
  call?: string;
  statuses: readonly number[];
  code: ErrorCode;
  hint: string;
}

const NTE = {
  BAD_DATA: 0x80090005,
  BAD_KEY: 0x80090003,
  BAD_PUBLIC_KEY: 0x80090015,
  INVALID_PARAMETER: 0x80090027,
  NOT_FOUND: 0x80090011,
  BAD_KEYSET: 0x80090016,
  PROV_DLL_NOT_FOUND: 0x8009001e,
  PROVIDER_DLL_FAIL: 0x8009001d,
  NOT_SUPPORTED: 0x80090029,
};

export const CALL_ENTRIES: readonly NcryptCallEntry[] = Object.freeze(
  [
    {
      call: 'NCryptOpenStorageProvider',
      statuses: [NTE.NOT_FOUND, NTE.BAD_KEYSET, NTE.PROV_DLL_NOT_FOUND, NTE.PROVIDER_DLL_FAIL],
      code: 'E_BACKEND_UNAVAILABLE',
      hint: 'this key storage provider is not installed or registered on this Windows',
    },
    {
      op: 'ecdh',
      call: 'NCryptImportKey',
      statuses: [NTE.BAD_DATA, NTE.BAD_KEY, NTE.BAD_PUBLIC_KEY, NTE.INVALID_PARAMETER],
      code: 'E_INVALID_ARGUMENT',
      hint: "the provider refused the peer's public key (it passed device-keystore's P-256 checks)",
    },
    {
      op: 'ecdh',
      call: 'NCryptSecretAgreement',
      statuses: [NTE.BAD_KEY, NTE.NOT_SUPPORTED, NTE.INVALID_PARAMETER],
      code: 'GENERIC',
      hint: 'the key does not allow key agreement (its usage); doctor shows the usage the provider reports',
    },
    {
      op: 'sign',
      call: 'NCryptSignHash',
      statuses: [NTE.BAD_KEY, NTE.NOT_SUPPORTED, NTE.INVALID_PARAMETER],
      code: 'GENERIC',
      hint: 'the key does not allow signing (its usage); doctor shows the usage the provider reports',
    },
    {
      op: 'createKey',
      statuses: [NTE.BAD_DATA, NTE.BAD_KEY],
      code: 'GENERIC',
      hint: 'the provider refused the new key as it was asked for; doctor says which usage policies it takes',
    },
  ].map((x) => ({
    ...x,
    code: x.code === 'GENERIC' ? GENERIC_WINDOWS_CODE : (x.code as ErrorCode),
  })),
);

function callEntry(
  op: string | undefined,
  call: string,
  status: number,
): NcryptCallEntry | undefined {
  return CALL_ENTRIES.find(
    (c) =>
      (c.op === undefined || c.op === op) &&
      (c.call === undefined || c.call === call) &&
      c.statuses.includes(status),
  );
}

/** TPM 2.0 response codes as the PCP reports them: 0x80280000 | TPM_RC (not TBS's 0x802840xx). */
const TPM20_BASE = 0x80280000;
// As tpmCode() returns them: format-one codes without their handle, session or parameter number.
const TPM_RC = { AUTH_FAIL: 0x08e, BAD_AUTH: 0x0a2, LOCKOUT: 0x921, OBJECT_MEMORY: 0x902 };
const TPM_INTEGRITY = 0x09f;

function tpm20Entry(status: number): NcryptStatusEntry | undefined {
  if ((status & 0xfffff000) >>> 0 !== TPM20_BASE) return undefined;
  const rc = tpmCode(status & 0xfff);
  const name = `TPM_RC 0x${rc.toString(16).toUpperCase()}`;
  switch (rc) {
    case TPM_RC.LOCKOUT:
      return e(status, 'TPM_20_E_LOCKOUT', 'E_TPM_LOCKOUT', LOCKOUT_HINT);
    case TPM_RC.AUTH_FAIL:
    case TPM_RC.BAD_AUTH:
      return e(status, name, 'E_TPM_AUTH', 'the TPM refused the authorization');
    case TPM_RC.OBJECT_MEMORY:
      return e(
        status,
        'TPM_20_E_OBJECT_MEMORY',
        'E_TPM_OBJECT_MEMORY',
        'the TPM has no free object slot; retry',
      );
    case TPM_INTEGRITY:
      return e(status, 'TPM_20_E_INTEGRITY', 'E_CORRUPT', DAMAGED_BLOB_HINT);
    default:
      return e(status, name, 'E_TPM');
  }
}

/** The table's entry for a status, if it has one. */
export function ncryptStatusEntry(status: number): NcryptStatusEntry | undefined {
  const s = status >>> 0;
  return BY_STATUS.get(s) ?? tpm20Entry(s);
}

export const hexStatus = (s: number): string =>
  `0x${(s >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;

/** The failures the addon names itself (win_ncrypt.cc, async_work.cc). */
const REASON_CODES: Readonly<Record<string, ErrorCode>> = {
  closed: 'E_CLOSED',
  'bad-argument': 'E_INVALID_ARGUMENT',
  'unexpected-response': GENERIC_WINDOWS_CODE,
  'tbs-missing': 'E_TPM_UNAVAILABLE',
};

const TBS_MISSING_HINT =
  'this Windows has no TPM Base Services (Server Core or a VM without a TPM): the windows-tpm tier is unavailable, the other tiers work';

const tbsMissingErrors = new WeakSet<object>();

/** Whether an error says tbs.dll is missing (the addon could not load TPM Base Services). */
export function isTbsMissing(err: unknown): boolean {
  return typeof err === 'object' && err !== null && tbsMissingErrors.has(err);
}

/**
 * The KeystoreError for a raw error of the NCrypt binding; anything else passes through. `op`
 * is the provider method that failed (createKey, sign, ecdh, ...): see CALL_ENTRIES.
 */
export function ncryptError(err: unknown, op?: string): unknown {
  if (!isRawNativeError(err)) return err;
  const raw = err as RawNativeError;
  if (raw.reason === 'closed')
    return new KeystoreError('E_CLOSED', 'this keystore backend was closed');
  const call = raw.call ?? 'NCrypt';
  if (
    (raw.domain !== NCRYPT_DOMAIN && raw.domain !== TBS_DOMAIN) ||
    typeof raw.status !== 'number'
  ) {
    const code = REASON_CODES[raw.reason ?? ''] ?? GENERIC_WINDOWS_CODE;
    const mapped = new KeystoreError(code, `${call} failed: ${raw.detail ?? raw.message}`, {
      ...(raw.reason === 'tbs-missing' ? { hint: TBS_MISSING_HINT } : {}),
    });
    if (raw.reason === 'tbs-missing') tbsMissingErrors.add(mapped);
    return mapped;
  }
  const status = raw.status >>> 0;
  const entry = ncryptStatusEntry(status);
  const byCall = callEntry(op, call, status);
  const name = entry?.name ?? (raw.domain === TBS_DOMAIN ? 'TBS_RESULT' : 'SECURITY_STATUS');
  const text = raw.statusText ? `: ${raw.statusText}` : '';
  const hint = byCall?.hint ?? entry?.hint;
  return new KeystoreError(
    byCall?.code ?? entry?.code ?? GENERIC_WINDOWS_CODE,
    `${call} failed with ${name} (${hexStatus(status)})${text}`,
    { osStatus: status, ...(hint ? { hint } : {}) },
  );
}

/** The addon's NcryptProvider with its raw failures turned into KeystoreErrors, per method. */
export function withNcryptErrors<T extends object>(raw: T): T {
  return new Proxy(raw, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      const op = typeof prop === 'string' ? prop : undefined;
      return (...args: unknown[]) => {
        const result: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
        return result instanceof Promise
          ? result.catch((err: unknown) => {
              throw ncryptError(err, op);
            })
          : result;
      };
    },
  });
}
