import { promises as fsp } from 'node:fs';
import { KeystoreError, fromFsError } from '../errors';

export const DIR_MODE = 0o700;
export const FILE_MODE = 0o600;
export const PASSPHRASE_FILE_MODE = 0o400;

const GROUP_OTHER = 0o077;

/**
 * Refuse a secret-bearing file that group or others can access, the way OpenSSH refuses a
 * private key with loose permissions. Windows has no POSIX modes; ACLs are out of scope there.
 */
export async function assertPrivateFile(file: string, what: string): Promise<void> {
  if (process.platform === 'win32') return;
  let mode: number;
  try {
    mode = (await fsp.stat(file)).mode;
  } catch (err) {
    throw fromFsError(err, file, `check permissions of ${what}`);
  }
  if ((mode & GROUP_OTHER) !== 0) {
    throw new KeystoreError(
      'E_INSECURE_PERMISSIONS',
      `${what} ${file} is accessible by group or others (mode ${formatMode(mode)})`,
      { path: file, hint: `run: chmod go-rwx '${file}'` },
    );
  }
}

/** True when group or others can enter or list the directory. Reported as a warning. */
export async function dirIsShared(dir: string): Promise<boolean> {
  if (process.platform === 'win32') return false;
  const mode = (await fsp.stat(dir)).mode;
  return (mode & GROUP_OTHER) !== 0;
}

export function formatMode(mode: number): string {
  return '0' + (mode & 0o777).toString(8).padStart(3, '0');
}
