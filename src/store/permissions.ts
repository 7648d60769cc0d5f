import { promises as fsp } from 'node:fs';
import { KeystoreError, fromFsError } from '../core/errors';
import { win32Error } from '../addon/win32-status';
import { loadNative, type WinFileSecurity } from '../addon/load';

export const DIR_MODE = 0o700;
export const FILE_MODE = 0o600;
export const PASSPHRASE_FILE_MODE = 0o400;

const GROUP_OTHER = 0o077;
const WINDOWS = process.platform === 'win32';

/** Who besides a file's owner may have access on Windows, as OpenSSH for Windows checks keys. */
export const WINDOWS_TRUSTED_SIDS: Readonly<Record<string, string>> = Object.freeze({
  'S-1-5-18': 'SYSTEM',
  'S-1-5-32-544': 'Administrators',
});

/**
 * Refuse a secret-bearing file that group or others can access, the way OpenSSH refuses a
 * private key with loose permissions. On Windows the file's DACL is read through the addon: only
 * its owner, SYSTEM and Administrators may be granted anything.
 */
export async function assertPrivateFile(file: string, what: string): Promise<void> {
  let mode: number;
  try {
    mode = (await fsp.stat(file)).mode;
  } catch (err) {
    throw fromFsError(err, file, `check permissions of ${what}`);
  }
  if (WINDOWS) {
    const sec = fileSecurity(file, `check permissions of ${what}`);
    const others = sec ? untrustedGrants(sec) : [];
    if (others.length > 0) {
      throw new KeystoreError(
        'E_INSECURE_PERMISSIONS',
        `${what} ${file} is accessible by ${others.join(', ')}`,
        { path: file, hint: `run: ${icaclsFix(file, sec!, false)}` },
      );
    }
    return;
  }
  if ((mode & GROUP_OTHER) !== 0) {
    throw new KeystoreError(
      'E_INSECURE_PERMISSIONS',
      `${what} ${file} is accessible by group or others (mode ${formatMode(mode)})`,
      { path: file, hint: `run: chmod go-rwx '${file}'` },
    );
  }
}

/**
 * A warning when group or others (Windows: anyone but the owner, SYSTEM and Administrators) can
 * enter or list the store directory, with the command that fixes it; on Windows also when the
 * addon did not load, so nothing can be checked.
 */
export async function sharedDirWarning(dir: string): Promise<string | undefined> {
  if (WINDOWS) {
    if (!canCheckWindowsAcl()) {
      return 'the native addon did not load, so Windows file permissions (DACLs) are neither checked nor set';
    }
    const sec = fileSecurity(dir, 'check permissions of');
    const others = sec ? untrustedGrants(sec) : [];
    if (!sec || others.length === 0) return undefined;
    return `${dir} is accessible by ${others.join(', ')}; run: ${icaclsFix(dir, sec, true)}`;
  }
  const mode = (await fsp.stat(dir)).mode;
  if ((mode & GROUP_OTHER) === 0) return undefined;
  return `${dir} is accessible by group or others; run: chmod 700 '${dir}'`;
}

/**
 * On Windows, give `target` a protected DACL (no inherited entries) that grants full control to
 * the current user, SYSTEM and Administrators only; a directory's entries are inherited by what
 * is created in it. Elsewhere, and when the addon did not load, nothing (POSIX modes do that job).
 * Under Wine, nothing either: Wine turns a DACL into Unix mode bits, and this one into 0775, so
 * there the Unix mode the files are created with (the umask) is what protects them.
 */
export async function setPrivateAcl(target: string, kind: 'file' | 'directory'): Promise<void> {
  if (!WINDOWS) return;
  const native = loadNative();
  if (!native.ok || !native.addon.win32SetPrivateAcl || native.addon.wineVersion) return;
  try {
    native.addon.win32SetPrivateAcl(target, kind === 'directory');
  } catch (err) {
    throw win32Error(err, target, 'set permissions of');
  }
}

/** Whether this process can check Windows DACLs (the addon loaded); for describe()/doctor. */
export function canCheckWindowsAcl(): boolean {
  const native = loadNative();
  return native.ok && native.addon.win32FileSecurity !== undefined;
}

function fileSecurity(file: string, action: string): WinFileSecurity | undefined {
  const native = loadNative();
  if (!native.ok || !native.addon.win32FileSecurity) return undefined;
  try {
    return native.addon.win32FileSecurity(file);
  } catch (err) {
    throw win32Error(err, file, action);
  }
}

/** The SIDs (with their names) granted any access besides the owner, SYSTEM and Administrators. */
export function untrustedGrants(sec: WinFileSecurity): string[] {
  if (!sec.daclPresent) return ['Everyone (the file has no DACL)'];
  const out = new Set<string>();
  for (const ace of sec.aces) {
    if (ace.type !== 'allow' || ace.mask === 0 || ace.inheritOnly) continue;
    if (ace.sid === sec.owner || ace.sid in WINDOWS_TRUSTED_SIDS) continue;
    out.add(ace.name ? `${ace.name} (${ace.sid})` : ace.sid);
  }
  return [...out];
}

function icaclsFix(file: string, sec: WinFileSecurity, directory: boolean): string {
  const removals = sec.aces
    .filter(
      (a) =>
        a.type === 'allow' &&
        !a.inheritOnly &&
        a.sid !== sec.owner &&
        !(a.sid in WINDOWS_TRUSTED_SIDS),
    )
    .map((a) => `*${a.sid}`);
  const grants = [sec.owner, ...Object.keys(WINDOWS_TRUSTED_SIDS)].map(
    (s) => `*${s}:${directory ? '(OI)(CI)' : ''}F`,
  );
  const reset = `icacls "${file}" /inheritance:r /grant:r ${grants.join(' ')}`;
  const unique = [...new Set(removals)];
  return unique.length > 0 ? `${reset} && icacls "${file}" /remove:g ${unique.join(' ')}` : reset;
}

export function formatMode(mode: number): string {
  return '0' + (mode & 0o777).toString(8).padStart(3, '0');
}
