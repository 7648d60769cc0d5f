import { TIERS, type TierName } from './core/tiers';
import { invalidArgument } from './core/errors';
import { SecretBytes } from './crypto/secret-bytes';
import { defaultStoreDir, storePaths } from './store/paths';
import type { StoreSettings } from './store/settings';

/** Keystore.open()'s options: what each means, how they are checked, and the settings they make. */

export interface OpenOptions {
  /** Store directory. Default: DEVICE_KEYSTORE_DIR, else ~/.device-keystore. */
  dir?: string;
  /** 'auto' (default) takes the first available tier; a tier name forces it. */
  backend?: 'auto' | TierName;
  /** Refuse software tiers (keychain, encrypted-file). */
  requireHardware?: boolean;
  /** Passphrase for the encrypted-file tier. Kept in memory only, never written to disk. */
  passphrase?: string | Uint8Array;
  /** How long to wait for another process holding the store lock. Default 30 s. */
  lockTimeoutMs?: number;
  /** Receives one-line warnings (passphrase migration). Default: process.emitWarning. */
  onWarning?: (message: string) => void;
  /** Told when a slow step (key derivation) starts and ends, e.g. to show a spinner. */
  onProgress?: (label: string, done: boolean) => void;
  /**
   * TPM transport, as a TCTI string: `device:/dev/tpmrm0` (the default when it exists),
   * `swtpm:host=127.0.0.1,port=2321`, `tabrmd`. Default: DEVICE_KEYSTORE_TCTI.
   */
  tcti?: string;
  /** The TPM owner hierarchy's password, when it has one. Default: DEVICE_KEYSTORE_TPM_OWNER_AUTH. */
  tpmOwnerAuth?: string | Uint8Array;
}

/** `pin` and `cacheFor`: keep a PIN key's PIN in process memory for `cacheFor` ms. */

const OPEN_OPTION_KEYS = new Set([
  'dir',
  'backend',
  'requireHardware',
  'passphrase',
  'lockTimeoutMs',
  'onWarning',
  'onProgress',
  'tcti',
  'tpmOwnerAuth',
]);

export function validateOpenOptions(opts: OpenOptions): void {
  if (opts === null || typeof opts !== 'object') throw invalidArgument('options must be an object');
  for (const k of Object.keys(opts)) {
    if (!OPEN_OPTION_KEYS.has(k)) {
      throw invalidArgument(
        `unknown option "${k}"`,
        `valid options: ${[...OPEN_OPTION_KEYS].join(', ')}`,
      );
    }
  }
  if (opts.dir !== undefined && (typeof opts.dir !== 'string' || opts.dir === '')) {
    throw invalidArgument('dir must be a non-empty string');
  }
  if (
    opts.backend !== undefined &&
    opts.backend !== 'auto' &&
    !(TIERS as readonly string[]).includes(opts.backend)
  ) {
    throw invalidArgument(
      `unknown backend ${JSON.stringify(opts.backend)}`,
      `use auto, ${TIERS.join(', ')}`,
    );
  }
  if (opts.requireHardware !== undefined && typeof opts.requireHardware !== 'boolean') {
    throw invalidArgument('requireHardware must be a boolean');
  }
  if (opts.passphrase !== undefined) {
    const ok =
      (typeof opts.passphrase === 'string' || opts.passphrase instanceof Uint8Array) &&
      opts.passphrase.length > 0;
    if (!ok) throw invalidArgument('passphrase must be a non-empty string or Uint8Array');
  }
  if (
    opts.lockTimeoutMs !== undefined &&
    (!Number.isSafeInteger(opts.lockTimeoutMs) || opts.lockTimeoutMs < 0)
  ) {
    throw invalidArgument('lockTimeoutMs must be a non-negative integer');
  }
  if (opts.tcti !== undefined && (typeof opts.tcti !== 'string' || opts.tcti === '')) {
    throw invalidArgument('tcti must be a non-empty string');
  }
  if (
    opts.tpmOwnerAuth !== undefined &&
    !(typeof opts.tpmOwnerAuth === 'string' || opts.tpmOwnerAuth instanceof Uint8Array)
  ) {
    throw invalidArgument('tpmOwnerAuth must be a string or Uint8Array');
  }
  for (const k of ['onWarning', 'onProgress'] as const) {
    if (opts[k] !== undefined && typeof opts[k] !== 'function')
      throw invalidArgument(`${k} must be a function`);
  }
}

export function toSecretBytes(p: string | Uint8Array): SecretBytes {
  return typeof p === 'string' ? SecretBytes.fromString(p) : new SecretBytes(p);
}

export function settingsFrom(opts: OpenOptions): StoreSettings {
  return {
    paths: storePaths(opts.dir ?? defaultStoreDir()),
    lockTimeoutMs: opts.lockTimeoutMs ?? 30_000,
    warn: opts.onWarning ?? ((m) => process.emitWarning(m, { code: 'DEVICE_KEYSTORE' })),
    ...(opts.passphrase !== undefined ? { passphrase: toSecretBytes(opts.passphrase) } : {}),
    ...(opts.onProgress ? { onSlowStep: opts.onProgress } : {}),
    ...(opts.tcti !== undefined ? { tcti: opts.tcti } : {}),
    ...(opts.tpmOwnerAuth !== undefined ? { tpmOwnerAuth: toSecretBytes(opts.tpmOwnerAuth) } : {}),
  };
}
