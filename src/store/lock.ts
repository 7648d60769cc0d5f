import { randomBytes } from 'node:crypto';
import { promises as fsp, constants as fsc } from 'node:fs';
import * as os from 'node:os';
import { KeystoreError, fromFsError } from '../errors';
import { fsyncDir } from './atomic';
import * as path from 'node:path';

/**
 * A cross-process lock on a store directory, so that concurrent `init`s or key writes from
 * several processes serialise. The lock is a file created with O_EXCL holding the owner's pid,
 * host and a random token. A lock whose owner process is gone (kill -9) is taken over.
 */

interface LockOwner {
  pid: number;
  host: string;
  token: string;
}

export interface LockOptions {
  /** How long to wait for another process before failing with E_LOCKED. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;

export async function withLock<T>(
  lockPath: string,
  fn: () => Promise<T>,
  opts: LockOptions = {},
): Promise<T> {
  const token = await acquire(lockPath, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  try {
    return await fn();
  } finally {
    await release(lockPath, token);
  }
}

async function acquire(lockPath: string, timeoutMs: number): Promise<string> {
  const me: LockOwner = {
    pid: process.pid,
    host: os.hostname(),
    token: randomBytes(12).toString('hex'),
  };
  const deadline = Date.now() + timeoutMs;
  let delay = 5;
  for (;;) {
    if (await tryCreate(lockPath, me)) return me.token;
    const holder = await readOwner(lockPath);
    if (holder && isStale(holder)) {
      await takeOverStale(lockPath, holder);
      continue;
    }
    if (Date.now() >= deadline) {
      const who = holder ? ` (held by pid ${holder.pid} on ${holder.host})` : '';
      throw new KeystoreError('E_LOCKED', `the keystore is locked by another process${who}`, {
        path: lockPath,
        hint: 'wait for the other device-keystore process to finish, then try again',
      });
    }
    await sleep(delay + Math.random() * delay);
    delay = Math.min(delay * 2, 200);
  }
}

async function tryCreate(lockPath: string, me: LockOwner): Promise<boolean> {
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(lockPath, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw fromFsError(err, lockPath, 'create lock file');
  }
  try {
    await handle.writeFile(JSON.stringify(me));
    await handle.sync();
  } finally {
    await handle.close();
  }
  return true;
}

async function readOwner(lockPath: string): Promise<LockOwner | undefined> {
  let text: string;
  try {
    text = await fsp.readFile(lockPath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fromFsError(err, lockPath, 'read lock file');
  }
  try {
    const owner = JSON.parse(text) as LockOwner;
    if (typeof owner.pid === 'number' && typeof owner.token === 'string') return owner;
  } catch {
    // Fall through: an empty or torn lock file.
  }
  // The owner died between O_EXCL and its write, or is writing right now. Judge by age.
  const stat = await fsp.stat(lockPath).catch(() => undefined);
  if (stat && Date.now() - stat.mtimeMs > 5_000) return { pid: -1, host: os.hostname(), token: '' };
  return undefined;
}

function isStale(owner: LockOwner): boolean {
  // A lock from another host (a shared home directory) cannot be checked; never steal it.
  if (owner.host !== os.hostname()) return false;
  if (owner.pid <= 0) return true;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Move the stale lock aside under a unique name and check that what we moved is the stale lock
 * we judged, so that two processes taking over at once cannot delete each other's fresh lock.
 */
async function takeOverStale(lockPath: string, stale: LockOwner): Promise<void> {
  const aside = `${lockPath}.stale-${randomBytes(6).toString('hex')}`;
  try {
    await fsp.rename(lockPath, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw fromFsError(err, lockPath, 'take over stale lock');
  }
  const moved = await readOwner(aside).catch(() => undefined);
  if (moved && moved.token !== stale.token && !isStale(moved)) {
    // We raced with a process that had just taken the lock: give it back. link() never replaces
    // an existing file, so this cannot clobber a lock created meanwhile. Callers that must not
    // run twice (init) also commit with a no-clobber link, so this path is a second line only.
    await fsp.link(aside, lockPath).catch(() => {});
  }
  await fsp.rm(aside, { force: true });
  await fsyncDir(path.dirname(lockPath)).catch(() => {});
}

async function release(lockPath: string, token: string): Promise<void> {
  const owner = await readOwner(lockPath).catch(() => undefined);
  if (owner?.token === token) await fsp.rm(lockPath, { force: true });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
