import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Whether a store directory will still be there after a restart or a redeploy. The failures
 * users report are not cryptographic: the identity "disappears" because the store was written to
 * memory (tmpfs, ramfs), to a container's writable layer (overlay, discarded with the container)
 * or to the temporary directory (cleared at boot by systemd-tmpfiles on most Linux systems, aged
 * out after days on macOS). This names each case, with its evidence and what to do.
 */
export type EphemeralReason = 'tmpfs' | 'ramfs' | 'overlay' | 'tmpdir';

export interface StorageFacts {
  dir: string;
  /** The directory actually examined: the store, or its nearest existing parent. */
  examined: string;
  /** The file system type, from /proc/self/mountinfo (Linux); undefined elsewhere. */
  fsType?: string;
  /** Where that file system is mounted. */
  mountPoint?: string;
  /** The temporary directory (os.tmpdir(), symlinks resolved) when the store is inside it. */
  tmpdir?: string;
  /** Empty when the store is on persistent storage, as far as this machine can tell. */
  ephemeral: EphemeralReason[];
}

/** The nearest existing directory at or above `dir`, symlinks resolved. */
async function nearestExisting(dir: string): Promise<string> {
  let p = path.resolve(dir);
  for (;;) {
    try {
      return await fsp.realpath(p);
    } catch {
      const up = path.dirname(p);
      if (up === p) return p;
      p = up;
    }
  }
}

/** mountinfo escapes space, tab, newline and backslash as octal. */
function unescapeMount(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** The mount that holds `p`: the longest mount point that is `p` or one of its parents. */
async function mountOf(p: string): Promise<{ fsType: string; mountPoint: string } | undefined> {
  let text: string;
  try {
    text = await fsp.readFile('/proc/self/mountinfo', 'utf8');
  } catch {
    return undefined;
  }
  let best: { fsType: string; mountPoint: string } | undefined;
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const dash = fields.indexOf('-');
    if (dash < 0 || fields.length < dash + 2) continue;
    const mountPoint = unescapeMount(fields[4] ?? '');
    const inside = p === mountPoint || p.startsWith(mountPoint === '/' ? '/' : `${mountPoint}/`);
    // A later line for the same mount point is mounted over the earlier one: it wins.
    if (inside && (!best || mountPoint.length >= best.mountPoint.length)) {
      best = { fsType: fields[dash + 1]!, mountPoint };
    }
  }
  return best;
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

export async function storageFacts(dir: string): Promise<StorageFacts> {
  const examined = await nearestExisting(dir);
  const facts: StorageFacts = { dir: path.resolve(dir), examined, ephemeral: [] };
  if (process.platform === 'linux') {
    const mount = await mountOf(examined);
    if (mount) {
      facts.fsType = mount.fsType;
      facts.mountPoint = mount.mountPoint;
      if (mount.fsType === 'tmpfs' || mount.fsType === 'ramfs') facts.ephemeral.push(mount.fsType);
      if (mount.fsType === 'overlay') facts.ephemeral.push('overlay');
    }
  }
  const tmp = await fsp.realpath(os.tmpdir()).catch(() => path.resolve(os.tmpdir()));
  if (isInside(examined, tmp)) {
    facts.tmpdir = tmp;
    facts.ephemeral.push('tmpdir');
  }
  return facts;
}

/** Why, in one sentence per reason: the evidence. */
export function ephemeralEvidence(f: StorageFacts): string[] {
  return f.ephemeral.map((reason) => {
    switch (reason) {
      case 'tmpfs':
      case 'ramfs':
        return `${f.dir} is on ${reason} (memory) mounted at ${f.mountPoint}`;
      case 'overlay':
        return (
          `${f.dir} is on an overlay file system mounted at ${f.mountPoint} with no volume mounted ` +
          "over it, as in a container's writable layer, which is discarded with the container"
        );
      case 'tmpdir':
        return `${f.dir} is inside the temporary directory ${f.tmpdir}, which the system clears (at boot, or files older than some days)`;
    }
  });
}

/** What to do about it. */
export function persistentStorageFix(f: StorageFacts): string {
  const volume = f.ephemeral.includes('overlay') || f.ephemeral.includes('tmpfs');
  return (
    (volume
      ? `mount a persistent volume at ${f.dir} (docker run -v device-keystore:${f.dir} …, a Kubernetes PersistentVolumeClaim), or `
      : '') +
    'keep the store on persistent storage: set DEVICE_KEYSTORE_DIR (or --dir / the dir option) to a directory on disk, ' +
    "such as /var/lib/<service>/device-keystore for a service (systemd: StateDirectory=) or the app's userData folder for Electron"
  );
}

/** The describe() warning, or undefined on persistent storage. */
export function ephemeralStorageWarning(f: StorageFacts): string | undefined {
  if (f.ephemeral.length === 0) return undefined;
  return (
    `the store is on storage that does not last: ${ephemeralEvidence(f).join('; ')}. ` +
    `The identity will not survive a restart or redeploy; ${persistentStorageFix(f)}`
  );
}
