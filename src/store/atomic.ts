import { randomBytes } from 'node:crypto';
import { promises as fsp, constants as fsc } from 'node:fs';
import * as path from 'node:path';
import { fromFsError } from '../errors';

/**
 * Crash-safe file replacement: write a temp file in the same directory, fsync it, rename it over
 * the target, then fsync the directory so the rename itself survives a power cut. A reader sees
 * the old file or the new one, never a torn one.
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
    handle = await fsp.open(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, mode);
    await handle.writeFile(data);
    // The umask may have narrowed the mode; set it exactly.
    await handle.chmod(mode);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fsp.rename(tmp, target);
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
    await fsp.unlink(target);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw fromFsError(err, target, 'delete');
  }
  await fsyncDir(path.dirname(target));
  return true;
}

export async function fsyncDir(dir: string): Promise<void> {
  const handle = await fsp.open(dir, fsc.O_RDONLY | fsc.O_DIRECTORY);
  try {
    await handle.sync();
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
    await fsp.rename(from, to);
  } catch (err) {
    throw fromFsError(err, from, 'rename');
  }
  await fsyncDir(path.dirname(to));
}
