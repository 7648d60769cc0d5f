import * as os from 'node:os';
import * as path from 'node:path';
import { invalidArgument } from '../core/errors';

/** Every file a store directory may hold, in one place so no module invents its own names. */
export interface StorePaths {
  dir: string;
  identity: string;
  lock: string;
  keysDir: string;
  secretsDir: string;
  /** The store record: the store's random id, bound into every record it writes. */
  storeFile: string;
  /** A store id being introduced by the 0.1.0 migration; renamed over storeFile when done. */
  storeNext: string;
  /** One sealing key per tier, `<tier>.json` (and its side file): sealed secrets derive from it. */
  sealingDir: string;
  /** Each key's certifying key, `<alias>.json` (and its side file): see DeviceKey.certifyingKey. */
  certifyingDir: string;
  /** The Name of the TPM storage key the store's TPM keys live under (tpm-srk-pin.ts). */
  tpmSrkPin: string;
  /** The encrypted-file tier's wrapped data key and KDF parameters. */
  fileMaster: string;
  /** The default passphrase file, or DEVICE_KEYSTORE_PASSPHRASE_FILE. */
  passphraseFile: string;
  /** A new passphrase written before the master is re-wrapped (see changePassphrase). */
  passphraseNext: string;
}

/**
 * DEVICE_KEYSTORE_DIR, else the platform's place for per-user, per-machine data:
 * - Windows: %LOCALAPPDATA%\\device-keystore (local, not roaming: a device-bound key must not
 *   follow a roaming profile to another machine);
 * - Linux and macOS: ~/.device-keystore, where 0.1.0 put it (docs/security.md, "Where the store lives").
 */
export function defaultStoreDir(): string {
  if (process.env.DEVICE_KEYSTORE_DIR) return process.env.DEVICE_KEYSTORE_DIR;
  if (process.platform === 'win32') {
    const local = process.env.LOCALAPPDATA || path.join(os.homedir(), 'AppData', 'Local');
    return path.join(local, 'device-keystore');
  }
  return path.join(os.homedir(), '.device-keystore');
}

export function storePaths(dir: string): StorePaths {
  const abs = path.resolve(dir);
  const passphraseFile = process.env.DEVICE_KEYSTORE_PASSPHRASE_FILE
    ? path.resolve(process.env.DEVICE_KEYSTORE_PASSPHRASE_FILE)
    : path.join(abs, '.passphrase');
  return {
    dir: abs,
    identity: path.join(abs, 'identity.json'),
    lock: path.join(abs, '.lock'),
    keysDir: path.join(abs, 'keys'),
    secretsDir: path.join(abs, 'secrets'),
    storeFile: path.join(abs, 'store.json'),
    storeNext: path.join(abs, 'store.next.json'),
    sealingDir: path.join(abs, 'sealing'),
    certifyingDir: path.join(abs, 'certifying'),
    fileMaster: path.join(abs, 'file-master.json'),
    tpmSrkPin: path.join(abs, 'tpm2-srk.json'),
    passphraseFile,
    passphraseNext: `${passphraseFile}.next`,
  };
}

/**
 * Aliases and secret names become file names, so they are held to a small safe alphabet:
 * no path separators, no leading dot, no surprises on case-insensitive file systems.
 */
const NAME_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export function validateName(kind: 'alias' | 'secret name', name: unknown): string {
  if (typeof name !== 'string') throw invalidArgument(`${kind} must be a string`);
  if (!NAME_RE.test(name) || name.includes('..')) {
    throw invalidArgument(
      `${kind} ${JSON.stringify(name.slice(0, 80))} is not allowed`,
      'use 1-64 characters from a-z, 0-9, ".", "_" and "-", starting with a letter or digit',
    );
  }
  return name;
}

export function keyFile(paths: StorePaths, alias: string): string {
  return path.join(paths.keysDir, `${alias}.json`);
}

/** The record of the certifying key that certifies for key `alias`. */
export function certifyingKeyFile(paths: StorePaths, alias: string): string {
  return path.join(paths.certifyingDir, `${alias}.json`);
}

export function secretFile(paths: StorePaths, name: string): string {
  return path.join(paths.secretsDir, `${name}.json`);
}

export function sealingFile(paths: StorePaths, tier: string): string {
  return path.join(paths.sealingDir, `${tier}.json`);
}
