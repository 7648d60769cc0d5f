import { inspect } from 'node:util';
import {
  TIERS,
  type ExtractableBy,
  type PromptedPresence,
  type TierName,
} from './backends/backend';
import { detectTier, type TierReport } from './backends/detect';
import type { DeviceKey, KeyInfo } from './device-key';
import { tpmDiagnostics, type TpmDiagnostics } from './doctor';
import { invalidArgument } from './errors';
import { SecretBytes } from './crypto/secret-bytes';
import type { Identity } from './identity';
import { describeStore } from './rooms/describe';
import { IdentityRoom, type InitOptions } from './rooms/identity';
import { KeyRoom } from './rooms/keys';
import { SealedSecrets } from './rooms/secrets';
import { StoreContext, backendContextFor, realStoreDir } from './store/context';
import { changePassphrase, type PassphraseChange } from './store/file-master';
import { signalOption, type WaitOptions } from './store/abort';
import { cacheForOption, pinBytes, type PinOptions } from './backends/pin';
import { userPresenceOption, PIN_OR_PROMPT_HINT } from './tiers/apple/user-presence';
import { defaultStoreDir, storePaths, validateName } from './store/paths';
import type { StoreSettings } from './store/settings';

export type { InitOptions } from './rooms/identity';
export { SealedSecrets } from './rooms/secrets';

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

/** `pin` and `cacheFor`: keep a PIN key's PIN in process memory for `cacheFor` ms. */
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

export interface StoreDescription {
  dir: string;
  /** The tier new keys are created in. */
  tier: TierName;
  hardwareBacked: boolean;
  /** True when anyone (the OS account owner, a passphrase holder) can get the keys out. */
  extractable: boolean;
  extractableBy: ExtractableBy;
  warnings: string[];
  /** Every tier, in detection order, with what happened when it was tried. */
  tiers: TierReport[];
  initialized: boolean;
  identity?: Identity;
  keys: KeyInfo[];
  /** What certifying keys (DeviceKey.certifyingKey) stop and what they do not, in one paragraph. */
  keyUsage: string;
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

function settingsFrom(opts: OpenOptions): StoreSettings {
  return {
    paths: storePaths(opts.dir ?? defaultStoreDir()),
    lockTimeoutMs: opts.lockTimeoutMs ?? 30_000,
    warn: opts.onWarning ?? ((m) => process.emitWarning(m, { code: 'DEVICE_KEYSTORE' })),
    ...(opts.passphrase !== undefined ? { passphrase: toSecretBytes(opts.passphrase) } : {}),
    ...(opts.onProgress ? { onSlowStep: opts.onProgress } : {}),
    ...(opts.tcti !== undefined ? { tcti: opts.tcti } : {}),
    ...(opts.tpmOwnerAuth !== undefined ? { tpmOwnerAuth: toSecretBytes(opts.tpmOwnerAuth) } : {}),
  };
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
