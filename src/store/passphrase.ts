import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { KeystoreError, corrupt, fromFsError } from '../core/errors';
import { SecretBytes } from '../crypto/secret-bytes';
import { writeFileAtomic } from './atomic';
import { readCredential, secretOfFile } from './credentials';
import type { StorePaths } from './paths';
import { FILE_MODE, PASSPHRASE_FILE_MODE, assertPrivateFile } from './permissions';

/**
 * Where the encrypted-file tier's passphrase comes from, in priority order:
 *   1. the `passphrase` option of Keystore.open (API callers);
 *   2. a systemd service credential, `$CREDENTIALS_DIRECTORY/device-keystore-passphrase` (or the
 *      name in DEVICE_KEYSTORE_CREDENTIAL; credentials.ts). It comes before the environment because
 *      a unit that loads it made the deliberate choice, while an environment variable is inherited
 *      from anywhere and readable in /proc/<pid>/environ and `systemctl show`;
 *   3. DEVICE_KEYSTORE_PASSPHRASE;
 *      1-3 are never written to disk;
 *   4. the passphrase file (`<dir>/.passphrase` or DEVICE_KEYSTORE_PASSPHRASE_FILE), mode 0400;
 *   5. a legacy `passphrase` field in identity.json, migrated to the file on first use.
 */
export type PassphraseSource = 'option' | 'credential' | 'env' | 'file' | 'legacy-identity';

export interface ResolvedPassphrase {
  secret: SecretBytes;
  source: PassphraseSource;
}

export const PASSPHRASE_ENV = 'DEVICE_KEYSTORE_PASSPHRASE';

export async function findPassphrase(
  paths: StorePaths,
  option: SecretBytes | undefined,
): Promise<ResolvedPassphrase | undefined> {
  if (option) return { secret: option, source: 'option' };
  const credential = await readCredential();
  if (credential) return { secret: credential.secret, source: 'credential' };
  const env = process.env[PASSPHRASE_ENV];
  if (env !== undefined && env !== '')
    return { secret: SecretBytes.fromString(env), source: 'env' };
  const fromFile = await readPassphraseFile(paths.passphraseFile);
  if (fromFile) return { secret: fromFile, source: 'file' };
  const legacy = await readLegacyPassphrase(paths.identity);
  if (legacy) return { secret: legacy, source: 'legacy-identity' };
  return undefined;
}

/** True when the passphrase lives in a file we manage, so a change must update that file. */
export function isFileManaged(source: PassphraseSource): boolean {
  return source === 'file' || source === 'legacy-identity';
}

export async function readPassphraseFile(file: string): Promise<SecretBytes | undefined> {
  let buf: Buffer;
  try {
    await assertPrivateFile(file, 'passphrase file');
    buf = await fsp.readFile(file);
  } catch (err) {
    if ((err as { code?: string }).code === 'E_NOT_FOUND') return undefined;
    throw err;
  }
  const secret = secretOfFile(buf);
  if (secret.length === 0) {
    throw new KeystoreError('E_BAD_PASSPHRASE', `passphrase file ${file} is empty`, {
      path: file,
      hint: 'restore the file from a backup, or set DEVICE_KEYSTORE_PASSPHRASE',
    });
  }
  return secret;
}

export async function writePassphraseFile(file: string, secret: SecretBytes): Promise<void> {
  await writeFileAtomic(file, secret.unsafeBytes(), PASSPHRASE_FILE_MODE);
}

/** 256 random bits, as text so that a user can back the file up or type it into an env var. */
export function generatePassphrase(): SecretBytes {
  const raw = randomBytes(32);
  const secret = SecretBytes.fromString(raw.toString('base64url'));
  raw.fill(0);
  return secret;
}

async function readLegacyIdentity(file: string): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fromFsError(err, file, 'read identity');
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      return parsed as Record<string, unknown>;
    }
  } catch {
    // Reported by the identity reader; here it only means there is no legacy passphrase.
  }
  return undefined;
}

async function readLegacyPassphrase(file: string): Promise<SecretBytes | undefined> {
  const identity = await readLegacyIdentity(file);
  const value = identity?.passphrase;
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw corrupt(file, 'bad legacy "passphrase"');
  await assertPrivateFile(file, 'identity file holding a legacy passphrase');
  return SecretBytes.fromString(value);
}

/**
 * Move a legacy passphrase out of identity.json: write the passphrase file first, then rewrite
 * identity.json without the field. A crash between the two leaves both copies; the file wins,
 * and the next unlock strips the leftover field (stripLegacyPassphrase).
 */
export async function migrateLegacyPassphrase(
  paths: StorePaths,
  secret: SecretBytes,
  warn: (message: string) => void,
): Promise<void> {
  await writePassphraseFile(paths.passphraseFile, secret);
  await stripLegacyPassphrase(paths);
  warn(
    `moved the passphrase out of ${paths.identity} into ${paths.passphraseFile} (mode 0400); ` +
      'back that file up, or set DEVICE_KEYSTORE_PASSPHRASE and delete it',
  );
}

export async function hasLegacyPassphrase(paths: StorePaths): Promise<boolean> {
  const identity = await readLegacyIdentity(paths.identity);
  return identity !== undefined && 'passphrase' in identity;
}

/** Remove the legacy field from identity.json; the passphrase file already holds it. */
export async function stripLegacyPassphrase(paths: StorePaths): Promise<void> {
  const identity = await readLegacyIdentity(paths.identity);
  if (identity && 'passphrase' in identity) {
    delete identity.passphrase;
    await writeFileAtomic(paths.identity, JSON.stringify(identity, null, 2) + '\n', FILE_MODE);
  }
}
