/**
 * The key-vault contract: what a framework that keeps identity records needs from a device's
 * key store, as plain TypeScript with no import, so that another implementation (a React Native
 * bridge over the Android Keystore or the iOS Keychain) can implement the same interface.
 * Published on its own: `import type { KeyVault } from 'device-keystore/key-vault-contract'`.
 *
 * Every capability is what the implementation actually provides on this device, never what the
 * platform could provide in the best case. docs/key-vault.md maps the values to
 * react-native-keychain's security levels and to Android Keystore / StrongBox.
 */

/**
 * Where the private keys live, from strongest to weakest:
 * - `secure-element`: a dedicated security processor with its own memory (Apple Secure Enclave;
 *   Android StrongBox). Keys are generated inside and never leave it.
 * - `tpm`: a TPM 2.0 (discrete chip or firmware TPM; this contract does not tell them apart).
 *   Keys are generated inside and leave it only wrapped by a key that never leaves it.
 * - `trusted-environment`: an isolated execution environment of the main processor (Android's
 *   TEE-backed Keystore). Not produced by device-keystore; here for mobile implementations.
 * - `os-software`: software keys the operating system protects for the user account (macOS
 *   login keychain, Windows DPAPI software KSP); the account owner can export them.
 * - `software`: software keys under an application secret (a passphrase); whoever holds the
 *   store and that secret can use and export them.
 */
export type KeyVaultSecurityLevel =
  | 'secure-element'
  | 'tpm'
  | 'trusted-environment'
  | 'os-software'
  | 'software';

/** Whether using a key requires the user to be present (a biometric or PIN check per use). */
export type KeyVaultUserPresence = 'none' | 'per-use';

/**
 * What the vault's protected records are bound to:
 * - `device`: they can be unprotected only on this device (its hardware key) with this store;
 * - `os-account`: only by this OS account's keys (which the account owner could export);
 * - `store-and-secret`: anywhere the store and its passphrase are both present.
 */
export type KeyVaultBinding = 'device' | 'os-account' | 'store-and-secret';

export interface KeyVaultCapabilities {
  /** The implementation's own name for its storage ('tpm2', 'secure-enclave', 'android-strongbox', …). */
  tier: string;
  securityLevel: KeyVaultSecurityLevel;
  /** True only when no one (not the OS account, not a passphrase holder) can export the signing key. */
  nonExportableSigning: boolean;
  /** The same for ECDH key agreement; false when the vault offers no key agreement. */
  nonExportableKeyAgreement: boolean;
  /** Whether key use is gated on the user's presence, as enforced by the key store itself. */
  userPresence: KeyVaultUserPresence;
  /**
   * Whether the implementation can hand out a statement, verifiable by a third party, that the key
   * lives in the claimed hardware. `none` unless it really produces one.
   */
  attestation: 'none' | 'tpm2-certify' | 'android-key-attestation' | 'apple-app-attest';
  recordsBoundTo: KeyVaultBinding;
}

/** The two kinds of record a vault protects; a record protected as one kind never opens as the other. */
export type ProtectedRecordKind = 'identity-record' | 'recovery-envelope';

/** The public parts of the device identity: safe to share, log and send to a server. */
export interface ExportedIdentity {
  name: string;
  /** base64url(SHA-256(SPKI DER of the public key)). */
  deviceId: string;
  tier: string;
  /** SPKI PEM. */
  publicKey: string;
  createdAt: string;
}

/**
 * Error codes a vault's errors carry in `code` (plus `message` and, usually, `hint`):
 * - `E_INVALID_ARGUMENT`: bad input, or a record of another kind or another device;
 * - `E_NOT_INITIALIZED`: the device has no identity yet;
 * - `E_CORRUPT`: a protected record that was changed, or was not protected by this vault;
 * - `E_CLOSED`: the vault's store was closed;
 * anything else is the underlying key store's own code (E_BAD_PASSPHRASE, E_TPM_…).
 */
export type KeyVaultErrorCode =
  | 'E_INVALID_ARGUMENT'
  | 'E_NOT_INITIALIZED'
  | 'E_CORRUPT'
  | 'E_CLOSED';

export interface KeyVault {
  /** What this vault provides on this device, as it really is. */
  capabilities(): Promise<KeyVaultCapabilities>;
  /**
   * Seal a record (an exported identity record, a recovery envelope) to this device and store. The
   * result is text the app may keep anywhere (a file, AsyncStorage, a database); it reveals only
   * its kind, its label and the device id, and opens only through this vault.
   */
  protect(
    kind: ProtectedRecordKind,
    record: Uint8Array | string,
    opts?: { label?: string },
  ): Promise<string>;
  /** The record `protect` sealed, after checking its kind, label, device and integrity. */
  unprotect(
    kind: ProtectedRecordKind,
    protectedRecord: string,
    opts?: { label?: string },
  ): Promise<Uint8Array>;
  /** The identity's public parts only: never a private key or a secret. */
  exportIdentity(): Promise<ExportedIdentity>;
}
