import { KeystoreError, type ErrorCode } from '../core/errors';
import { isRawNativeError, mapRejections, type RawNativeError } from './native-errors';
import { USER_PRESENCE_STATUSES } from './local-authentication';

/**
 * What each Security.framework status means to a caller of device-keystore: the one table.
 * The native addon reports the raw status (the call, the CFError domain and code, and the text
 * of SecCopyErrorMessageString); `macosError` turns that into a KeystoreError with the stable
 * code, the hint and the raw `osStatus`. The table never travels into C++.
 *
 * Errors arrive as CFErrors: an OSStatus is the code of a CFError in NSOSStatusErrorDomain.
 * Secure Enclave and LocalAuthentication failures can come in their own domains, whose codes
 * overlap the OSStatus numbers (CryptoTokenKit -4 is "canceled by user", OSStatus -4 is
 * "unimplemented"), so an entry is keyed by domain and status.
 */

export const OSSTATUS_DOMAIN = 'NSOSStatusErrorDomain';
export const CRYPTOTOKENKIT_DOMAIN = 'CryptoTokenKit';
export const LOCAL_AUTHENTICATION_DOMAIN = 'com.apple.LocalAuthentication';

/** Any status the table does not name. */
export const GENERIC_MACOS_CODE = 'E_MACOS' satisfies ErrorCode;

export interface StatusEntry {
  domain: string;
  status: number;
  /** The SDK's name for it (errSec…, TKErrorCode…, LAError…). */
  name: string;
  code: ErrorCode;
  /** What the user can do about it. */
  hint: string;
}

const UNLOCK_HINT =
  'unlock the Mac (or the keychain: security unlock-keychain), or run in a logged-in GUI session; ' +
  'background agents can create Secure Enclave keys with DEVICE_KEYSTORE_SE_ACCESSIBILITY=after-first-unlock';
const ENTITLEMENT_HINT =
  'the data-protection keychain needs an app signed with a keychain-access-groups entitlement and ' +
  'a provisioning profile; plain node uses non-permanent Secure Enclave keys instead (see docs/macos.md)';
const NO_SE_HINT =
  'this Mac has no usable Secure Enclave (an Intel Mac without a T2 chip, or a virtual machine)';
const NO_KEYCHAIN_HINT =
  'no default keychain is available to this process (a daemon or a user without a login keychain); ' +
  'run as a logged-in user, or create one with security create-keychain';

function os(name: string, status: number, code: ErrorCode, hint: string): StatusEntry {
  return { domain: OSSTATUS_DOMAIN, status, name, code, hint };
}

export const STATUS_TABLE: readonly StatusEntry[] = Object.freeze([
  os('errSecMissingEntitlement', -34018, 'E_MISSING_ENTITLEMENT', ENTITLEMENT_HINT),
  os('errSecInteractionNotAllowed', -25308, 'E_INTERACTION_NOT_ALLOWED', UNLOCK_HINT),
  os('errSecInteractionRequired', -25315, 'E_INTERACTION_NOT_ALLOWED', UNLOCK_HINT),
  os(
    'errSecInDarkWake',
    -25320,
    'E_INTERACTION_NOT_ALLOWED',
    'the Mac is in dark wake; retry once it is awake',
  ),
  os(
    'errSecAuthFailed',
    -25293,
    'E_AUTH_FAILED',
    'the keychain password was wrong, or the keychain refused this program access to the key',
  ),
  os(
    'errSecUserCanceled',
    -128,
    'E_USER_CANCELED',
    'the prompt was dismissed; retry and allow access',
  ),
  os(
    'errSecItemNotFound',
    -25300,
    'E_NOT_FOUND',
    'the keychain item is gone (deleted outside device-keystore, or in another keychain)',
  ),
  os('errSecDuplicateItem', -25299, 'E_EXISTS', 'a keychain item with this tag already exists'),
  os(
    'errSecNoAccessForItem',
    -25243,
    'E_PERMISSION',
    "this program is not on the keychain item's access list (another program, or a re-signed or upgraded node, made it); allow it in Keychain Access",
  ),
  os(
    'errSecParam',
    -50,
    GENERIC_MACOS_CODE,
    'Security.framework refused a parameter: for a stored blob or ciphertext that can mean damage; otherwise report it with the call that failed',
  ),
  os(
    'errSecInternalComponent',
    -2070,
    GENERIC_MACOS_CODE,
    'a Security.framework component failed (no user session for the keychain daemon, or a call that reported no error); retry in a logged-in session',
  ),
  os('errSecUnimplemented', -4, 'E_BACKEND_UNAVAILABLE', NO_SE_HINT),
  os(
    'errSecInternal',
    -26276,
    'E_BACKEND_UNAVAILABLE',
    'the Security daemon refused the request (a daemon or root context without a user session?)',
  ),
  os('errSecNotAvailable', -25291, 'E_BACKEND_UNAVAILABLE', NO_KEYCHAIN_HINT),
  os('errSecNoSuchKeychain', -25294, 'E_BACKEND_UNAVAILABLE', NO_KEYCHAIN_HINT),
  os('errSecNoDefaultKeychain', -25307, 'E_BACKEND_UNAVAILABLE', NO_KEYCHAIN_HINT),
  os(
    'errSecDecode',
    -26275,
    'E_CORRUPT',
    'the stored key blob or ciphertext does not decode; it was damaged or belongs to another Mac',
  ),
  {
    domain: CRYPTOTOKENKIT_DOMAIN,
    status: -3,
    name: 'TKErrorCodeCorruptedData',
    code: 'E_CORRUPT',
    hint: 'the Secure Enclave refused the stored key blob as damaged, or as made on another Mac',
  },
  {
    domain: CRYPTOTOKENKIT_DOMAIN,
    status: -4,
    name: 'TKErrorCodeCanceledByUser',
    code: 'E_USER_CANCELED',
    hint: 'the prompt was dismissed; retry and allow access',
  },
  {
    domain: CRYPTOTOKENKIT_DOMAIN,
    status: -5,
    name: 'TKErrorCodeAuthenticationFailed',
    code: 'E_AUTH_FAILED',
    hint: 'the Secure Enclave refused the authentication',
  },
  {
    domain: CRYPTOTOKENKIT_DOMAIN,
    status: -6,
    name: 'TKErrorCodeObjectNotFound',
    code: 'E_NOT_FOUND',
    hint: 'the Secure Enclave has no such key (made on another Mac, or before this Mac was erased)',
  },
  {
    domain: CRYPTOTOKENKIT_DOMAIN,
    status: -8,
    name: 'TKErrorCodeBadParameter',
    code: GENERIC_MACOS_CODE,
    hint: 'the Secure Enclave refused a parameter (Security maps this to errSecParam, -50)',
  },
  {
    domain: CRYPTOTOKENKIT_DOMAIN,
    status: -7,
    name: 'TKErrorCodeTokenNotFound',
    code: 'E_BACKEND_UNAVAILABLE',
    hint: NO_SE_HINT,
  },
  {
    domain: CRYPTOTOKENKIT_DOMAIN,
    status: -9,
    name: 'TKErrorCodeAuthenticationNeeded',
    code: 'E_INTERACTION_NOT_ALLOWED',
    hint: UNLOCK_HINT,
  },
  {
    domain: LOCAL_AUTHENTICATION_DOMAIN,
    status: -2,
    name: 'LAErrorUserCancel',
    code: 'E_USER_CANCELED',
    hint: 'the prompt was dismissed; retry and allow access',
  },
  {
    domain: LOCAL_AUTHENTICATION_DOMAIN,
    status: -1,
    name: 'LAErrorAuthenticationFailed',
    code: 'E_AUTH_FAILED',
    hint: 'authentication failed; retry',
  },
  ...USER_PRESENCE_STATUSES,
]);

const BY_KEY = new Map(STATUS_TABLE.map((e) => [`${e.domain}\u0000${e.status}`, e]));

/** The table's entry for a status, if it has one. */
export function statusEntry(status: number, domain = OSSTATUS_DOMAIN): StatusEntry | undefined {
  return BY_KEY.get(`${domain}\u0000${status}`);
}

/** The stable code for a status: the table's, else E_MACOS. */
export function codeForStatus(status: number, domain = OSSTATUS_DOMAIN): ErrorCode {
  return statusEntry(status, domain)?.code ?? GENERIC_MACOS_CODE;
}

/** The code of each failure the addon names itself (NativeError reasons in mac_keys.cc). */
const REASON_CODES: Readonly<Record<string, ErrorCode>> = {
  closed: 'E_CLOSED',
  'bad-argument': 'E_INVALID_ARGUMENT',
  corrupt: 'E_CORRUPT',
  'unexpected-response': GENERIC_MACOS_CODE,
};

function describeStatus(e: RawNativeError): string {
  if (e.domain === OSSTATUS_DOMAIN) return ` (OSStatus ${e.status})`;
  return ` (${e.domain} error ${e.status})`;
}

/** The KeystoreError for a raw error of the macOS binding; anything else is returned as it is. */
export function macosError(err: unknown): unknown {
  if (!isRawNativeError(err)) return err;
  if (err.reason === 'closed')
    return new KeystoreError('E_CLOSED', 'this keystore backend was closed');
  const call = err.call ?? 'MacSecurity';
  if (err.domain === undefined || typeof err.status !== 'number') {
    const code = REASON_CODES[err.reason ?? ''] ?? GENERIC_MACOS_CODE;
    return new KeystoreError(code, `${call} failed: ${err.detail ?? err.message}`, { cause: err });
  }
  const entry = statusEntry(err.status, err.domain);
  return new KeystoreError(
    entry?.code ?? GENERIC_MACOS_CODE,
    `${call} failed: ${err.statusText ?? ''}${describeStatus(err)}`,
    {
      ...(entry ? { hint: entry.hint } : {}),
      ...(err.domain === OSSTATUS_DOMAIN ? { osStatus: err.status } : {}),
      cause: err,
    },
  );
}

interface ProbingNative {
  probeKeychain(): Promise<{ ok: boolean; error?: unknown }>;
}

/**
 * The addon's MacSecurity with its raw failures turned into KeystoreErrors: rejections, and the
 * `error` of a probe's result.
 */
export function withMacErrors<T extends ProbingNative>(raw: T): T {
  const mapped = mapRejections(raw, macosError);
  const probe = async <P extends { ok: boolean; error?: unknown }>(p: Promise<P>): Promise<P> => {
    const r = await p;
    return r.error === undefined ? r : { ...r, error: macosError(r.error) };
  };
  return Object.assign(Object.create(mapped) as T, {
    probeKeychain: () => probe(mapped.probeKeychain()),
  });
}
