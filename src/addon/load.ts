import * as path from 'node:path';
import { tpmError } from './tss2-status';
import { KeystoreError } from '../core/errors';
import { mapRejections } from './native-errors';

/**
 * The native addon, loaded with node-gyp-build (a prebuild for this platform, else the local
 * build). A failure to load never breaks the import: the encrypted-file tier needs no native
 * code, and the reason is kept for `doctor` and for the hardware tiers' probes.
 */

export interface TpmKeyBlobs {
  publicBlob: Buffer;
  privateBlob: Buffer;
}

/** One TPM reached through one TCTI; every method queues on the device's worker thread. */
export interface NativeTpmConnection {
  properties(): Promise<Record<string, number>>;
  /** The owner SRK's Name (0x000B || SHA-256 of its public area), for the store's pin. */
  srkName(): Promise<Buffer>;
  /** From now on, nothing carrying a secret is sent unless the owner SRK has this Name. */
  pinSrk(name: Buffer): void;
  /** `userAuth`: the new key's authValue (its PIN), sent inside the salted session only. */
  createKey(
    parent: number,
    template: Buffer,
    sensitive?: Buffer,
    userAuth?: Buffer,
  ): Promise<TpmKeyBlobs>;
  sign(
    parent: number,
    publicBlob: Buffer,
    privateBlob: Buffer,
    digest: Buffer,
    auth?: Buffer,
  ): Promise<Buffer>;
  ecdh(
    parent: number,
    publicBlob: Buffer,
    privateBlob: Buffer,
    x: Buffer,
    y: Buffer,
    auth?: Buffer,
  ): Promise<Buffer>;
  unseal(parent: number, publicBlob: Buffer, privateBlob: Buffer): Promise<Buffer>;
  /** Attestation (native/linux-tpm/tpm_attest.cc; src/tiers/tpm2/ gives the bytes meaning). */
  endorsement(): Promise<NativeEndorsement>;
  createEk(template: Buffer): Promise<Buffer>;
  certify(
    ...args: [...key: TpmKeyArgs, ...ak: TpmKeyArgs, nonce: Buffer, auth?: Buffer]
  ): Promise<{ certInfo: Buffer; signature: Buffer }>;
  activateCredential(
    ...args: [...ak: TpmKeyArgs, ekHandle: number, ekTemplate: Buffer, blob: Buffer, secret: Buffer]
  ): Promise<Buffer>;
  close(): Promise<void>;
}

/** A key as the addon takes it: parent handle, TPM2B_PUBLIC, TPM2B_PRIVATE. */
export type TpmKeyArgs = [parent: number, publicBlob: Buffer, privateBlob: Buffer];

/** The EK-range persistent objects and NV indices, as the TPM stores them. */
export interface NativeEndorsement {
  persistent: { handle: number; publicBlob: Buffer }[];
  nv: { index: number; attributes: number; size: number; data?: Buffer }[];
}

export interface Tss2Status {
  ok: boolean;
  error?: string;
  libraries: { soname: string; path: string }[];
  /** dlopen'ed with RTLD_DEEPBIND: always, except in the sanitizer build (DK_TSS2_NO_DEEPBIND). */
  deepBind: boolean;
}

/** One access-control entry of a Windows DACL, as native/windows/ reads it. */
export interface WinAce {
  type: 'allow' | 'deny' | 'other';
  sid: string;
  /** LookupAccountSidW's DOMAIN\\name, when the SID resolves. */
  name?: string;
  mask: number;
  inherited: boolean;
  /** Applies to what is created inside a directory, not to the directory itself. */
  inheritOnly: boolean;
}

export interface WinFileSecurity {
  owner: string;
  /** False for a NULL DACL, which grants everyone everything. */
  daclPresent: boolean;
  aces: WinAce[];
}

type TpmConnectionClass = new (tcti: string, ownerAuth?: Buffer) => NativeTpmConnection;

export interface NativeAddon {
  setErrorClass(cls: typeof KeystoreError): void;
  /** Linux builds only (every one of them has the TPM tier). */
  tss2Status?(libDir?: string): Tss2Status;
  TpmConnection?: TpmConnectionClass;
  /** Windows builds only: the owner and DACL of a file or directory. */
  win32FileSecurity?(path: string): WinFileSecurity;
  /** Windows builds under Wine only: Wine's version (wine_get_version). */
  wineVersion?: string;
  /** Windows builds only: a protected DACL for the current user, SYSTEM and Administrators. */
  win32SetPrivateAcl?(path: string, directory: boolean): void;
}

/**
 * Where the loaded binary came from: `build` (compiled on this machine, by the install script,
 * `npm rebuild` or an app builder's electron-rebuild), `prebuilds` (shipped in the package), or
 * `elsewhere` (node-gyp-build's DEVICE_KEYSTORE_PREBUILD override, or next to the executable).
 */
export type AddonOrigin = 'build' | 'prebuilds' | 'elsewhere';

export type NativeLoad =
  | { ok: true; addon: NativeAddon; path: string; origin: AddonOrigin }
  | { ok: false; error: string };

/** What to do about a missing addon, for `doctor`: the file tier never needs it. */
export const ADDON_MISSING_HINT =
  'the encrypted-file tier works without it; the hardware tiers need it. The package ships ' +
  'prebuilds for linux-x64, linux-arm64 (glibc), win32-x64, darwin-x64 and darwin-arm64 and has ' +
  'no install script; elsewhere build it from source with `npm explore device-keystore -- npm ' +
  'run build:addon` (needs a C++ toolchain and Python; a command you run, so no npm ' +
  'allow-scripts policy blocks it). `npm rebuild` does not build it (docs/packaging.md)';

/** The addon as `doctor` reports it: where it was loaded from, or why it was not. */
export interface AddonSummary {
  loaded: boolean;
  path?: string;
  origin?: AddonOrigin;
  error?: string;
  hint?: string;
}

export function addonSummary(): AddonSummary {
  const native = loadNative();
  return native.ok
    ? { loaded: true, path: native.path, origin: native.origin }
    : { loaded: false, error: native.error, hint: ADDON_MISSING_HINT };
}

function originOf(root: string, file: string): AddonOrigin {
  const rel = path.relative(root, file).split(path.sep);
  if (rel[0] === 'build') return 'build';
  if (rel[0] === 'prebuilds') return 'prebuilds';
  return 'elsewhere';
}

let loaded: NativeLoad | undefined;

export function loadNative(): NativeLoad {
  if (loaded) return loaded;
  const root = path.join(__dirname, '..', '..');
  try {
    // eslint-style dynamic require: node-gyp-build resolves prebuilds/ or build/ at run time.
    const nodeGypBuild = require('node-gyp-build') as ((dir: string) => NativeAddon) & {
      path(dir: string): string;
    };
    const raw = nodeGypBuild(root);
    raw.setErrorClass(KeystoreError);
    const addon: NativeAddon = raw.TpmConnection
      ? { ...raw, TpmConnection: withTpmErrors(raw.TpmConnection) }
      : raw;
    const file = nodeGypBuild.path(root);
    loaded = { ok: true, addon, path: file, origin: originOf(root, file) };
  } catch (err) {
    loaded = { ok: false, error: (err as Error).message.split('\n')[0] ?? String(err) };
  }
  return loaded;
}

/** The addon's TpmConnection, with its raw TSS2_RC failures turned into KeystoreErrors. */
function withTpmErrors(Raw: TpmConnectionClass): TpmConnectionClass {
  return class TpmConnection {
    constructor(tcti: string, ownerAuth?: Buffer) {
      let raw: NativeTpmConnection;
      try {
        raw = new Raw(tcti, ownerAuth);
      } catch (err) {
        throw tpmError(err, tcti);
      }
      return mapRejections(raw, (err) => tpmError(err, tcti));
    }
  } as unknown as TpmConnectionClass;
}

/**
 * The tss2 libraries, loaded on first use. DEVICE_KEYSTORE_TSS2_LIBDIR makes the loader look in
 * one directory only; the tests use it to show what happens on a machine without libtss2.
 */
export function tss2Status(): Tss2Status | { ok: false; error: string; libraries: [] } {
  // tss2 logs every TPM warning to stderr, including the TPM_RC_OBJECT_MEMORY that the addon
  // handles by evicting a key and retrying. Errors reach callers as KeystoreErrors instead, so
  // quiet its log unless the user asked for one (TSS2_LOG is read when tss2 first logs).
  process.env.TSS2_LOG ??= 'all+NONE';
  const native = loadNative();
  if (!native.ok)
    return { ok: false, error: `the native addon did not load: ${native.error}`, libraries: [] };
  if (!native.addon.tss2Status)
    return {
      ok: false,
      error: `the TPM tier is Linux only (this is ${process.platform})`,
      libraries: [],
    };
  return native.addon.tss2Status(process.env.DEVICE_KEYSTORE_TSS2_LIBDIR ?? '');
}
