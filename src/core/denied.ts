import { accessSync, constants as fsc, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';

/**
 * Why this process may not touch a path, in words a person can act on: which file or directory
 * stops it, whose it is, its mode, and who this process runs as. A store is private to the OS user
 * that made it (0700/0600), so "permission denied" inside one almost always means "another user's
 * store": the message says so instead of a bare EACCES, or worse, "not initialized".
 * Synchronous because it runs only on an error path; never throws.
 */
export interface DeniedReason {
  /** The file or directory whose permissions stop this process. */
  blocker: string;
  ownerUid: number;
  owner: string;
  mode: string;
  /** "read", "write" or "enter": what this process lacks on the blocker. */
  lacks: 'read' | 'write' | 'enter';
  uid: number;
  user: string;
}

export function userName(uid: number): string {
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const [name, , id] = line.split(':');
      if (name && id === String(uid)) return name;
    }
  } catch {
    // No passwd file (a minimal container): the uid alone.
  }
  return `uid ${uid}`;
}

function can(p: string, mode: number): boolean {
  try {
    accessSync(p, mode);
    return true;
  } catch {
    return false;
  }
}

/** The first directory on the way to `target` this process cannot enter, else `target` itself. */
export function deniedReason(target: string, wantWrite: boolean): DeniedReason | undefined {
  if (process.platform === 'win32' || typeof process.getuid !== 'function') return undefined;
  const abs = path.resolve(target);
  const parts = abs.split(path.sep).filter(Boolean);
  let blocker = abs;
  let lacks: DeniedReason['lacks'] = wantWrite ? 'write' : 'read';
  let dir: string = path.sep;
  for (const part of parts.slice(0, -1)) {
    dir = path.join(dir, part);
    if (!can(dir, fsc.X_OK)) {
      blocker = dir;
      lacks = 'enter';
      break;
    }
  }
  if (blocker === abs) {
    // The path itself, or (when it does not exist yet) the directory that would hold it.
    let exists = true;
    try {
      statSync(abs);
    } catch {
      exists = false;
    }
    if (!exists) {
      blocker = path.dirname(abs);
      lacks = 'write';
    } else if (wantWrite && !can(abs, fsc.W_OK) && can(abs, fsc.R_OK)) {
      lacks = 'write';
    } else if (!can(abs, fsc.R_OK)) {
      lacks = 'read';
    } else if (!can(path.dirname(abs), fsc.W_OK)) {
      // Readable and writable, yet refused: renaming or removing it needs the directory.
      blocker = path.dirname(abs);
      lacks = 'write';
    }
  }
  let st;
  try {
    st = statSync(blocker);
  } catch {
    return undefined;
  }
  const uid = process.getuid();
  return {
    blocker,
    ownerUid: st.uid,
    owner: userName(st.uid),
    mode: '0' + (st.mode & 0o7777).toString(8).padStart(3, '0'),
    lacks,
    uid,
    user: userName(uid),
  };
}

function who(name: string, uid: number): string {
  return name === `uid ${uid}` ? name : `${name} (uid ${uid})`;
}

/** "<blocker> (mode 0700) belongs to svc (uid 1001); this process runs as admin (uid 1002), which may not enter it" */
export function deniedText(r: DeniedReason): string {
  return (
    `${r.blocker} (mode ${r.mode}) belongs to ${who(r.owner, r.ownerUid)}; this process runs as ` +
    `${who(r.user, r.uid)}, which may not ${r.lacks} it`
  );
}

export function deniedHint(r: DeniedReason): string {
  if (r.ownerUid === r.uid) {
    return `give your own user access back (chmod u+rwx '${r.blocker}'), or run as root`;
  }
  const account = r.owner.startsWith('uid ') ? `#${r.ownerUid}` : r.owner;
  return (
    `run as the store's owner (sudo -u ${account} device-keystore …) or give each user its own store ` +
    '(--dir / DEVICE_KEYSTORE_DIR); a store is private to one OS user (docs/security.md, "Stores several users touch")'
  );
}
