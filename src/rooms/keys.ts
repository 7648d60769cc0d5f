import { randomBytes } from 'node:crypto';
import { type Backend, type GeneratedKey, type ImportOptions } from '../tiers/tier';
import { SIDE_FILE_SUFFIXES, type KeyRecord, type NewKeyHeader } from '../core/records';
import { type KeyGuarantees, type TierName } from '../core/tiers';
import { providerFor } from '../tiers/detect';
import type { PinOptions } from '../core/pin';
import { userPresenceFor } from '../tiers/key-options';
import { DeviceKey, rememberPin } from '../device-key';
import { keyInfoFromRecord, type KeyInfo } from '../key-info';
import { KeystoreError, invalidArgument } from '../core/errors';
import { abortable } from '../core/abort';
import { removeFileDurable } from '../store/atomic';
import { fileExists, type StoreContext } from './context';
import {
  checkStoreBinding,
  listRecordNames,
  readKeyRecord,
  readSideFile,
  sideFilePath,
  writeKeyRecord,
  type StoredKeyRecord,
} from '../store/key-records';
import { certifyingKeyFile, keyFile, validateName } from '../store/paths';
import { type PromptedPresence } from '../core/tiers';
import type { KeyHandle } from '../core/key-handle';
import { protectionMismatch, refuseGeneralKey } from './certifying-checks';

/** What a certifying key is made for: a key's alias and tier. */
type CertifiedKey = Pick<KeyRecord, 'alias' | 'tier'>;

/** Aliases of identity keys: made by init, never by createKey. */
export const IDENTITY_PREFIX = 'identity-';

export function newIdentityAlias(): string {
  return IDENTITY_PREFIX + randomBytes(6).toString('hex');
}

function validateUserAlias(alias: unknown): string {
  validateName('alias', alias);
  if ((alias as string).startsWith(IDENTITY_PREFIX)) {
    throw invalidArgument(
      `aliases starting with "${IDENTITY_PREFIX}" are reserved for identity keys`,
    );
  }
  return alias as string;
}

/** The keys room: key records and their tiers' material, and the DeviceKeys handed out. */
export class KeyRoom {
  readonly #ctx: StoreContext;
  readonly #loaded = new Map<string, Promise<DeviceKey>>();
  /** Certifying keys by the alias of the key they certify for. */
  readonly #certifying = new Map<string, Promise<DeviceKey>>();

  constructor(ctx: StoreContext) {
    this.#ctx = ctx;
  }

  create(
    alias: string,
    signal?: AbortSignal,
    pin?: PinOptions,
    presence?: PromptedPresence,
  ): Promise<DeviceKey> {
    validateUserAlias(alias);
    if (!pin && !presence) return this.#ctx.locked(() => this.createLocked(alias), signal);
    return this.#ctx.locked(async () => {
      const key = await this.createLocked(alias, this.#ctx.tier, (backend, header) =>
        backend.generateKey(header, userPresenceFor(backend, pin, presence)),
      );
      if (pin) rememberPin(key, pin.pin, pin.cacheFor);
      return key;
    }, signal);
  }

  import(
    alias: string,
    material: string | Buffer,
    tier: TierName,
    signal?: AbortSignal,
    opts: ImportOptions = {},
  ): Promise<DeviceKey> {
    validateUserAlias(alias);
    if (!(typeof material === 'string' || Buffer.isBuffer(material))) {
      throw invalidArgument('the key to import must be a PEM string or a Buffer');
    }
    return this.#ctx.locked(
      () =>
        this.createLocked(alias, tier, (backend, header) => {
          if (!backend.importKey)
            throw invalidArgument(`the ${backend.tier} tier cannot import keys`);
          return backend.importKey(header, material, opts);
        }),
      signal,
    );
  }

  /**
   * One load per alias, shared by every caller; `signal` ends only this caller's wait (the
   * unlock goes on and fills the cache for the next one).
   */
  get(alias: string, signal?: AbortSignal, pin?: PinOptions): Promise<DeviceKey> {
    validateName('alias', alias);
    let key = this.#loaded.get(alias);
    if (!key) {
      key = this.#load(alias);
      this.#loaded.set(alias, key);
      key.catch(() => this.#loaded.delete(alias));
    }
    if (pin) {
      key = key.then((k) => {
        if (k.userPresence !== 'pin') {
          throw invalidArgument(`the key "${alias}" has no PIN`, 'call getKey without pin');
        }
        rememberPin(k, pin.pin, pin.cacheFor);
        return k;
      });
    }
    return abortable(key, signal);
  }

  async list(): Promise<KeyInfo[]> {
    const infos: KeyInfo[] = [];
    for (const alias of await listRecordNames(this.#ctx.paths.keysDir)) {
      const file = keyFile(this.#ctx.paths, alias);
      const record = await readKeyRecord(file, alias);
      await this.checkBinding(file, record);
      infos.push(keyInfoFromRecord(record, await this.#guarantees(file, record)));
    }
    return infos;
  }

  /**
   * What a listed key gets: its tier's guarantees, or what its own material says when the tier
   * looks (tpm2: a key an earlier release imported from software). A side file that cannot be
   * read leaves the tier's guarantees, as when list read no side files: getKey reports it.
   */
  async #guarantees(file: string, record: StoredKeyRecord): Promise<KeyGuarantees> {
    const provider = providerFor(record.tier);
    if (!provider.keyGuarantees) return provider;
    const full = await readSideFile(file, record).catch((err: unknown) => {
      if (err instanceof KeystoreError) return undefined;
      throw err;
    });
    return full ? provider.keyGuarantees(full) : provider;
  }

  /**
   * A record from another store is E_CORRUPT naming both store ids. A 0.1.0 record has no id
   * and stands as it is (see docs/security.md: it is bound only by what its tier binds).
   */
  async checkBinding(file: string, record: StoredKeyRecord): Promise<void> {
    checkStoreBinding(file, record.storeId, await this.#ctx.storeId(), this.#ctx.paths.storeFile);
  }

  /** A record of this store, or E_NOT_FOUND naming the alias. */
  async record(alias: string): Promise<StoredKeyRecord> {
    const file = keyFile(this.#ctx.paths, alias);
    const record = await readKeyRecord(file, alias).catch((err) => {
      if ((err as KeystoreError).code === 'E_NOT_FOUND') {
        throw new KeystoreError(
          'E_NOT_FOUND',
          `no key named "${alias}" in ${this.#ctx.paths.dir}`,
          {
            path: file,
            hint: 'run `device-keystore list` to see the keys',
          },
        );
      }
      throw err;
    });
    await this.checkBinding(file, record);
    return record;
  }

  /** The caller holds the store lock. */
  async createLocked(
    alias: string,
    tier: TierName = this.#ctx.tier,
    make: (backend: Backend, header: NewKeyHeader) => Promise<GeneratedKey> = (b, header) =>
      b.generateKey(header),
  ): Promise<DeviceKey> {
    const file = keyFile(this.#ctx.paths, alias);
    if (await fileExists(file)) {
      throw new KeystoreError('E_EXISTS', `a key named "${alias}" already exists`, {
        path: file,
        hint: 'choose another alias, or delete the old key first',
      });
    }
    const backend = await this.#ctx.backend(tier);
    // A certifying key left by an earlier key of this alias (a crash between the two deletions
    // in deleteLocked) must not certify for the new one: servers enrolled it for the old key.
    await this.#deleteCertifyingLocked(alias);
    const { record, handle } = await this.#generate(file, backend, { alias }, make);
    const key = this.#deviceKey(record, backend, handle);
    this.#loaded.set(alias, Promise.resolve(key));
    return key;
  }

  /** Delete a key for good; the caller holds the store lock and has checked it is not the identity's. */
  async deleteLocked(alias: string): Promise<void> {
    const file = keyFile(this.#ctx.paths, alias);
    let record: StoredKeyRecord | undefined;
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
    this.#loaded.delete(alias);
    // The record goes first, so a crash leaves no record pointing at missing material.
    await removeFileDurable(file);
    // Side files go whatever the record said: it may have been the damaged part.
    for (const suffix of SIDE_FILE_SUFFIXES) {
      await removeFileDurable(sideFilePath(this.#ctx.paths.keysDir, alias, suffix));
    }
    const backend = record ? await this.#ctx.backendIfUsable(record.tier) : undefined;
    if (backend && record) await backend.destroyKey(record);
    await this.#deleteCertifyingLocked(alias);
  }

  /** The certifying key goes with the key it certified for. */
  async #deleteCertifyingLocked(alias: string): Promise<void> {
    this.#certifying.delete(alias);
    const file = certifyingKeyFile(this.#ctx.paths, alias);
    const record = await readKeyRecord(file, alias).catch(() => undefined);
    await removeFileDurable(file);
    for (const suffix of SIDE_FILE_SUFFIXES) {
      await removeFileDurable(sideFilePath(this.#ctx.paths.certifyingDir, alias, suffix));
    }
    const backend = record ? await this.#ctx.backendIfUsable(record.tier) : undefined;
    if (backend && record) await backend.destroyKey(record);
  }

  /**
   * The certifying key of key `alias` (whose record is `of`, whose handle is `general`): loaded,
   * or made in the same tier under the store lock on first use, with the same protection as the
   * key (docs/delegation.md, "Key usage"): a PIN key's gets its PIN, proven first with the key
   * itself (`pin`, else the cached one); a key macOS guards with a prompt, the same prompt.
   * Stores made before certifying keys existed get theirs this way (CHANGELOG).
   */
  certifying(of: CertifiedKey, general?: KeyHandle, pin?: Buffer): Promise<DeviceKey> {
    let key = this.#certifying.get(of.alias);
    if (!key) {
      key = this.#loadCertifying(of, false, general).catch((err: unknown) => {
        if ((err as KeystoreError).code !== 'E_NOT_FOUND') throw err;
        return this.#ctx.locked(() => this.#loadCertifying(of, true, general, pin));
      });
      this.#certifying.set(of.alias, key);
      key.catch(() => this.#certifying.delete(of.alias));
    }
    return key;
  }

  /** Made at init for the identity key (which has no PIN); the caller holds the store lock. */
  async createCertifyingLocked(of: CertifiedKey): Promise<void> {
    const key = this.#loadCertifying(of, true);
    this.#certifying.set(of.alias, key);
    await key;
  }

  async #loadCertifying(
    of: CertifiedKey,
    create: boolean,
    general?: KeyHandle,
    pin?: Buffer,
  ): Promise<DeviceKey> {
    const file = certifyingKeyFile(this.#ctx.paths, of.alias);
    const presence = general?.userPresence ?? 'none';
    let stored: StoredKeyRecord | undefined;
    try {
      stored = await readKeyRecord(file, of.alias);
    } catch (err) {
      if ((err as KeystoreError).code !== 'E_NOT_FOUND' || !create) throw err;
    }
    if (stored) {
      await this.checkBinding(file, stored);
      if (stored.usage !== 'certify' || stored.tier !== of.tier) {
        throw new KeystoreError('E_CORRUPT', `${file} is not a certifying key of "${of.alias}"`, {
          path: file,
        });
      }
      await refuseGeneralKey(this.#ctx.paths, file, stored);
      const record = await readSideFile(file, stored);
      const backend = await this.#ctx.backend(record.tier);
      const handle = await backend.loadKey(record, file, general ? { samePinAs: general } : {});
      const key = new DeviceKey(record, backend, handle, this.#ctx.life);
      if (key.userPresence !== presence) throw protectionMismatch(file, of.alias, presence, key);
      return key;
    }
    const backend = await this.#ctx.backend(of.tier);
    const made = await this.#generate(
      file,
      backend,
      { alias: of.alias, usage: 'certify' },
      async (b, header) => {
        if (presence === 'none') return b.generateKey(header);
        if (presence !== 'pin') return b.generateKey(header, { userPresence: presence });
        if (!general?.provePin) throw new Error('internal: a PIN key that cannot prove its PIN');
        const proven = await general.provePin(pin ? { pin } : undefined);
        try {
          return await b.generateKey(header, { pin: proven, samePinAs: general });
        } finally {
          proven.fill(0);
        }
      },
    );
    return new DeviceKey(made.record, backend, made.handle, this.#ctx.life);
  }

  /** Make a key in `backend` and write its record to `file`; the caller holds the store lock. */
  async #generate(
    file: string,
    backend: Backend,
    what: Pick<NewKeyHeader, 'alias' | 'usage'>,
    make: (backend: Backend, header: NewKeyHeader) => Promise<GeneratedKey> = (b, header) =>
      b.generateKey(header),
  ): Promise<{ record: KeyRecord; handle: GeneratedKey['handle'] }> {
    const header: NewKeyHeader = {
      ...what,
      tier: backend.tier,
      algorithm: 'ECDSA-P256',
      createdAt: new Date().toISOString(),
      storeId: await this.#ctx.storeIdLocked(),
    };
    const generated = await make(backend, header);
    const record: KeyRecord = {
      ...header,
      publicKey: generated.publicKey,
      backendData: generated.backendData,
      ...(generated.sideFile ? { sideFile: generated.sideFile } : {}),
    };
    await writeKeyRecord(file, record);
    return { record, handle: generated.handle };
  }

  /** Identity keys left by an earlier identity or by an init that crashed before its commit. */
  async dropStaleIdentityKeys(current: string): Promise<void> {
    for (const alias of await listRecordNames(this.#ctx.paths.keysDir)) {
      if (alias.startsWith(IDENTITY_PREFIX) && alias !== current) await this.deleteLocked(alias);
    }
  }

  forgetAll(): void {
    this.#loaded.clear();
    this.#certifying.clear();
  }

  async #load(alias: string): Promise<DeviceKey> {
    const file = keyFile(this.#ctx.paths, alias);
    const record = await readSideFile(file, await this.record(alias));
    const backend = await this.#ctx.backend(record.tier);
    return this.#deviceKey(record, backend, await backend.loadKey(record, file));
  }

  #deviceKey(record: KeyRecord, backend: Backend, handle: GeneratedKey['handle']): DeviceKey {
    if (record.usage === 'certify') {
      // Only certifying/ holds certifying keys: one in keys/ was moved there by hand.
      throw new KeystoreError(
        'E_CORRUPT',
        `key "${record.alias}" is a certifying key, which is kept in ${this.#ctx.paths.certifyingDir}`,
        { path: keyFile(this.#ctx.paths, record.alias) },
      );
    }
    return new DeviceKey(record, backend, handle, this.#ctx.life, (pin) =>
      this.certifying(record, handle, pin),
    );
  }
}
