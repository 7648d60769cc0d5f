import { inspect } from 'node:util';
import { type TierName } from './core/tiers';
import { detectTier } from './tiers/detect';
import type { DeviceKey } from './device-key';
import type { KeyInfo } from './key-info';
import { tpmDiagnostics, type TpmDiagnostics } from './doctor/tpm';
import { invalidArgument } from './core/errors';
import type { Identity } from './store/identity-file';
import { describeStore } from './rooms/describe';
import { tpmAttestationOf } from './rooms/attestation';
import type { CredentialChallenge } from './tiers/tpm2/attestation';
import type { AttestationKeyInfo } from './tiers/tpm2/attestation-key';
import type { TpmEndorsement } from './tiers/tpm2/endorsement';
import { IdentityRoom, type InitOptions } from './rooms/identity';
import { KeyRoom } from './rooms/keys';
import { SealedSecrets } from './rooms/secrets';
import { StoreContext, backendContextFor, realStoreDir } from './rooms/context';
import { changePassphrase, type PassphraseChange } from './store/file-master';
import { signalOption, type WaitOptions } from './core/abort';
import { cacheForOption, pinBytes, type PinOptions } from './core/pin';
import { userPresenceOption, PIN_OR_PROMPT_HINT } from './tiers/apple/user-presence';
import { validateName } from './store/paths';
import { type StoreDescription } from './rooms/describe';
import { type PromptedPresence } from './core/tiers';
import {
  type OpenOptions,
  validateOpenOptions,
  settingsFrom,
  toSecretBytes,
} from './keystore-options';

export type { InitOptions } from './rooms/identity';
export { SealedSecrets } from './rooms/secrets';

export interface GetKeyOptions extends WaitOptions {
  /** The key's PIN (1-32 bytes of UTF-8). */
  pin?: string | Uint8Array;
  /** Milliseconds the returned key keeps the PIN in process memory; default 0. */
  cacheFor?: number;
}

/** Options of `createKey`. */
export interface CreateKeyOptions extends GetKeyOptions {
  /**
   * With `pin`: a tpm2 or windows-tpm key that needs this PIN for every use. `userPresence`: a
   * secure-enclave key for each use of which macOS asks the user ('biometry': Touch ID;
   * 'biometry-or-passcode': Touch ID, a paired watch or the login password).
   */
  userPresence?: PromptedPresence | 'none';
}

/** Checks `pin`/`cacheFor`, runs `fn`, and wipes the PIN's bytes afterwards. */
async function withPinOptions<T>(
  opts: GetKeyOptions | undefined,
  fn: (pin: PinOptions | undefined) => Promise<T>,
): Promise<T> {
  if (opts?.pin === undefined) {
    if (opts?.cacheFor !== undefined) throw invalidArgument('cacheFor needs pin');
    return fn(undefined);
  }
  const pin = { pin: pinBytes(opts.pin), cacheFor: cacheForOption(opts.cacheFor) };
  try {
    return await fn(pin);
  } finally {
    pin.pin.fill(0);
  }
}

export interface ImportKeyOptions extends WaitOptions {
  /** The tier to import into; only `tpm2` imports keys. Default `tpm2`. */
  tier?: TierName;
  /**
   * The key's authorization value, as you know it. Only `''` is supported: it says the key has
   * no password, which the key file's `emptyAuth` only claims.
   */
  keyAuth?: string | Uint8Array;
}

/**
 * A keystore directory and the tier its new keys go to. Open one with `Keystore.open()`.
 * A facade: the keys, identity and secrets rooms do the work, over one private store context.
 * After `close()`, every call on it fails with E_CLOSED, and so do sign, verify and ecdh on every
 * key it handed out (their public halves stay readable, as a KeyObject's would).
 */
export class Keystore {
  readonly #ctx: StoreContext;
  readonly #keys: KeyRoom;
  readonly #identity: IdentityRoom;

  /** Sealed secrets: small values (tokens, recovery envelopes) bound to this device. */
  readonly secrets: SealedSecrets;

  private constructor(ctx: StoreContext) {
    this.#ctx = ctx;
    this.#keys = new KeyRoom(ctx);
    this.#identity = new IdentityRoom(ctx, this.#keys);
    this.secrets = new SealedSecrets(ctx);
  }

  static async open(opts: OpenOptions = {}): Promise<Keystore> {
    validateOpenOptions(opts);
    const settings = settingsFrom(opts);
    const storeDir = await realStoreDir(settings.paths.dir);
    const requireHardware = opts.requireHardware ?? false;
    const detection = await detectTier(
      backendContextFor(settings, storeDir),
      opts.backend ?? 'auto',
      requireHardware,
    );
    return new Keystore(
      new StoreContext(settings, storeDir, detection.chosen.tier, detection.tiers, requireHardware),
    );
  }

  /** The store directory (absolute). */
  get dir(): string {
    return this.#ctx.paths.dir;
  }

  /** The tier new keys are created in. */
  get tier(): TierName {
    return this.#ctx.tier;
  }

  /**
   * Create this device's identity: a new key and identity.json. Fails with E_EXISTS when one
   * exists, unless `force`. Safe against concurrent inits from several processes: exactly one wins.
   */
  init(opts: InitOptions): Promise<Identity> {
    return this.#run(() => this.#identity.init(opts));
  }

  /** The identity record. E_NOT_INITIALIZED when `init` has not run. */
  identity(): Promise<Identity> {
    return this.#run(() => this.#identity.read());
  }

  /** The identity's key, for signing as this device. */
  identityKey(opts?: WaitOptions): Promise<DeviceKey> {
    return this.#run(async () =>
      this.#keys.get((await this.#identity.read()).keyAlias, signalOption(opts)),
    );
  }

  /** The identity record for sharing: public fields only, never a secret. */
  exportIdentity(): Promise<Identity> {
    // identityFrom copies exactly the public fields of the record.
    return this.#run(() => this.#identity.read());
  }

  /**
   * `pin`: a tpm2 key that needs this PIN for every use, and is not noDA, so the TPM's
   * dictionary-attack lockout limits guesses (docs/tpm.md, "PIN-protected keys"); on windows-tpm
   * the PIN is the PCP key's usage authorization (docs/windows.md). `cacheFor`: milliseconds the
   * returned key keeps the PIN in process memory (default 0; dropped on close). `userPresence`:
   * a secure-enclave key that macOS guards with a prompt at each use (docs/macos.md).
   */
  createKey(alias: string, opts?: CreateKeyOptions): Promise<DeviceKey> {
    return this.#run(() => {
      const signal = signalOption(opts, ['signal', 'pin', 'cacheFor', 'userPresence']);
      const presence = userPresenceOption(opts?.userPresence);
      if (presence && opts?.pin !== undefined) {
        throw invalidArgument('give pin or userPresence, not both', PIN_OR_PROMPT_HINT);
      }
      return withPinOptions(opts, (pin) => this.#keys.create(alias, signal, pin, presence));
    });
  }

  /**
   * Adopt a TPM key made by another tool (a TSS2 PRIVATE KEY PEM from tpm2-openssl or
   * ssh-tpm-agent) into the tpm2 tier of this store. The TPM must be able to load it, and its
   * public area must say it was made in and bound to the TPM (fixedTPM, fixedParent,
   * sensitiveDataOrigin). `keyAuth: ''` is your word that the key has no password; it is
   * needed for keys without noDA (tpm2-openssl's), because a wrong guess would count towards
   * the TPM's dictionary-attack lockout, and for files that say emptyAuth FALSE.
   */
  importKey(
    alias: string,
    material: string | Buffer,
    opts: TierName | ImportKeyOptions = {},
  ): Promise<DeviceKey> {
    return this.#run(async () => {
      // A tier name alone is the 0.1.0 form of this argument.
      const {
        tier = 'tpm2',
        keyAuth,
        ...wait
      } = typeof opts === 'string' ? { tier: opts } : (opts as ImportKeyOptions);
      if (
        keyAuth !== undefined &&
        typeof keyAuth !== 'string' &&
        !(keyAuth instanceof Uint8Array)
      ) {
        throw invalidArgument('keyAuth must be a string or a Uint8Array');
      }
      const auth =
        keyAuth === undefined
          ? {}
          : { keyAuth: typeof keyAuth === 'string' ? Buffer.from(keyAuth) : Buffer.from(keyAuth) };
      return this.#keys.import(alias, material, tier, signalOption(wait), auth);
    });
  }

  /** `signal` ends the wait for the unlock (E_ABORTED); the unlock itself goes on. */
  getKey(alias: string, opts?: GetKeyOptions): Promise<DeviceKey> {
    return this.#run(() => {
      const signal = signalOption(opts, ['signal', 'pin', 'cacheFor']);
      return withPinOptions(opts, (pin) => this.#keys.get(alias, signal, pin));
    });
  }

  listKeys(): Promise<KeyInfo[]> {
    return this.#run(() => this.#keys.list());
  }

  /** Delete a key for good. The identity key can only be replaced through `init({ force })`. */
  deleteKey(alias: string, opts?: WaitOptions): Promise<void> {
    return this.#run(async () => {
      const signal = signalOption(opts);
      validateName('alias', alias);
      await this.#ctx.locked(async () => {
        const identity = await this.#identity.readIfAny();
        if (identity?.keyAlias === alias) {
          throw invalidArgument(
            `"${alias}" is the identity key`,
            'replace the identity with init --force instead',
          );
        }
        await this.#keys.deleteLocked(alias);
      }, signal);
    });
  }

  /**
   * Re-wrap the encrypted-file tier's data key under a new passphrase (generated when none is
   * given and the passphrase lives in the passphrase file). Keys are not re-encrypted.
   */
  changePassphrase(
    opts: WaitOptions & { newPassphrase?: string | Uint8Array } = {},
  ): Promise<PassphraseChange> {
    return this.#run(() => {
      const signal = signalOption(opts, ['newPassphrase', 'signal']);
      const next = opts.newPassphrase;
      if (
        next !== undefined &&
        !((typeof next === 'string' || next instanceof Uint8Array) && next.length > 0)
      ) {
        throw invalidArgument('newPassphrase must be a non-empty string or Uint8Array');
      }
      return changePassphrase(
        this.#ctx,
        next === undefined ? undefined : toSecretBytes(next),
        signal,
      );
    });
  }

  /** What protects the keys, honestly: tier, hardware or not, extractable by whom, and why. */
  describe(): Promise<StoreDescription> {
    return this.#run(async () =>
      describeStore(this.#ctx, await this.#identity.readIfAny(), await this.#keys.list()),
    );
  }

  /**
   * The TPM's endorsement: its EKs (public areas, Names) and EK certificates with the chain the
   * TPM stores, or why it has none (docs/attestation.md). Linux TPM only.
   */
  endorsement(): Promise<TpmEndorsement> {
    return this.#run(async () => (await tpmAttestationOf(this.#ctx)).endorsement());
  }

  /** The store's TPM attestation key (made on first use): what a server enrolls. */
  attestationKey(opts?: { algorithm?: 'ecc-p256' | 'rsa-2048' }): Promise<AttestationKeyInfo> {
    // Under the store lock, which makes the store's directory: the AK may be made now.
    return this.#run(() =>
      this.#ctx.locked(async () => (await tpmAttestationOf(this.#ctx)).attestationKey(opts)),
    );
  }

  /** Enrollment, device side: TPM2_ActivateCredential of a server's makeCredential output. */
  activateCredential(challenge: CredentialChallenge): Promise<Buffer> {
    return this.#run(() =>
      this.#ctx.locked(async () =>
        (await tpmAttestationOf(this.#ctx)).activateCredential(challenge),
      ),
    );
  }

  /**
   * What doctor shows about the TPM: transport, device node and permissions, group membership,
   * tss2 libraries and versions, manufacturer and firmware, lockout counter, owner password.
   */
  tpmDiagnostics(): Promise<TpmDiagnostics> {
    return this.#run(() => tpmDiagnostics(this.#ctx.backendContext));
  }

  /** Waits for work in flight, then closes every tier. A second call resolves too. */
  async close(): Promise<void> {
    this.#keys.forgetAll();
    await this.#ctx.close();
  }

  [inspect.custom](): string {
    return `Keystore { dir: '${this.#ctx.paths.dir}', tier: '${this.#ctx.tier}' }`;
  }

  #run<T>(fn: () => Promise<T>): Promise<T> {
    return this.#ctx.life.run(fn);
  }
}
