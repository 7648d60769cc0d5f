import { loadNative, type NativeLoad } from './load';
import { withNcryptErrors } from './ncrypt-status';

/** The addon's Windows face (native/windows/): its NCrypt and TBS exports, typed, and whether this process has them. */

export type NcryptKind = 'platform' | 'software';

/** An opaque handle to an NCRYPT_KEY_HANDLE inside the addon. */
export type NativeNcryptKeyRef = object;

export interface NativeNcryptKey extends NcryptKeyReport {
  key: NativeNcryptKeyRef;
  /** Keys made without a name: the BCRYPT_OPAQUE_KEY_BLOB. */
  blob?: Buffer;
}

/**
 * How a new key is let both sign and agree: NCRYPT_KEY_USAGE_PROPERTY = signing | key agreement,
 * or the PCP's NCRYPT_PCP_KEY_USAGE_POLICY_PROPERTY = NCRYPT_PCP_GENERIC_KEY.
 */
export type NcryptUsagePolicy = 'key-usage' | 'pcp-generic';

/**
 * What createKey sets: a usage policy above, for general keys, or its sign-only counterpart for
 * certifying keys: NCRYPT_KEY_USAGE_PROPERTY = NCRYPT_ALLOW_SIGNING_FLAG ('sign-only'), or
 * NCRYPT_PCP_KEY_USAGE_POLICY_PROPERTY = NCRYPT_PCP_SIGNATURE_KEY ('pcp-signature').
 */
export type NcryptCreateUsage = NcryptUsagePolicy | 'sign-only' | 'pcp-signature';

export interface TpmDeviceInfo {
  structVersion: number;
  /** 1: TPM 1.2, 2: TPM 2.0 (TPM_VERSION_*). */
  tpmVersion: number;
  /** TPM_IFTYPE_*. */
  interfaceType: number;
  implementationRevision: number;
}

/** One provider, one worker thread; see native/windows/ncrypt_binding.cc. */
export interface NativeNcryptProvider {
  /** `pin` (UTF-8): NCRYPT_PIN_PROPERTY, set before the key is finalized. */
  createKey(name?: string, usage?: NcryptCreateUsage, pin?: Buffer): Promise<NativeNcryptKey>;
  importKey(blob: Buffer): Promise<NativeNcryptKey>;
  openKey(name: string): Promise<NativeNcryptKey>;
  /** `pin`: set as NCRYPT_PIN_PROPERTY on the handle first (src/tiers/windows/pcp-pin.ts). */
  sign(key: NativeNcryptKeyRef, digest: Buffer, pin?: Buffer): Promise<Buffer>;
  ecdh(key: NativeNcryptKeyRef, peerPoint: Buffer, pin?: Buffer): Promise<Buffer>;
  deleteKey(key: NativeNcryptKeyRef): Promise<void>;
  /** Frees the handle and deletes nothing: for keys without a name, which nobody keeps. */
  releaseKey(key: NativeNcryptKeyRef): Promise<void>;
  tpmInfo(): Promise<TpmDeviceInfo>;
  close(): Promise<void>;
}

interface NcryptAddonExports {
  NcryptProvider?: new (kind: NcryptKind) => NativeNcryptProvider;
  wineVersion?: string;
}

export type NcryptSupport =
  | { ok: true; open: (kind: NcryptKind) => NativeNcryptProvider; wineVersion?: string }
  | { ok: false; reason: string };

/** Whether this process can use the NCrypt tiers at all, and if not, the honest reason. */
export function ncryptSupport(
  platform: NodeJS.Platform = process.platform,
  load: () => NativeLoad = loadNative,
): NcryptSupport {
  if (platform !== 'win32') return { ok: false, reason: `Windows only (this is ${platform})` };
  const native = load();
  if (!native.ok) return { ok: false, reason: `the native addon did not load: ${native.error}` };
  const addon = native.addon as typeof native.addon & NcryptAddonExports;
  const Provider = addon.NcryptProvider;
  if (!Provider) return { ok: false, reason: 'not built into this addon' };
  return {
    ok: true,
    open: (kind) => withNcryptErrors(new Provider(kind)),
    ...(addon.wineVersion ? { wineVersion: addon.wineVersion } : {}),
  };
}

export interface NcryptKeyReport {
  publicBlob: Buffer;
  curveName?: string;
  algorithm?: string;
  /** NCRYPT_KEY_USAGE_PROPERTY, read back from the key. */
  usage?: number;
  /** NCRYPT_PCP_KEY_USAGE_POLICY_PROPERTY, read back from the key (the PCP only). */
  pcpUsagePolicy?: number;
  /** NCRYPT_NAME_PROPERTY, read back from the key. */
  name?: string;
}
