import { KeystoreError, type ErrorCode } from '../core/errors';
import { isRawNativeError, type RawNativeError } from './native-errors';

/**
 * What each Win32 status means to a caller of device-keystore: the one table for Windows.
 * native/windows/ reports the raw status (the call, domain "win32", the DWORD that
 * GetLastError or the call returned, and FormatMessageW's text); `win32Error` turns it into a
 * KeystoreError with a stable code, a hint and the raw status as `osStatus`.
 */

export const WIN32_DOMAIN = 'win32';

export interface Win32StatusEntry {
  status: number;
  /** The SDK's name for it (winerror.h). */
  name: string;
  code: ErrorCode;
  hint?: string;
}

const OWNER_HINT = 'run as the user that owns the keystore directory';

export const WIN32_STATUS_TABLE: readonly Win32StatusEntry[] = Object.freeze([
  { status: 2, name: 'ERROR_FILE_NOT_FOUND', code: 'E_NOT_FOUND' },
  { status: 3, name: 'ERROR_PATH_NOT_FOUND', code: 'E_NOT_FOUND' },
  { status: 5, name: 'ERROR_ACCESS_DENIED', code: 'E_IO', hint: OWNER_HINT },
  { status: 1307, name: 'ERROR_INVALID_OWNER', code: 'E_IO', hint: OWNER_HINT },
  {
    status: 50,
    name: 'ERROR_NOT_SUPPORTED',
    code: 'E_IO',
    hint: 'the volume keeps no Windows permissions (FAT, exFAT, some network shares); put the keystore on an NTFS volume',
  },
  {
    status: 1,
    name: 'ERROR_INVALID_FUNCTION',
    code: 'E_IO',
    hint: 'the volume keeps no Windows permissions (FAT, exFAT, some network shares); put the keystore on an NTFS volume',
  },
]);

/** A raw native error from native/windows/ as a KeystoreError; anything else passes through. */
export function win32Error(err: unknown, path: string, action: string): unknown {
  if (!isRawNativeError(err) || err.domain !== WIN32_DOMAIN) return err;
  const raw = err as RawNativeError;
  const status = raw.status ?? 0;
  const entry = WIN32_STATUS_TABLE.find((e) => e.status === status);
  const name = entry ? entry.name : `Win32 error ${status}`;
  return new KeystoreError(
    entry?.code ?? 'E_IO',
    `cannot ${action} ${path}: ${raw.call ?? 'a Windows call'} failed with ${name} (${raw.statusText ?? ''})`.replace(
      / \(\)$/,
      '',
    ),
    { path, osStatus: status, cause: err, ...(entry?.hint ? { hint: entry.hint } : {}) },
  );
}
