import type { Json } from '../core/json-record';
import type { SecretBytes } from '../crypto/secret-bytes';
import type { TpmSrkPin } from '../core/records';
import {
  type SideFile,
  type NewKeyHeader,
  type KeyRecord,
  type SecretRecord,
} from '../core/records';
import { type KeyHandle } from '../core/key-handle';
import { type TierGuarantees, type ProbeResult, type KeyGuarantees } from '../core/tiers';
import { type TpmAttestationKeyFile } from '../core/records';
import { type PromptedPresence } from '../core/tiers';

/**
 * The door every tier plugs in through, shaped like Chromium's unexportable-key provider: a tier
 * generates a key and hands back its public key, its wrapped material and a handle; it loads a
 * handle from wrapped material; it destroys what it holds outside the store. A tier never opens a
 * file of the store: the store reads, writes, checksums, locks and deletes every file, and gives
 * the tier only bytes.
 */

/** The encrypted-file tier's data key, unlocked by the store (which owns the master file). */
export interface UnlockedDataKey {
  dataKeyId: string;
  dataKey: Buffer;
}

/** What a tier may use from the store: settings and callbacks, never a path to write to. */
export interface BackendContext {
  /** The store directory, absolute and with symlinks resolved: for messages and per-store tags. */
  storeDir: string;
  /** Called with one-line warnings meant for the user (migrations, downgrades). */
  warn: (message: string) => void;
  /** TPM transport (TCTI string); the tpm2 tier falls back to DEVICE_KEYSTORE_TCTI, /dev/tpmrm0. */
  tcti?: string;
  /** The TPM owner hierarchy's password, for TPMs that have one. */
  tpmOwnerAuth?: SecretBytes;
  /** The store's pinned TPM storage key Name (src/store/tpm-srk-pin.ts); absent in probes. */
  tpmSrkPin?: TpmSrkPin;
  /** The store's TPM attestation key record (src/store/tpm-attestation-key.ts). */
  tpmAttestationKey?: (algorithm: 'ecc-p256' | 'rsa-2048') => TpmAttestationKeyFile;
  /**
   * The encrypted-file tier's data key. `create` makes the master (and a passphrase) when the
   * store has none; the caller then holds the store lock. `signal` ends the wait for the
   * passphrase derivation early (E_ABORTED).
   */
  unlockDataKey(create: boolean, signal?: AbortSignal): Promise<UnlockedDataKey>;
}

export interface GeneratedKey {
  publicKey: Buffer;
  /** What the store keeps in the key record for the tier. */
  backendData: { [key: string]: Json };
  /** A file the tier's format needs beside the record, e.g. the TSS2 PEM other tools read. */
  sideFile?: SideFile;
  handle: KeyHandle;
}

/** What a caller may say about a key it imports. */
export interface ImportOptions {
  /** The key's authorization value, given by the caller (only empty ones are supported). */
  keyAuth?: Buffer;
}

/** What createKey may ask of a tier beyond a plain key. */
export interface NewKeyOptions {
  /** The key's PIN: tiers with `pinKeys` only. */
  pin?: Buffer;
  /** A prompt at each use: tiers with `promptKeys` only. */
  userPresence?: PromptedPresence;
  /** A certifying key made with `pin`, the PIN of this key: it uses the PIN cached for it. */
  samePinAs?: KeyHandle;
}

/** What the store says about a key it loads. */
export interface LoadKeyOptions {
  /** As NewKeyOptions.samePinAs, for a certifying key loaded for its PIN key. */
  samePinAs?: KeyHandle;
}

export interface Backend extends TierGuarantees {
  generateKey(header: NewKeyHeader, opts?: NewKeyOptions): Promise<GeneratedKey>;
  /** The tier makes keys that need a PIN (createKey's `pin`). */
  readonly pinKeys?: boolean;
  /** The tier makes keys that ask the user at each use (createKey's `userPresence`). */
  readonly promptKeys?: boolean;
  /** Adopt a key made by another tool, in the tier's own format (TSS2 PEM for tpm2). */
  importKey?(
    header: NewKeyHeader,
    material: string | Buffer,
    opts?: ImportOptions,
  ): Promise<GeneratedKey>;
  /** `source` names the record in error messages. */
  loadKey(record: KeyRecord, source: string, opts?: LoadKeyOptions): Promise<KeyHandle>;
  /** Remove whatever the tier holds outside the store (a keychain item). */
  destroyKey(record: KeyRecord): Promise<void>;
  /**
   * Open a secret in the 0.1.0 format (no store id), for the migration that re-seals it. New
   * secrets are sealed by the store, under a key derived through the tier's sealing key
   * (src/rooms/sealing.ts), the same way on every tier.
   */
  unsealLegacySecret(record: SecretRecord, source: string): Promise<Buffer>;
  /** The largest secret this tier seals. */
  readonly maxSecretBytes: number;
  warnings(): string[];
  close(): Promise<void>;
}

/** A tier as detection sees it: its guarantees, a probe that tests what works, and a factory. */
export interface TierProvider extends TierGuarantees {
  probe(ctx: BackendContext): Promise<ProbeResult>;
  open(ctx: BackendContext): Promise<Backend>;
  /**
   * What one key gets, from its record and side file alone (no device call), for a tier whose
   * keys can get less than the tier's guarantees: listKeys and describe report it.
   */
  keyGuarantees?(record: KeyRecord): KeyGuarantees;
}
