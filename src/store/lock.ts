import { randomBytes } from 'node:crypto';
import { promises as fsp, constants as fsc } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { KeystoreError, fromFsError } from '../core/errors';
import { sleep, throwIfAborted } from '../core/abort';
import { retryWhileBusy } from './atomic';
import { userName as deniedNameOf } from '../core/denied';

/**
 * A cross-process lock on a store directory, so that concurrent `init`s or key writes from
 * several processes serialise. The lock file holds the owner's pid, host and a random token.
 *
 * - The lock appears complete or not at all: the owner record is written and synced to a private
 *   temp file (`.lock.<token>.tmp`), which is then link()ed to the lock path. link() never
 *   replaces an existing file, so it is as exclusive as O_EXCL, and no reader ever sees an empty
 *   or half-written lock, even when its owner is killed while creating it.
 * - A lock whose owner process is gone (kill -9) is taken over. One process at a time takes over,
 *   under a guard file (`.lock.takeover`), and it removes the lock only if it is still the very
 *   lock it judged stale (same random token): a takeover never removes a live process's lock.
 * - Temp files of killed processes are swept by the next owner.
 * - The lock file is readable by all (0644; it holds no secret) and names the owner's uid, so
 *   when several OS users share a store directory, a waiting user can tell a live owner (and
 *   wait, then name it) from a dead one (and take its lock over, or say who must).
 */

interface LockOwner {
  pid: number;
  host: string;
  token: string;
  /** The OS user of the process (absent in locks of earlier versions, and on Windows). */
  uid?: number;
  /** The lock file exists but this user may not read it (an earlier version wrote it 0600). */
  unreadable?: boolean;
}

export interface LockOptions {
  /** How long to wait for another process before failing with E_LOCKED. */
  timeoutMs?: number;
  /** Stops the wait with E_ABORTED; once the lock is held, the work runs to its end. */
  signal?: AbortSignal;
}

const DEFAULT_TIMEOUT_MS = 30_000;
/** A lock file without a readable owner (an older version killed mid-write) is judged by age. */
const TORN_STALE_MS = 5_000;
/** The guard is held for a few file operations; an older one was left by a killed process. */
const GUARD_STALE_MS = 10_000;

export async function withLock<T>(
  lockPath: string,
  fn: () => Promise<T>,
  opts: LockOptions = {},
): Promise<T> {
  const token = await acquire(lockPath, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, opts.signal);
  try {
    return await fn();
  } finally {
    await release(lockPath, token);
  }
}

async function acquire(
  lockPath: string,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<string> {
  throwIfAborted(signal);
  const me: LockOwner = {
    pid: process.pid,
    host: os.hostname(),
    token: randomBytes(12).toString('hex'),
    ...(typeof process.getuid === 'function' ? { uid: process.getuid() } : {}),
  };
  const staged = await stageOwner(lockPath, me);
  try {
    const deadline = Date.now() + timeoutMs;
    let delay = 5;
    for (;;) {
      if (await linkNoClobber(staged, lockPath, 'create lock file')) {
        await sweepLeftovers(lockPath, staged);
        return me.token;
      }
      const holder = await readOwner(lockPath);
      if (holder && isStale(holder) && (await takeOverStale(lockPath, holder, me, staged))) {
        continue;
      }
      if (Date.now() >= deadline) throw lockedError(lockPath, holder);
      await sleep(delay + Math.random() * delay, signal);
      delay = Math.min(delay * 2, 200);
    }
  } finally {
    // The lock, when we got it, is another name for the same file: it stays.
    await fsp.rm(staged, { force: true }).catch(() => {});
  }
}

/** "svc (uid 1001)", or "uid 1001" when it has no name here. */
function userLabel(uid: number): string {
  const name = deniedNameOf(uid);
  return name === `uid ${uid}` ? name : `${name} (uid ${uid})`;
}

function userOf(uid: number | undefined): string {
  return uid === undefined ? '' : ` of user ${userLabel(uid)}`;
}

function asOwner(uid: number | undefined): string {
  return uid === undefined ? 'as the user that owns it' : `as ${userLabel(uid)}`;
}

function lockedError(lockPath: string, holder: LockOwner | undefined): KeystoreError {
  const myUid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  const otherUser = holder?.uid !== undefined && holder.uid !== myUid;
  if (holder?.unreadable) {
    return new KeystoreError(
      'E_LOCKED',
      `the keystore is locked by a process${userOf(holder.uid)}, whose lock file this user may not read, so it cannot tell whether that process still runs`,
      {
        path: lockPath,
        hint: `if no device-keystore process${userOf(holder.uid)} is running, run any device-keystore command on this store ${asOwner(holder.uid)} (it takes the stale lock over), or remove ${lockPath} as that user or root`,
      },
    );
  }
  const who = holder ? ` (held by pid ${holder.pid}${userOf(holder.uid)} on ${holder.host})` : '';
  return new KeystoreError('E_LOCKED', `the keystore is locked by another process${who}`, {
    path: lockPath,
    hint: otherUser
      ? 'another OS user is working on this store: wait for it to finish and try again (--lock-timeout / lockTimeoutMs waits longer)'
      : 'wait for the other device-keystore process to finish, then try again',
  });
}

/** Write our owner record to a temp file beside the lock, synced, readable by all. */
async function stageOwner(lockPath: string, me: LockOwner): Promise<string> {
  const staged = `${lockPath}.${me.token}.tmp`;
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(staged, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, LOCK_FILE_MODE);
    // Whatever the umask: another user sharing the directory must be able to read who holds it.
    if (!WINDOWS) await handle.chmod(LOCK_FILE_MODE);
    await handle.writeFile(JSON.stringify(me));
    await handle.sync();
    await handle.close();
    handle = undefined;
  } catch (err) {
    await handle?.close().catch(() => {});
    await fsp.rm(staged, { force: true }).catch(() => {});
    throw fromFsError(err, lockPath, 'create lock file');
  }
  return staged;
}

const WINDOWS = process.platform === 'win32';
/** No secret in it: pid, host, uid and a random token. */
const LOCK_FILE_MODE = 0o644;

/**
 * link() fails with these where the volume has no hard links: FAT and exFAT, some network
 * shares (ENOTSUP/EOPNOTSUPP; EPERM from Linux's vfat; ERROR_INVALID_FUNCTION, which libuv
 * reports as EISDIR, from Windows' FAT drivers).
 */
const NO_HARD_LINK_CODES = new Set([
  'ENOTSUP',
  'EOPNOTSUPP',
  'ENOSYS',
  WINDOWS ? 'EISDIR' : 'EPERM',
]);

export function isNoHardLinks(err: unknown): boolean {
  return NO_HARD_LINK_CODES.has((err as NodeJS.ErrnoException)?.code ?? '');
}

/**
 * link(from, to), false when `to` exists. Where the volume has no hard links, an exclusive copy
 * instead (CopyFile with fail-if-exists, copy_file_range into an O_EXCL file): as exclusive, but
 * a process killed mid-copy can leave a torn file, which readOwner judges by its age.
 * On Windows, EPERM/EACCES/EBUSY also mean "not now": the previous holder's lock is deleted
 * but still open in some process (a delete-pending file keeps its name until the last handle
 * closes), so the caller waits and tries again.
 */
async function linkNoClobber(from: string, to: string, action: string): Promise<boolean> {
  try {
    await fsp.link(from, to);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (isNoHardLinks(err)) return copyNoClobber(from, to, action);
    if (WINDOWS && (code === 'EPERM' || code === 'EACCES' || code === 'EBUSY')) return false;
    throw fromFsError(err, to, action);
  }
}

async function copyNoClobber(from: string, to: string, action: string): Promise<boolean> {
  try {
    await fsp.copyFile(from, to, fsc.COPYFILE_EXCL);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw fromFsError(err, to, action);
  }
}

async function readOwner(lockPath: string): Promise<LockOwner | undefined> {
  let text: string;
  try {
    text = await fsp.readFile(lockPath, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'EACCES' && !WINDOWS) {
      // Another user's lock from an earlier version (0600): its owner is all we can know.
      const stat = await fsp.stat(lockPath).catch(() => undefined);
      if (!stat) return undefined;
      return { pid: -2, host: os.hostname(), token: '', uid: stat.uid, unreadable: true };
    }
    throw fromFsError(err, lockPath, 'read lock file');
  }
  try {
    const owner = JSON.parse(text) as LockOwner;
    if (typeof owner.pid === 'number' && typeof owner.token === 'string') return owner;
  } catch {
    // Fall through: an empty or torn lock file, from a version that wrote it in place.
  }
  const stat = await fsp.stat(lockPath).catch(() => undefined);
  if (stat && Date.now() - stat.mtimeMs > TORN_STALE_MS) {
    return { pid: -1, host: os.hostname(), token: '' };
  }
  return undefined;
}

function isStale(owner: LockOwner): boolean {
  // A lock from another host (a shared home directory) cannot be checked; never steal it.
  if (owner.host !== os.hostname() || owner.unreadable) return false;
  if (owner.pid <= 0) return true;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Remove the stale lock `stale`, under the takeover guard, if it is still the lock at `lockPath`.
 * False when another process holds the guard (the caller waits and looks again).
 */
async function takeOverStale(
  lockPath: string,
  stale: LockOwner,
  me: LockOwner,
  staged: string,
): Promise<boolean> {
  const guard = `${lockPath}.takeover`;
  if (!(await linkNoClobber(staged, guard, 'take over stale lock'))) {
    await clearDeadGuard(guard);
    return false;
  }
  try {
    // Only a guard holder removes another process's lock, and a lock's token is never reused,
    // so a matching token means the lock is still the stale one we judged.
    const current = await readOwner(lockPath);
    if (current && current.token === stale.token) {
      try {
        await retryWhileBusy(() => fsp.unlink(lockPath));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EACCES' || code === 'EPERM') throw staleNotOurs(lockPath, stale, err);
        if (code !== 'ENOENT') throw fromFsError(err, lockPath, 'take over stale lock');
      }
    }
    return true;
  } finally {
    const holder = await readOwner(guard).catch(() => undefined);
    if (holder?.token === me.token) await fsp.rm(guard, { force: true }).catch(() => {});
  }
}

/**
 * A dead process's lock that this user may not remove (a directory with the sticky bit, or one
 * this user may not write): say whose it is and who can clear it, at once: waiting cannot help.
 */
function staleNotOurs(lockPath: string, stale: LockOwner, cause: unknown): KeystoreError {
  return new KeystoreError(
    'E_LOCKED',
    `the keystore is locked by pid ${stale.pid}${userOf(stale.uid)}, which is no longer running, and this user may not remove its lock (${(cause as NodeJS.ErrnoException).code} on ${path.dirname(lockPath)})`,
    {
      path: lockPath,
      errno: (cause as NodeJS.ErrnoException).code!,
      cause,
      hint: `run any device-keystore command on this store ${asOwner(stale.uid)} (its next call takes the stale lock over), or remove ${lockPath} as that user or root`,
    },
  );
}

/** A guard whose owner died mid-takeover would block every takeover: move it aside. */
async function clearDeadGuard(guard: string): Promise<void> {
  const holder = await readOwner(guard).catch(() => undefined);
  const stat = await fsp.stat(guard).catch(() => undefined);
  if (!stat) return;
  const dead = (holder && isStale(holder)) || Date.now() - stat.mtimeMs > GUARD_STALE_MS;
  if (!dead) return;
  const aside = `${guard}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await fsp.rename(guard, aside);
  } catch {
    return; // Gone already: its owner finished, or another process cleared it.
  }
  const moved = await readOwner(aside).catch(() => undefined);
  if (moved && holder && moved.token !== holder.token && !isStale(moved)) {
    // A live process took the guard just before our rename: give it back (never clobbering).
    await fsp.link(aside, guard).catch(() => {});
  }
  await fsp.rm(aside, { force: true }).catch(() => {});
}

/** Remove temp files (`.lock.<token>.tmp`) that killed processes left beside the lock. */
async function sweepLeftovers(lockPath: string, mine: string): Promise<void> {
  const dir = path.dirname(lockPath);
  const prefix = `${path.basename(lockPath)}.`;
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const file = path.join(dir, name);
    if (!name.startsWith(prefix) || !name.endsWith('.tmp') || file === mine) continue;
    const owner = await readOwner(file).catch(() => undefined);
    if (owner && isStale(owner)) await fsp.rm(file, { force: true }).catch(() => {});
  }
}

async function release(lockPath: string, token: string): Promise<void> {
  const owner = await readOwner(lockPath).catch(() => undefined);
  if (owner?.token === token) await retryWhileBusy(() => fsp.rm(lockPath, { force: true }));
}
