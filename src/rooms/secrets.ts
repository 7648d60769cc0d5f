import { toBytes } from '../core/inputs';
import { KeystoreError, invalidArgument } from '../core/errors';
import { signalOption, type WaitOptions } from '../core/abort';
import { removeFileDurable } from '../store/atomic';
import type { StoreContext } from './context';
import {
  checkStoreBinding,
  listRecordNames,
  readSecretRecord,
  writeSecretRecord,
} from '../store/key-records';
import { corrupt } from '../core/errors';
import { sealSecret, unsealSecret } from './sealing';
import { secretFile, validateName } from '../store/paths';

const MAX_SECRET_BYTES_HARD = 1024 * 1024;

/** Sealed secrets: small values (tokens, recovery envelopes) bound to this device, one file each. */
export class SealedSecrets {
  readonly #ctx: StoreContext;

  /** @internal Made by Keystore. */
  constructor(ctx: StoreContext) {
    this.#ctx = ctx;
  }

  /** `signal` ends the wait for the store lock (E_ABORTED). */
  set(name: string, value: Uint8Array | string, opts?: WaitOptions): Promise<void> {
    return this.#ctx.life.run(async () => {
      const signal = signalOption(opts);
      validateName('secret name', name);
      const bytes = toBytes(value, 'secret value');
      try {
        const backend = await this.#ctx.backend(this.#ctx.tier);
        const limit = Math.min(backend.maxSecretBytes, MAX_SECRET_BYTES_HARD);
        if (bytes.length > limit) {
          throw invalidArgument(
            `the secret is ${bytes.length} bytes; the ${backend.tier} tier seals at most ${limit}`,
          );
        }
        await this.#ctx.locked(async () => {
          const storeId = await this.#ctx.storeIdLocked();
          const createdAt = new Date().toISOString();
          const header = { name, tier: backend.tier, createdAt, storeId };
          const backendData = await sealSecret(this.#ctx.sealing, header, bytes);
          await writeSecretRecord(secretFile(this.#ctx.paths, name), { ...header, backendData });
        }, signal);
      } finally {
        // A string's bytes are our copy, wiped once sealed (or refused); a caller's buffer stays theirs.
        if (typeof value === 'string') bytes.fill(0);
      }
    });
  }

  /** `signal` ends the wait for the unlock (E_ABORTED) before anything is decrypted. */
  get(name: string, opts?: WaitOptions): Promise<Buffer> {
    return this.#ctx.life.run(async () => {
      const signal = signalOption(opts);
      validateName('secret name', name);
      const file = secretFile(this.#ctx.paths, name);
      const record = await readSecretRecord(file, name).catch((err) => {
        if ((err as KeystoreError).code === 'E_NOT_FOUND') {
          throw new KeystoreError('E_NOT_FOUND', `no secret named "${name}"`, { path: file });
        }
        throw err;
      });
      const storeId = await this.#ctx.storeId();
      if (record.storeId === undefined) {
        // A store that has an id has had every 0.1.0 secret re-sealed under it (sealing.ts), so
        // one found now was written since, by someone else: on some tiers anyone could.
        if (storeId !== undefined) {
          throw corrupt(
            file,
            'it is in the 0.1.0 format, which this store no longer accepts (its secrets were re-sealed when it got its store id)',
          );
        }
        return (await this.#ctx.backend(record.tier)).unsealLegacySecret(record, file);
      }
      checkStoreBinding(file, record.storeId, storeId, this.#ctx.paths.storeFile);
      return unsealSecret(this.#ctx.sealing, record, file, record.storeId, signal);
    });
  }

  list(): Promise<string[]> {
    return this.#ctx.life.run(() => listRecordNames(this.#ctx.paths.secretsDir));
  }

  /** `signal` ends the wait for the store lock (E_ABORTED). */
  delete(name: string, opts?: WaitOptions): Promise<void> {
    return this.#ctx.life.run(async () => {
      const signal = signalOption(opts);
      validateName('secret name', name);
      const file = secretFile(this.#ctx.paths, name);
      const removed = await this.#ctx.locked(() => removeFileDurable(file), signal);
      if (!removed)
        throw new KeystoreError('E_NOT_FOUND', `no secret named "${name}"`, { path: file });
    });
  }
}
