import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { KeystoreError, fromFsError } from '../core/errors';
import { SecretBytes } from '../crypto/secret-bytes';
import { formatMode } from './permissions';

/**
 * The passphrase as a systemd service credential: `LoadCredential=NAME:/path` or
 * `LoadCredentialEncrypted=NAME:/path.cred` (made with `systemd-creds encrypt`, optionally
 * `--with-key=tpm2`, so the credential itself is TPM-sealed) in the unit; systemd decrypts it at
 * service start into `$CREDENTIALS_DIRECTORY/NAME`, a read-only, non-swappable directory private to
 * the service (files 0400). We read it into memory and nowhere else: no copy, no log line.
 *
 * The name is `device-keystore-passphrase` unless DEVICE_KEYSTORE_CREDENTIAL names another.
 * A default-named credential that is absent is simply not used; a named one that is absent is
 * an error, because the operator asked for it.
 */
export const CREDENTIALS_DIRECTORY_ENV = 'CREDENTIALS_DIRECTORY';
export const CREDENTIAL_NAME_ENV = 'DEVICE_KEYSTORE_CREDENTIAL';
export const DEFAULT_CREDENTIAL_NAME = 'device-keystore-passphrase';

export interface CredentialLocation {
  name: string;
  file: string;
  /** DEVICE_KEYSTORE_CREDENTIAL was set: a missing credential is an error. */
  required: boolean;
}

/** Where the credential would be, or undefined outside a service that has a credentials directory. */
export function credentialLocation(): CredentialLocation | undefined {
  const named = process.env[CREDENTIAL_NAME_ENV];
  const name = named || DEFAULT_CREDENTIAL_NAME;
  if (name.includes('/') || name.includes('\\') || name === '.' || name === '..') {
    throw new KeystoreError(
      'E_INVALID_ARGUMENT',
      `${CREDENTIAL_NAME_ENV} must be a credential name, not a path`,
      { hint: 'use the NAME of LoadCredential=NAME:… / LoadCredentialEncrypted=NAME:…' },
    );
  }
  const dir = process.env[CREDENTIALS_DIRECTORY_ENV];
  if (!dir) {
    if (named) {
      throw new KeystoreError(
        'E_BAD_PASSPHRASE',
        `${CREDENTIAL_NAME_ENV} names the credential "${name}", but ${CREDENTIALS_DIRECTORY_ENV} is not set`,
        {
          hint: `run under systemd with LoadCredentialEncrypted=${name}:… (or LoadCredential=) in the unit (docs/security.md, "Service credentials")`,
        },
      );
    }
    return undefined;
  }
  if (!path.isAbsolute(dir)) {
    throw new KeystoreError(
      'E_INVALID_ARGUMENT',
      `${CREDENTIALS_DIRECTORY_ENV} must be an absolute path`,
      { hint: 'systemd sets it; unset it if something else did' },
    );
  }
  return { name, file: path.join(dir, name), required: !!named };
}

/** The credential's bytes (a final newline dropped), or undefined when there is none to use. */
export async function readCredential(): Promise<
  { secret: SecretBytes; location: CredentialLocation } | undefined
> {
  const location = credentialLocation();
  if (!location) return undefined;
  const { file, name } = location;
  let stat;
  try {
    stat = await fsp.stat(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !location.required) return undefined;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new KeystoreError(
        'E_BAD_PASSPHRASE',
        `the credential "${name}" (${CREDENTIAL_NAME_ENV}) is not in ${path.dirname(file)}`,
        {
          path: file,
          hint: `add LoadCredentialEncrypted=${name}:/etc/credstore.encrypted/${name} (or LoadCredential=) to the unit`,
        },
      );
    }
    throw fromFsError(err, file, 'read the service credential');
  }
  // systemd makes it 0400 (0440 when an ACL grants the service user): others must have nothing.
  if (process.platform !== 'win32' && (stat.mode & 0o007) !== 0) {
    throw new KeystoreError(
      'E_INSECURE_PERMISSIONS',
      `the credential ${file} is accessible by others (mode ${formatMode(stat.mode)})`,
      { path: file, hint: `run: chmod o-rwx '${file}' (systemd itself creates it 0400)` },
    );
  }
  if (!stat.isFile()) {
    throw new KeystoreError('E_BAD_PASSPHRASE', `the credential ${file} is not a file`, {
      path: file,
    });
  }
  let buf: Buffer;
  try {
    buf = await fsp.readFile(file);
  } catch (err) {
    throw fromFsError(err, file, 'read the service credential');
  }
  const secret = secretOfFile(buf);
  if (secret.length === 0) {
    throw new KeystoreError('E_BAD_PASSPHRASE', `the credential ${file} is empty`, {
      path: file,
      hint: 'encrypt the passphrase into it again (systemd-creds encrypt)',
    });
  }
  return { secret, location };
}

/** A secret read from a file: a final newline (editors add one) is not part of it; `buf` is zeroed. */
export function secretOfFile(buf: Buffer): SecretBytes {
  let end = buf.length;
  if (end > 0 && buf[end - 1] === 0x0a) end--;
  if (end > 0 && buf[end - 1] === 0x0d) end--;
  const secret = new SecretBytes(buf.subarray(0, end));
  buf.fill(0);
  return secret;
}

/** Where the credential is read from, for messages; never throws. */
export function credentialDescription(): string {
  try {
    return credentialLocation()?.file ?? `$${CREDENTIALS_DIRECTORY_ENV}/${DEFAULT_CREDENTIAL_NAME}`;
  } catch {
    return `$${CREDENTIALS_DIRECTORY_ENV}/${DEFAULT_CREDENTIAL_NAME}`;
  }
}
