import { randomBytes } from 'node:crypto';
import { promises as fsp, constants as fsc } from 'node:fs';
import * as path from 'node:path';
import { fromFsError } from '../core/errors';
import { setPrivateAcl } from './permissions';

const WINDOWS = process.platform === 'win32';

/**
 * Crash-safe file replacement: write a temp file in the same directory, fsync it, rename it over
 * the target, then fsync the directory so the rename itself survives a power cut. A reader sees
 * the old file or the new one, never a torn one.
 *
 * Windows cannot flush a directory (fsync of a directory handle is EPERM there): the file's data
 * is flushed (FlushFileBuffers) before the rename, and NTFS journals the rename itself, so after a
 * power cut the file is the old one or the new one, complete; but a rename from the last moments
 * before the cut may be rolled back to the old file (docs/security.md).
 */
export async function writeFileAtomic(
  target: string,
  data: string | Uint8Array,
  mode: number,
): Promise<void> {
  const dir = path.dirname(target);
  const tmp = path.join(dir, `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  let handle: fsp.FileHandle | undefined;
  try {
    // On Windows a mode without the owner's write bit makes a read-only file; the temp file is
    // created writable and made read-only (chmod) once written.
    handle = await fsp.open(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, WINDOWS ? 0o600 : mode);
    await handle.writeFile(data);
    // The umask may have narrowed the mode; set it exactly.
    await handle.chmod(mode);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await setPrivateAcl(tmp, 'file');
    await renameReplacing(tmp, target);
  } catch (err) {
    await handle?.close().catch(() => {});
    await fsp.rm(tmp, { force: true }).catch(() => {});
    throw fromFsError(err, target, 'write');
  }
  await fsyncDir(dir);
}

/** Remove a file and make the removal durable. Missing files are not an error. */
export async function removeFileDurable(target: string): Promise<boolean> {
  try {
    await retryWhileBusy(() => fsp.unlink(target));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw fromFsError(err, target, 'delete');
  }
  await fsyncDir(path.dirname(target));
  return true;
}

/** Flush a directory, so renames and unlinks in it survive a power cut. A no-op on Windows. */
export async function fsyncDir(dir: string): Promise<void> {
  if (WINDOWS) return;
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(dir, fsc.O_RDONLY | fsc.O_DIRECTORY);
  } catch (err) {
    throw fromFsError(err, dir, 'flush directory');
  }
  try {
    await handle.sync();
  } catch (err) {
    throw fromFsError(err, dir, 'flush directory');
  } finally {
    await handle.close();
  }
}

/** Create a directory (and parents) with an exact mode, durable in its parent. */
export async function ensureDir(dir: string, mode: number): Promise<void> {
  try {
    await fsp.mkdir(dir, { recursive: true, mode });
  } catch (err) {
    throw fromFsError(err, dir, 'create directory');
  }
}

/** Rename within one directory and make the rename durable. */
export async function renameDurable(from: string, to: string): Promise<void> {
  try {
    await renameReplacing(from, to);
  } catch (err) {
    throw fromFsError(err, from, 'rename');
  }
  await fsyncDir(path.dirname(to));
}

/**
 * On Windows, another process that has a file open (an antivirus scanner, the search indexer, a
 * reader without FILE_SHARE_DELETE) makes rename and unlink fail for a moment with EPERM, EBUSY
 * or EACCES. Retry those for up to about 3 s, as graceful-fs does; elsewhere, run once.
 */
const BUSY_CODES = new Set(['EPERM', 'EBUSY', 'EACCES']);
const BUSY_RETRY_MS = 3_000;

export async function retryWhileBusy<T>(op: () => Promise<T>): Promise<T> {
  if (!WINDOWS) return op();
  const deadline = Date.now() + BUSY_RETRY_MS;
  let delay = 5;
  for (;;) {
    try {
      return await op();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (!BUSY_CODES.has(code) || Date.now() >= deadline) throw err;
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 100);
  }
}

/**
 * rename(from, to), replacing `to`. On Windows a read-only `to` (what a mode like 0400 makes
 * there) cannot be replaced: its read-only attribute is cleared first. The rename then makes the
 * new file the target, with the mode the new file was written with.
 */
async function renameReplacing(from: string, to: string): Promise<void> {
  if (WINDOWS) {
    const stat = await fsp.stat(to).catch(() => undefined);
    if (stat && (stat.mode & 0o200) === 0) await fsp.chmod(to, 0o600);
  }
  await retryWhileBusy(() => fsp.rename(from, to));
}
