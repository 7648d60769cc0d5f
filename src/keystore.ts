import { randomBytes } from 'node:crypto';
import { promises as fsp, constants as fsc } from 'node:fs';
import * as path from 'node:path';
import { inspect } from 'node:util';
import {
  TIERS,
  type Backend,
  type BackendContext,
  type Extractable,
  type GeneratedKey,
  type KeyRecord,
  type TierName,
} from './backends/backend';
import { detectTier, providerFor, type TierReport } from './backends/detect';
import { changeMasterPassphrase, type PassphraseChange } from './backends/file-master';
import { DeviceKey, keyInfoFromRecord, toBytes, type KeyInfo } from './device-key';
import { tpmDiagnostics, type TpmDiagnostics } from './doctor';
import { KeystoreError, fromFsError, invalidArgument } from './errors';
import { SecretBytes } from './crypto/secret-bytes';
import { pemFromRaw } from './crypto/p256';
import {
  deviceIdOf,
  makeIdentity,
  readIdentityFile,
  validateIdentityName,
  writeIdentityFile,
  type Identity,
} from './identity';
import { ensureDir, fsyncDir, removeFileDurable } from './store/atomic';
import {
  listRecordNames,
  readKeyRecord,
  readSecretRecord,
  writeKeyRecord,
  writeSecretRecord,
} from './store/key-records';
import { withLock } from './store/lock';
import { DIR_MODE, dirIsShared } from './store/permissions';
import {
  defaultStoreDir,
  keyFile,
  secretFile,
  storePaths,
  validateName,
  type StorePaths,
} from './store/paths';
import { findPassphrase } from './store/passphrase';

export interface OpenOptions {
  /** Store directory. Default: DEVICE_KEYSTORE_DIR, else ~/.device-keystore. */
  dir?: string;
  /** 'auto' (default) takes the first available tier; a tier name forces it. */
  backend?: 'auto' | TierName;
  /** Refuse software tiers (keychain, encrypted-file). */
  requireHardware?: boolean;
  /** Passphrase for the encrypted-file tier. Kept in memory only, never written to disk. */
  passphrase?: string | Uint8Array;
  /** How long to wait for another process holding the store lock. Default 30 s. */
  lockTimeoutMs?: number;
  /** Receives one-line warnings (passphrase migration). Default: process.emitWarning. */
  onWarning?: (message: string) => void;
  /** Told when a slow step (key derivation) starts and ends, e.g. to show a spinner. */
  onProgress?: (label: string, done: boolean) => void;
  /**
   * TPM transport, as a TCTI string: `device:/dev/tpmrm0` (the default when it exists),
   * `swtpm:host=127.0.0.1,port=2321`, `tabrmd`. Default: DEVICE_KEYSTORE_TCTI.
   */
  tcti?: string;
  /** The TPM owner hierarchy's password, when it has one. Default: DEVICE_KEYSTORE_TPM_OWNER_AUTH. */
  tpmOwnerAuth?: string | Uint8Array;
}

export interface InitOptions {
  name: string;
  /** Replace an existing identity. The old identity key is deleted once the new one is in place. */
  force?: boolean;
}

export interface StoreDescription {
  dir: string;
  /** The tier new keys are created in. */
  tier: TierName;
  hardwareBacked: boolean;
  extractable: Extractable;
  warnings: string[];
  /** Every tier, in detection order, with what happened when it was tried. */
  tiers: TierReport[];
  initialized: boolean;
  identity?: Identity;
  keys: KeyInfo[];
}

const OPEN_OPTION_KEYS = new Set([
  'dir',
  'backend',
  'requireHardware',
  'passphrase',
  'lockTimeoutMs',
  'onWarning',
  'onProgress',
  'tcti',
  'tpmOwnerAuth',
]);

const IDENTITY_PREFIX = 'identity-';
/** Files a tier may keep beside a key record, removed with it even when the tier is gone. */
const KEY_SIDE_FILES = ['.tss2.pem'];
const MAX_SECRET_BYTES_HARD = 1024 * 1024;

function validateOpenOptions(opts: OpenOptions): void {
  if (opts === null || typeof opts !== 'object') throw invalidArgument('options must be an object');
  for (const k of Object.keys(opts)) {
    if (!OPEN_OPTION_KEYS.has(k)) {
      throw invalidArgument(
        `unknown option "${k}"`,
        `valid options: ${[...OPEN_OPTION_KEYS].join(', ')}`,
      );
    }
  }
  if (opts.dir !== undefined && (typeof opts.dir !== 'string' || opts.dir === '')) {
    throw invalidArgument('dir must be a non-empty string');
  }
  if (
    opts.backend !== undefined &&
    opts.backend !== 'auto' &&
    !(TIERS as readonly string[]).includes(opts.backend)
  ) {
    throw invalidArgument(
      `unknown backend ${JSON.stringify(opts.backend)}`,
      `use auto, ${TIERS.join(', ')}`,
    );
  }
  if (opts.requireHardware !== undefined && typeof opts.requireHardware !== 'boolean') {
    throw invalidArgument('requireHardware must be a boolean');
  }
  if (opts.passphrase !== undefined) {
    const ok =
      (typeof opts.passphrase === 'string' || opts.passphrase instanceof Uint8Array) &&
      opts.passphrase.length > 0;
    if (!ok) throw invalidArgument('passphrase must be a non-empty string or Uint8Array');
  }
  if (
    opts.lockTimeoutMs !== undefined &&
    (!Number.isSafeInteger(opts.lockTimeoutMs) || opts.lockTimeoutMs < 0)
  ) {
    throw invalidArgument('lockTimeoutMs must be a non-negative integer');
  }
  if (opts.tcti !== undefined && (typeof opts.tcti !== 'string' || opts.tcti === '')) {
    throw invalidArgument('tcti must be a non-empty string');
  }
  if (
    opts.tpmOwnerAuth !== undefined &&
    !(typeof opts.tpmOwnerAuth === 'string' || opts.tpmOwnerAuth instanceof Uint8Array)
  ) {
    throw invalidArgument('tpmOwnerAuth must be a string or Uint8Array');
  }
  for (const k of ['onWarning', 'onProgress'] as const) {
    if (opts[k] !== undefined && typeof opts[k] !== 'function')
      throw invalidArgument(`${k} must be a function`);
  }
}

function toSecretBytes(p: string | Uint8Array): SecretBytes {
  return typeof p === 'string' ? SecretBytes.fromString(p) : new SecretBytes(p);
}

function now(): string {
  return new Date().toISOString();
}

/**
 * A keystore directory and the tier its new keys go to. Open one with `Keystore.open()`.
 */
export class Keystore {
  readonly #paths: StorePaths;
  readonly #ctx: BackendContext;
  readonly #tier: TierName;
  readonly #tiers: TierReport[];
  readonly #requireHardware: boolean;
  readonly #backends = new Map<TierName, Promise<Backend>>();
  readonly #keys = new Map<string, Promise<DeviceKey>>();
  #closed = false;

  /** Sealed secrets: small values (tokens, recovery envelopes) bound to this device. */
  readonly secrets: SealedSecrets;

  private constructor(
    ctx: BackendContext,
    tier: TierName,
    tiers: TierReport[],
    requireHardware: boolean,
  ) {
    this.#paths = ctx.paths;
    this.#ctx = ctx;
    this.#tier = tier;
    this.#tiers = tiers;
    this.#requireHardware = requireHardware;
    this.secrets = new SealedSecrets(this);
  }

  static async open(opts: OpenOptions = {}): Promise<Keystore> {
    validateOpenOptions(opts);
    const paths = storePaths(opts.dir ?? defaultStoreDir());
    const ctx: BackendContext = {
      paths,
      lockTimeoutMs: opts.lockTimeoutMs ?? 30_000,
      warn: opts.onWarning ?? ((m) => process.emitWarning(m, { code: 'DEVICE_KEYSTORE' })),
      ...(opts.passphrase !== undefined ? { passphrase: toSecretBytes(opts.passphrase) } : {}),
      ...(opts.onProgress ? { onSlowStep: opts.onProgress } : {}),
      ...(opts.tcti !== undefined ? { tcti: opts.tcti } : {}),
      ...(opts.tpmOwnerAuth !== undefined
        ? { tpmOwnerAuth: toSecretBytes(opts.tpmOwnerAuth) }
        : {}),
    };
    const requireHardware = opts.requireHardware ?? false;
    const detection = await detectTier(ctx, opts.backend ?? 'auto', requireHardware);
    return new Keystore(ctx, detection.chosen.tier, detection.tiers, requireHardware);
  }

  /** The store directory (absolute). */
  get dir(): string {
    return this.#paths.dir;
  }

  /** The tier new keys are created in. */
  get tier(): TierName {
    return this.#tier;
  }

  // ---- identity -------------------------------------------------------------------------

  /**
   * Create this device's identity: a new key and identity.json. Fails with E_EXISTS when one
   * exists, unless `force`. Safe against concurrent inits from several processes: exactly one wins.
   */
  async init(opts: InitOptions): Promise<Identity> {
    this.#assertOpen();
    if (opts === null || typeof opts !== 'object') throw invalidArgument('init needs { name }');
    const name = validateIdentityName(opts.name);
    const force = opts.force ?? false;
    if (typeof force !== 'boolean') throw invalidArgument('force must be a boolean');
    return this.#locked(async () => {
      const existing = await this.#readIdentityIfAny();
      if (existing && !force) {
        throw new KeystoreError(
          'E_EXISTS',
          `${this.#paths.dir} already has an identity ("${existing.name}")`,
          {
            path: this.#paths.identity,
            hint: 'use the existing identity, or pass --force (force: true) to replace it',
          },
        );
      }
      const alias = IDENTITY_PREFIX + randomBytes(6).toString('hex');
      const key = await this.#createKeyLocked(alias);
      const identity = makeIdentity(
        name,
        key.tier,
        alias,
        key.exportPublicKey('raw'),
        key.createdAt,
      );
      await this.#commitIdentity(identity, force);
      await this.#dropStaleIdentityKeys(alias);
      return identity;
    });
  }

  /** The identity record. E_NOT_INITIALIZED when `init` has not run. */
  async identity(): Promise<Identity> {
    this.#assertOpen();
    const identity = await this.#readIdentityIfAny();
    if (!identity) {
      throw new KeystoreError('E_NOT_INITIALIZED', `${this.#paths.dir} has no identity yet`, {
        hint: 'run `device-keystore init --name <name>` (or keystore.init({ name }))',
      });
    }
    return identity;
  }

  /** The identity's key, for signing as this device. */
  async identityKey(): Promise<DeviceKey> {
    return this.getKey((await this.identity()).keyAlias);
  }

  /** The identity record for sharing: public fields only, never a secret. */
  async exportIdentity(): Promise<Identity> {
    const { name, deviceId, tier, keyAlias, publicKey, createdAt } = await this.identity();
    return { name, deviceId, tier, keyAlias, publicKey, createdAt };
  }

  // ---- keys -----------------------------------------------------------------------------

  async createKey(alias: string): Promise<DeviceKey> {
    this.#assertOpen();
    validateName('alias', alias);
    if (alias.startsWith(IDENTITY_PREFIX)) {
      throw invalidArgument(
        `aliases starting with "${IDENTITY_PREFIX}" are reserved for identity keys`,
      );
    }
    return this.#locked(() => this.#createKeyLocked(alias));
  }

  /**
   * Adopt a TPM key made by another tool (a TSS2 PRIVATE KEY PEM from tpm2-openssl or
   * ssh-tpm-agent) into the tpm2 tier of this store. The TPM must be able to load it.
   */
  async importKey(
    alias: string,
    material: string | Buffer,
    tier: TierName = 'tpm2',
  ): Promise<DeviceKey> {
    this.#assertOpen();
    validateName('alias', alias);
    if (alias.startsWith(IDENTITY_PREFIX)) {
      throw invalidArgument(
        `aliases starting with "${IDENTITY_PREFIX}" are reserved for identity keys`,
      );
    }
    if (!(typeof material === 'string' || Buffer.isBuffer(material))) {
      throw invalidArgument('the key to import must be a PEM string or a Buffer');
    }
    return this.#locked(() =>
      this.#createKeyLocked(alias, tier, async (backend) => {
        if (!backend.importKey)
          throw invalidArgument(`the ${backend.tier} tier cannot import keys`);
        return backend.importKey(alias, material);
      }),
    );
  }

  async getKey(alias: string): Promise<DeviceKey> {
    this.#assertOpen();
    validateName('alias', alias);
    let key = this.#keys.get(alias);
    if (!key) {
      key = this.#loadKey(alias);
      this.#keys.set(alias, key);
      key.catch(() => this.#keys.delete(alias));
    }
    return key;
  }

  async listKeys(): Promise<KeyInfo[]> {
    this.#assertOpen();
    const aliases = await listRecordNames(this.#paths.keysDir);
    const infos: KeyInfo[] = [];
    for (const alias of aliases) {
      const record = await readKeyRecord(keyFile(this.#paths, alias), alias);
      infos.push(keyInfoFromRecord(record, providerFor(record.tier)));
    }
    return infos;
  }

  /** Delete a key for good. The identity key can only be replaced through `init({ force })`. */
  async deleteKey(alias: string): Promise<void> {
    this.#assertOpen();
    validateName('alias', alias);
    await this.#locked(async () => {
      const identity = await this.#readIdentityIfAny();
      if (identity?.keyAlias === alias) {
        throw invalidArgument(
          `"${alias}" is the identity key`,
          'replace the identity with init --force instead',
        );
      }
      await this.#deleteKeyLocked(alias);
    });
  }

  // ---- passphrase -----------------------------------------------------------------------

  /**
   * Re-wrap the encrypted-file tier's data key under a new passphrase (generated when none is
   * given and the passphrase lives in the passphrase file). Keys are not re-encrypted.
   */
  async changePassphrase(
    opts: { newPassphrase?: string | Uint8Array } = {},
  ): Promise<PassphraseChange> {
    this.#assertOpen();
    const next = opts.newPassphrase;
    if (
      next !== undefined &&
      !((typeof next === 'string' || next instanceof Uint8Array) && next.length > 0)
    ) {
      throw invalidArgument('newPassphrase must be a non-empty string or Uint8Array');
    }
    try {
      await fsp.access(this.#paths.fileMaster);
    } catch {
      throw new KeystoreError(
        'E_NOT_FOUND',
        'this store has no encrypted-file keys, so it has no passphrase',
        {
          path: this.#paths.fileMaster,
        },
      );
    }
    return this.#locked(() =>
      changeMasterPassphrase(this.#ctx, next === undefined ? undefined : toSecretBytes(next)),
    );
  }

  // ---- describe -------------------------------------------------------------------------

  /** What protects the keys, honestly: tier, hardware or not, extractable by whom, and why. */
  async describe(): Promise<StoreDescription> {
    this.#assertOpen();
    const p = providerFor(this.#tier);
    const identity = await this.#readIdentityIfAny();
    const keys = await this.listKeys();
    const warnings: string[] = [];
    const tiersInUse = new Set<TierName>([this.#tier, ...keys.map((k) => k.tier)]);
    if (!p.hardwareBacked) {
      const hw = this.#tiers.filter((t) => t.hardwareBacked && t.status === 'unavailable');
      warnings.push(
        `new keys go to the ${this.#tier} tier, which is not hardware-backed` +
          (hw.length ? ` (${hw.map((t) => `${t.tier}: ${t.reason}`).join('; ')})` : ''),
      );
    }
    // Each tier in use states its own limits (e.g. software keys extractable with the passphrase).
    for (const tier of tiersInUse) {
      const backend = await this._backend(tier).catch(() => undefined);
      if (backend) warnings.push(...backend.warnings());
    }
    if (tiersInUse.has('encrypted-file')) warnings.push(...(await this.#fileTierWarnings()));
    if (await dirIsShared(this.#paths.dir).catch(() => false)) {
      warnings.push(
        `${this.#paths.dir} is accessible by group or others; run: chmod 700 '${this.#paths.dir}'`,
      );
    }
    return {
      dir: this.#paths.dir,
      tier: this.#tier,
      hardwareBacked: p.hardwareBacked,
      extractable: p.extractable,
      warnings,
      tiers: this.#tiers.map((t) => ({ ...t })),
      initialized: identity !== undefined,
      ...(identity ? { identity } : {}),
      keys,
    };
  }

  /**
   * What doctor shows about the TPM: transport, device node and permissions, group membership,
   * tss2 libraries and versions, manufacturer and firmware, lockout counter, owner password.
   */
  async tpmDiagnostics(): Promise<TpmDiagnostics> {
    this.#assertOpen();
    return tpmDiagnostics(this.#ctx);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#keys.clear();
    const backends = [...this.#backends.values()];
    this.#backends.clear();
    await Promise.allSettled(backends.map(async (b) => (await b).close()));
  }

  [inspect.custom](): string {
    return `Keystore { dir: '${this.#paths.dir}', tier: '${this.#tier}' }`;
  }

  // ---- internals shared with SealedSecrets ----------------------------------------------

  /** @internal */
  _paths(): StorePaths {
    return this.#paths;
  }

  /** @internal */
  _backend(tier: TierName): Promise<Backend> {
    this.#assertOpen();
    if (this.#requireHardware && !providerFor(tier).hardwareBacked) {
      return Promise.reject(
        new KeystoreError(
          'E_HARDWARE_REQUIRED',
          `this item is in the ${tier} tier, which is not hardware-backed`,
          {
            hint: 'open the store without requireHardware to use it',
          },
        ),
      );
    }
    let b = this.#backends.get(tier);
    if (!b) {
      b = providerFor(tier).open(this.#ctx);
      this.#backends.set(tier, b);
      b.catch(() => this.#backends.delete(tier));
    }
    return b;
  }

  /** @internal */
  _locked<T>(fn: () => Promise<T>): Promise<T> {
    return this.#locked(fn);
  }

  /** @internal */
  _assertOpen(): void {
    this.#assertOpen();
  }

  // ---- private --------------------------------------------------------------------------

  #assertOpen(): void {
    if (this.#closed)
      throw new KeystoreError('E_CLOSED', 'this Keystore was closed', { hint: 'open it again' });
  }

  async #locked<T>(fn: () => Promise<T>): Promise<T> {
    await ensureStoreDirs(this.#paths);
    return withLock(
      this.#paths.lock,
      async () => {
        await sweepStaleTempFiles(this.#paths);
        return fn();
      },
      { timeoutMs: this.#ctx.lockTimeoutMs },
    );
  }

  async #readIdentityIfAny(): Promise<Identity | undefined> {
    try {
      await fsp.access(this.#paths.identity);
    } catch {
      return undefined;
    }
    const identity = await readIdentityFile(this.#paths.identity);
    // identity.json is public and carries no secret; the key file is the source of truth.
    const record = await readKeyRecord(
      keyFile(this.#paths, identity.keyAlias),
      identity.keyAlias,
    ).catch((err) => {
      if ((err as KeystoreError).code === 'E_NOT_FOUND') {
        throw new KeystoreError('E_CORRUPT', `the identity key "${identity.keyAlias}" is missing`, {
          path: keyFile(this.#paths, identity.keyAlias),
          hint: 'restore the keys/ directory from a backup, or create a new identity with init --force',
        });
      }
      throw err;
    });
    if (
      record.tier !== identity.tier ||
      record.createdAt !== identity.createdAt ||
      deviceIdOf(record.publicKey) !== identity.deviceId ||
      pemFromRaw(record.publicKey) !== identity.publicKey
    ) {
      throw new KeystoreError('E_CORRUPT', `${this.#paths.identity} does not match its key file`, {
        path: this.#paths.identity,
        hint: 'restore identity.json from a backup, or create a new identity with init --force',
      });
    }
    return identity;
  }

  async #createKeyLocked(
    alias: string,
    tier: TierName = this.#tier,
    make: (backend: Backend, createdAt: string) => Promise<GeneratedKey> = (b, at) =>
      b.generateKey(alias, at),
  ): Promise<DeviceKey> {
    const file = keyFile(this.#paths, alias);
    if (await exists(file)) {
      throw new KeystoreError('E_EXISTS', `a key named "${alias}" already exists`, {
        path: file,
        hint: 'choose another alias, or delete the old key first',
      });
    }
    const backend = await this._backend(tier);
    const createdAt = now();
    const generated = await make(backend, createdAt);
    const record: KeyRecord = {
      alias,
      tier: backend.tier,
      algorithm: 'ECDSA-P256',
      publicKey: generated.publicKey,
      createdAt,
      backendData: generated.backendData,
    };
    // The record is the commit point: a crash before it leaves at most a side file (a TPM key
    // blob) that the next key with this alias overwrites.
    await writeKeyRecord(file, record);
    const key = new DeviceKey(record, backend, generated.handle);
    this.#keys.set(alias, Promise.resolve(key));
    return key;
  }

  async #loadKey(alias: string): Promise<DeviceKey> {
    const file = keyFile(this.#paths, alias);
    const record = await readKeyRecord(file, alias).catch((err) => {
      if ((err as KeystoreError).code === 'E_NOT_FOUND') {
        throw new KeystoreError('E_NOT_FOUND', `no key named "${alias}" in ${this.#paths.dir}`, {
          path: file,
          hint: 'run `device-keystore list` to see the keys',
        });
      }
      throw err;
    });
    const backend = await this._backend(record.tier);
    return new DeviceKey(record, backend, await backend.loadKey(record, file));
  }

  async #deleteKeyLocked(alias: string): Promise<void> {
    const file = keyFile(this.#paths, alias);
    let record: KeyRecord | undefined;
    try {
      record = await readKeyRecord(file, alias);
    } catch (err) {
      const code = (err as KeystoreError).code;
      if (code === 'E_NOT_FOUND') {
        throw new KeystoreError('E_NOT_FOUND', `no key named "${alias}"`, { path: file });
      }
      // A corrupt file is still deleted: the user asked for the key to be gone.
      if (code !== 'E_CORRUPT') throw err;
    }
    this.#keys.delete(alias);
    // The record goes first, so a crash leaves no record pointing at missing material.
    await removeFileDurable(file);
    const backend = record ? await this._backend(record.tier).catch(() => undefined) : undefined;
    if (backend && record) await backend.destroyKey(record);
    else {
      for (const suffix of KEY_SIDE_FILES) {
        await removeFileDurable(path.join(this.#paths.keysDir, alias + suffix));
      }
    }
  }

  /**
   * Commit point of `init`. Without force, link() publishes the file only if none exists, so
   * even two processes that both got past the lock could not both create an identity.
   */
  async #commitIdentity(identity: Identity, force: boolean): Promise<void> {
    if (force) {
      await writeIdentityFile(this.#paths.identity, identity);
      return;
    }
    const staged = `${this.#paths.identity}.${randomBytes(6).toString('hex')}.staged`;
    await writeIdentityFile(staged, identity);
    try {
      await fsp.link(staged, this.#paths.identity);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new KeystoreError('E_EXISTS', `${this.#paths.dir} already has an identity`, {
          path: this.#paths.identity,
        });
      }
      throw fromFsError(err, this.#paths.identity, 'write');
    } finally {
      await fsp.rm(staged, { force: true });
    }
    await fsyncDir(this.#paths.dir);
  }

  /** Identity keys left by an earlier identity or by an init that crashed before its commit. */
  async #dropStaleIdentityKeys(current: string): Promise<void> {
    for (const alias of await listRecordNames(this.#paths.keysDir)) {
      if (alias.startsWith(IDENTITY_PREFIX) && alias !== current)
        await this.#deleteKeyLocked(alias);
    }
  }

  async #fileTierWarnings(): Promise<string[]> {
    const warnings: string[] = [];
    const found = await findPassphrase(this.#paths, this.#ctx.passphrase).catch(() => undefined);
    if (found?.source === 'file' && path.dirname(this.#paths.passphraseFile) === this.#paths.dir) {
      warnings.push(
        'the passphrase file is stored beside the encrypted keys, so anyone who can read this directory ' +
          'can use them; set DEVICE_KEYSTORE_PASSPHRASE or keep the file elsewhere (DEVICE_KEYSTORE_PASSPHRASE_FILE) ' +
          'for protection at rest',
      );
    }
    return warnings;
  }
}

/** Sealed secrets live beside the keys, one file each, sealed by the store's tier. */
export class SealedSecrets {
  readonly #store: Keystore;

  constructor(store: Keystore) {
    this.#store = store;
  }

  async set(name: string, value: Uint8Array | string): Promise<void> {
    this.#store._assertOpen();
    validateName('secret name', name);
    const bytes = toBytes(value, 'secret value');
    const backend = await this.#store._backend(this.#store.tier);
    const limit = Math.min(backend.maxSecretBytes, MAX_SECRET_BYTES_HARD);
    if (bytes.length > limit) {
      throw invalidArgument(
        `the secret is ${bytes.length} bytes; the ${backend.tier} tier seals at most ${limit}`,
      );
    }
    await this.#store._locked(async () => {
      const header = { name, tier: backend.tier, createdAt: now() };
      const backendData = await backend.sealSecret(header, bytes);
      await writeSecretRecord(secretFile(this.#store._paths(), name), { ...header, backendData });
    });
  }

  async get(name: string): Promise<Buffer> {
    this.#store._assertOpen();
    validateName('secret name', name);
    const file = secretFile(this.#store._paths(), name);
    const record = await readSecretRecord(file, name).catch((err) => {
      if ((err as KeystoreError).code === 'E_NOT_FOUND') {
        throw new KeystoreError('E_NOT_FOUND', `no secret named "${name}"`, { path: file });
      }
      throw err;
    });
    return (await this.#store._backend(record.tier)).unsealSecret(record, file);
  }

  async list(): Promise<string[]> {
    this.#store._assertOpen();
    return listRecordNames(this.#store._paths().secretsDir);
  }

  async delete(name: string): Promise<void> {
    this.#store._assertOpen();
    validateName('secret name', name);
    const file = secretFile(this.#store._paths(), name);
    const removed = await this.#store._locked(() => removeFileDurable(file));
    if (!removed)
      throw new KeystoreError('E_NOT_FOUND', `no secret named "${name}"`, { path: file });
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await fsp.access(file, fsc.F_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Every write to a store happens under its lock, so a temp file found while holding the lock
 * was left by a writer that died (kill -9, power loss) before its rename: remove it.
 */
async function sweepStaleTempFiles(paths: StorePaths): Promise<void> {
  for (const dir of [paths.dir, paths.keysDir, paths.secretsDir]) {
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

async function ensureStoreDirs(paths: StorePaths): Promise<void> {
  for (const dir of [paths.dir, paths.keysDir, paths.secretsDir]) {
    const created = !(await exists(dir));
    await ensureDir(dir, DIR_MODE);
    if (created) await fsp.chmod(dir, DIR_MODE).catch(() => {});
  }
}
