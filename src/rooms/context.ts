import { promises as fsp, constants as fsc } from 'node:fs';
import * as path from 'node:path';
import { type Backend, type BackendContext } from '../tiers/tier';
import { SIDE_FILE_SUFFIXES } from '../core/records';
import { type TierName } from '../core/tiers';
import { providerFor, type TierReport } from '../tiers/detect';
import { KeystoreError, fromFsError } from '../core/errors';
import { ensureDir, removeFileDurable } from '../store/atomic';
import { unlockMaster } from '../store/file-master';
import { Lifecycle } from '../core/lifecycle';
import { withLock } from '../store/lock';
import { DIR_MODE, setPrivateAcl } from '../store/permissions';
import { SealingKeys, migrateLegacySecrets } from './sealing';
import { ensureStoreId, readStoreId } from '../store/store-id';
import { tpmSrkPin } from '../store/tpm-srk-pin';
import { listRecordNames } from '../store/key-records';
import type { StorePaths } from '../store/paths';
import type { StoreSettings } from '../store/settings';
import { tpmAttestationKeyFile } from '../store/tpm-attestation-key';

/**
 * One open store, shared by the Keystore facade and its rooms (keys, identity, secrets): its
 * settings, the tier new keys go to, the tiers it has opened, its lock and whether it is open.
 * Never handed to callers.
 */
export class StoreContext {
  readonly settings: StoreSettings;
  readonly paths: StorePaths;
  /** The tier new keys are created in. */
  readonly tier: TierName;
  /** Every tier, in detection order, with what happened when it was tried. */
  readonly tiers: readonly TierReport[];
  readonly requireHardware: boolean;
  readonly life = new Lifecycle();
  /** What the tiers get from the store: settings and the file tier's unlock, never a path. */
  readonly backendContext: BackendContext;
  readonly #backends = new Map<TierName, Promise<Backend>>();
  /** Files the locked call in progress created that no record names yet. */
  #provisional: string[] | undefined;
  /** The store's sealing key in each tier (see sealing.ts). */
  readonly sealing: SealingKeys;
  #storeId: string | undefined;

  constructor(
    settings: StoreSettings,
    storeDir: string,
    tier: TierName,
    tiers: TierReport[],
    requireHardware: boolean,
  ) {
    this.settings = settings;
    this.paths = settings.paths;
    this.tier = tier;
    this.tiers = tiers;
    this.requireHardware = requireHardware;
    this.backendContext = backendContextFor(settings, storeDir, (file) =>
      this.#provisional?.push(file),
    );
    this.sealing = new SealingKeys({
      paths: this.paths,
      backend: (t) => this.backend(t),
      warn: (m) => settings.warn(m),
      created: (file) => this.#provisional?.push(file),
    });
  }

  /** The store id (store.json), or undefined for a store no writer has given one yet. */
  async storeId(): Promise<string | undefined> {
    this.#storeId ??= await readStoreId(this.paths);
    return this.#storeId;
  }

  /**
   * The store id, made now if the store has none; a 0.1.0 store's secrets are migrated to it
   * first (sealing.ts). The caller holds the store lock.
   */
  async storeIdLocked(): Promise<string> {
    // A new id with nothing to migrate is provisional: a call that then fails takes it back.
    const fresh =
      (await readStoreId(this.paths)) === undefined &&
      (await listRecordNames(this.paths.secretsDir)).length === 0;
    this.#storeId = await ensureStoreId(this.paths, (id) =>
      migrateLegacySecrets(
        { paths: this.paths, backend: (t) => this.backend(t), warn: (m) => this.settings.warn(m) },
        this.sealing,
        id,
      ),
    );
    if (fresh) this.#provisional?.push(this.paths.storeFile);
    return this.#storeId;
  }

  /** The open tier for an item, opened on first use. */
  backend(tier: TierName): Promise<Backend> {
    if (this.requireHardware && !providerFor(tier).hardwareBacked) {
      return Promise.reject(
        new KeystoreError(
          'E_HARDWARE_REQUIRED',
          `this item is in the ${tier} tier, which is not hardware-backed`,
          { hint: 'open the store without requireHardware to use it' },
        ),
      );
    }
    let b = this.#backends.get(tier);
    if (!b) {
      b = providerFor(tier).open(this.backendContext);
      this.#backends.set(tier, b);
      b.catch(() => this.#backends.delete(tier));
    }
    return b;
  }

  /** The tier, or undefined when it cannot be opened (for describe()'s per-tier warnings). */
  backendIfUsable(tier: TierName): Promise<Backend | undefined> {
    return this.backend(tier).catch(() => undefined);
  }

  /**
   * Run `fn` holding the store lock, after sweeping what writers that died left behind.
   * `signal` ends the wait for the lock (E_ABORTED); once held, `fn` runs to its end.
   */
  async locked<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await ensureStoreDirs(this.paths);
    return withLock(
      this.paths.lock,
      async () => {
        await sweepStaleTempFiles(this.paths);
        await sweepOrphanSideFiles(this.paths);
        // A call that fails (a full disk, a refused key) takes back what it created first, such
        // as the file tier's first master, so the store is exactly as it was before.
        const provisional: string[] = [];
        this.#provisional = provisional;
        try {
          return await fn();
        } catch (err) {
          if (provisional.length > 0) {
            for (const file of provisional.reverse()) await removeFileDurable(file).catch(() => {});
            // What was cached from those files is gone with them.
            this.#storeId = undefined;
            this.sealing.forgetAll();
          }
          throw err;
        } finally {
          this.#provisional = undefined;
        }
      },
      { timeoutMs: this.settings.lockTimeoutMs, ...(signal ? { signal } : {}) },
    );
  }

  /** Waits for work in flight, then closes every tier; later calls fail with E_CLOSED. */
  close(): Promise<void> {
    return this.life.close(async () => {
      const backends = [...this.#backends.values()];
      this.#backends.clear();
      this.sealing.forgetAll();
      await Promise.allSettled(backends.map(async (b) => (await b).close()));
    });
  }
}

/** The settings a tier may see, detection included (it probes before any store exists). */
export function backendContextFor(
  settings: StoreSettings,
  storeDir: string,
  created?: (file: string) => void,
): BackendContext {
  return {
    storeDir,
    warn: settings.warn,
    ...(settings.tcti !== undefined ? { tcti: settings.tcti } : {}),
    ...(settings.tpmOwnerAuth !== undefined ? { tpmOwnerAuth: settings.tpmOwnerAuth } : {}),
    tpmSrkPin: tpmSrkPin(settings.paths),
    tpmAttestationKey: (algorithm) => tpmAttestationKeyFile(settings.paths.dir, algorithm),
    unlockDataKey: async (create, signal) => {
      const { dataKeyId, dataKey } = await unlockMaster(settings, create, create, signal, created);
      return { dataKeyId, dataKey };
    },
  };
}

/** The directory with symlinks resolved, so the same store has one name in per-store tags. */
export async function realStoreDir(dir: string): Promise<string> {
  return fsp.realpath(dir).catch(() => dir);
}

/**
 * Whether a store file exists. A file this process may not even look at is not "missing": that
 * is another user's store (E_PERMISSION naming the owner), never E_NOT_INITIALIZED.
 */
async function exists(file: string): Promise<boolean> {
  try {
    await fsp.access(file, fsc.F_OK);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') throw fromFsError(err, file, 'read');
    return false;
  }
}

/**
 * Every write to a store happens under its lock, so a temp file found while holding the lock
 * was left by a writer that died (kill -9, power loss) before its rename: remove it.
 */
async function sweepStaleTempFiles(paths: StorePaths): Promise<void> {
  for (const dir of storeDirs(paths)) {
    const names = await fsp.readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      // The lock's own temp files (.lock.*) belong to processes waiting for it: leave them.
      const leftover =
        (/^\..+\.[0-9a-f]{12}\.tmp$/.test(name) && !name.startsWith('.lock.')) ||
        /^identity\.json\.[0-9a-f]{12}\.staged$/.test(name);
      if (leftover) {
        await fsp.rm(path.join(dir, name), { force: true });
      }
    }
  }
}

/**
 * A key's side file (the TPM's TSS2 PEM) is written before its record and removed after it, so
 * a writer killed in between leaves a side file that no record names (test/crash-ops.test.ts
 * lands kills there). Found under the lock, such a file is that dead writer's: remove it, so
 * the store is again one where every side file has its record.
 */
async function sweepOrphanSideFiles(paths: StorePaths): Promise<void> {
  for (const dir of [paths.keysDir, paths.sealingDir, paths.certifyingDir]) {
    const names = await fsp.readdir(dir).catch(() => [] as string[]);
    const records = new Set(names.filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -5)));
    for (const name of names) {
      const suffix = SIDE_FILE_SUFFIXES.find((s) => name.endsWith(s));
      if (suffix && !name.startsWith('.') && !records.has(name.slice(0, -suffix.length))) {
        await removeFileDurable(path.join(dir, name));
      }
    }
  }
}

/** The directories a store is made of. */
function storeDirs(paths: StorePaths): string[] {
  return [paths.dir, paths.keysDir, paths.secretsDir, paths.sealingDir, paths.certifyingDir];
}

async function ensureStoreDirs(paths: StorePaths): Promise<void> {
  for (const dir of storeDirs(paths)) {
    const created = !(await exists(dir));
    await ensureDir(dir, DIR_MODE);
    if (created) {
      await fsp.chmod(dir, DIR_MODE).catch(() => {});
      await setPrivateAcl(dir, 'directory');
    }
  }
}

export { exists as fileExists };
