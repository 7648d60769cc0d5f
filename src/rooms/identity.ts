import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { KeystoreError, fromFsError, invalidArgument, isKeystoreError } from '../core/errors';
import { pemFromRaw } from '../crypto/p256';
import {
  identityFrom,
  makeIdentity,
  readIdentityFile,
  validateIdentityName,
  writeIdentityFile,
  type Identity,
  type IdentityJSON,
} from '../store/identity-file';
import { deviceIdOf } from '../crypto/device-id';
import { signalOption } from '../core/abort';
import { fsyncDir, renameDurable } from '../store/atomic';
import { isNoHardLinks } from '../store/lock';
import { fileExists, type StoreContext } from './context';
import { keyFile } from '../store/paths';
import { readKeyRecord } from '../store/key-records';
import { newIdentityAlias, type KeyRoom } from './keys';

export interface InitOptions {
  name: string;
  /** Replace an existing identity. The old identity key is deleted once the new one is in place. */
  force?: boolean;
  /** Ends the wait for the store lock with E_ABORTED. */
  signal?: AbortSignal;
}

/** The identity room: identity.json and the key it names. */
export class IdentityRoom {
  readonly #ctx: StoreContext;
  readonly #keys: KeyRoom;

  constructor(ctx: StoreContext, keys: KeyRoom) {
    this.#ctx = ctx;
    this.#keys = keys;
  }

  /**
   * Create this device's identity: a new key and identity.json. Fails with E_EXISTS when one
   * exists, unless `force`. Safe against concurrent inits from several processes: exactly one wins.
   */
  init(opts: InitOptions): Promise<Identity> {
    if (opts === null || typeof opts !== 'object') throw invalidArgument('init needs { name }');
    const name = validateIdentityName(opts.name);
    const force = opts.force ?? false;
    if (typeof force !== 'boolean') throw invalidArgument('force must be a boolean');
    const signal = signalOption(opts, ['name', 'force', 'signal']);
    const paths = this.#ctx.paths;
    return this.#ctx.locked(async () => {
      // With force, a damaged identity is what is being replaced: it must not stop init.
      const existing = await this.readIfAny().catch((err: unknown) => {
        if (force && isKeystoreError(err, 'E_CORRUPT')) return undefined;
        throw err;
      });
      if (existing && !force) {
        throw new KeystoreError(
          'E_EXISTS',
          `${paths.dir} already has an identity ("${existing.name}")`,
          {
            path: paths.identity,
            hint: 'use the existing identity, or pass --force (force: true) to replace it',
          },
        );
      }
      const alias = newIdentityAlias();
      const key = await this.#keys.createLocked(alias);
      const identity = makeIdentity(
        name,
        key.tier,
        alias,
        key.exportPublicKey('raw'),
        key.createdAt,
      );
      try {
        // Its certifying key now, so that the first certificate() needs no lock (keys.ts).
        await this.#keys.createCertifyingLocked(key);
        await this.#commit(identity, force);
      } catch (err) {
        // The key is no one's identity: take it back, so a failed init leaves the old state.
        await this.#keys.deleteLocked(alias).catch(() => {});
        throw err;
      }
      await this.#keys.dropStaleIdentityKeys(alias);
      return identityFrom(identity);
    }, signal);
  }

  /** The identity record. E_NOT_INITIALIZED when `init` has not run. */
  async read(): Promise<Identity> {
    const identity = await this.readIfAny();
    if (!identity) {
      throw new KeystoreError('E_NOT_INITIALIZED', `${this.#ctx.paths.dir} has no identity yet`, {
        hint: 'run `device-keystore init --name <name>` (or keystore.init({ name }))',
      });
    }
    return identity;
  }

  async readIfAny(): Promise<Identity | undefined> {
    const json = await this.readJSONIfAny();
    return json && identityFrom(json);
  }

  /** identity.json as stored, checked against the key record it names. */
  async readJSONIfAny(): Promise<IdentityJSON | undefined> {
    const paths = this.#ctx.paths;
    if (!(await fileExists(paths.identity))) return undefined;
    const identity = await readIdentityFile(paths.identity);
    // identity.json is public and carries no secret; the key file is the source of truth.
    const file = keyFile(paths, identity.keyAlias);
    const record = await readKeyRecord(file, identity.keyAlias).catch((err) => {
      if ((err as KeystoreError).code === 'E_NOT_FOUND') {
        throw new KeystoreError('E_CORRUPT', `the identity key "${identity.keyAlias}" is missing`, {
          path: file,
          hint: 'restore the keys/ directory from a backup, or create a new identity with init --force',
        });
      }
      throw err;
    });
    await this.#keys.checkBinding(file, record);
    if (
      record.tier !== identity.tier ||
      record.createdAt !== identity.createdAt ||
      deviceIdOf(record.publicKey) !== identity.deviceId ||
      pemFromRaw(record.publicKey) !== identity.publicKey
    ) {
      throw new KeystoreError('E_CORRUPT', `${paths.identity} does not match its key file`, {
        path: paths.identity,
        hint: 'restore identity.json from a backup, or create a new identity with init --force',
      });
    }
    return identity;
  }

  /**
   * Commit point of `init`. Without force, link() publishes the file only if none exists, so
   * even two processes that both got past the lock could not both create an identity.
   */
  async #commit(identity: IdentityJSON, force: boolean): Promise<void> {
    const paths = this.#ctx.paths;
    if (force) {
      await writeIdentityFile(paths.identity, identity);
      return;
    }
    const staged = `${paths.identity}.${randomBytes(6).toString('hex')}.staged`;
    await writeIdentityFile(staged, identity);
    const exists = () =>
      new KeystoreError('E_EXISTS', `${paths.dir} already has an identity`, {
        path: paths.identity,
      });
    try {
      try {
        await fsp.link(staged, paths.identity);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw exists();
        if (!isNoHardLinks(err)) throw fromFsError(err, paths.identity, 'write');
        // No hard links on this volume (FAT, exFAT, some shares). The store lock is held, and
        // every writer of identity.json holds it, so looking first and then renaming is safe.
        if (await fileExists(paths.identity)) throw exists();
        await renameDurable(staged, paths.identity);
      }
    } finally {
      await fsp.rm(staged, { force: true });
    }
    await fsyncDir(paths.dir);
  }
}
