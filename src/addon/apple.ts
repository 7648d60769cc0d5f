import { KeystoreError } from '../core/errors';
import { loadNative, type NativeLoad } from './load';
import { withMacErrors } from './osstatus';
import { type PromptedPresence } from '../core/tiers';

/** The addon's macOS face (native/macos/): what it exports, typed, and whether this process has it. */

export type MacKeyKind = 'se-blob' | 'se-keychain' | 'keychain';

export interface NativeKeySpec {
  kind: MacKeyKind;
  /** kSecAttrApplicationTag, for the permanent kinds. */
  tag?: Buffer;
  label?: string;
  afterFirstUnlock?: boolean;
  accessGroup?: string;
  /** Secure Enclave kinds: the SecAccessControl prompt at each use (native/macos/mac_keys.cc). */
  userPresence?: PromptedPresence;
}

/** An opaque handle to a SecKeyRef inside the addon. */
export type NativeKeyRef = object;

export interface NativeMacKey {
  key: NativeKeyRef;
  /** 65-byte X9.63 public key, from SecKeyCopyExternalRepresentation. */
  publicKey: Buffer;
  /** se-blob keys: the SE-wrapped private key ("toid"). */
  blob?: Buffer;
  /** findKeys: the item's kSecAttrApplicationTag, read back from the keychain. */
  tag?: Buffer;
}

export interface NativeProbe {
  ok: boolean;
  error?: KeystoreError;
}

/**
 * kSecKeyAlgorithmECDHKeyExchangeStandard or …Cofactor. For P-256 (cofactor 1) both give the
 * same x-coordinate; which one a Secure Enclave key takes is what its probe checks.
 */
export type MacEcdhAlgorithm = 'standard' | 'cofactor';

/** One worker thread and its calls; see native/macos/mac_binding.cc. */
export interface NativeMacSecurity {
  hostInfo(): Promise<{ entitled: boolean; accessGroups: string[] }>;
  probeKeychain(): Promise<NativeProbe>;
  createKey(spec: NativeKeySpec): Promise<NativeMacKey>;
  rebuildKey(blob: Buffer): Promise<NativeMacKey>;
  findKeys(spec: NativeKeySpec): Promise<NativeMacKey[]>;
  deleteKeys(spec: NativeKeySpec): Promise<number>;
  sign(key: NativeKeyRef, data: Buffer, prehashed: boolean): Promise<Buffer>;
  ecdh(key: NativeKeyRef, peerPoint: Buffer, algorithm?: MacEcdhAlgorithm): Promise<Buffer>;
  encryptTo(publicKey: Buffer, plaintext: Buffer): Promise<Buffer>;
  decrypt(key: NativeKeyRef, ciphertext: Buffer): Promise<Buffer>;
  close(): Promise<void>;
}

interface MacAddonExports {
  macosBuiltIn?: boolean;
  MacSecurity?: new () => NativeMacSecurity;
}

export type MacSupport =
  | { ok: true; open: () => NativeMacSecurity }
  | { ok: false; reason: string };

/** Whether this process can use the macOS tiers at all, and if not, the honest reason. */
export function macosSupport(
  platform: NodeJS.Platform = process.platform,
  load: () => NativeLoad = loadNative,
): MacSupport {
  if (platform !== 'darwin') return { ok: false, reason: `macOS only (this is ${platform})` };
  const native = load();
  if (!native.ok) return { ok: false, reason: `the native addon did not load: ${native.error}` };
  const addon = native.addon as typeof native.addon & MacAddonExports;
  const MacSecurity = addon.MacSecurity;
  if (!addon.macosBuiltIn || !MacSecurity) {
    return { ok: false, reason: 'not built into this addon' };
  }
  return { ok: true, open: () => withMacErrors(new MacSecurity()) };
}
