import type { Json } from '../store/records';
import type { SecretBytes } from '../crypto/secret-bytes';
import type { TpmSrkPin } from '../store/tpm-srk-pin';

/**
 * The door every tier plugs in through, shaped like Chromium's unexportable-key provider: a tier
 * generates a key and hands back its public key, its wrapped material and a handle; it loads a
 * handle from wrapped material; it destroys what it holds outside the store. A tier never opens a
 * file of the store: the store reads, writes, checksums, locks and deletes every file, and gives
 * the tier only bytes.
 */

/** The tiers, in detection order: the first available one wins. */
export const TIERS = [
  'secure-enclave',
  'keychain',
  'tpm2',
  'windows-tpm',
  'windows-ksp',
  'encrypted-file',
] as const;
export type TierName = (typeof TIERS)[number];

/**
 * Who can get the private key out: nobody, the OS account owner, or whoever has the files and
 * the passphrase; 'unknown' for a key whose own material says it was made, or can be copied,
 * outside its tier's hardware (a tier never claims it for all its keys). Named so that no one
 * tests it for truth; `extractable` is the boolean.
 */
export type ExtractableBy = 'nobody' | 'os-account-owner' | 'passphrase-holder' | 'unknown';

/**
 * What a key needs besides the process's access to it: 'pin' for a tpm2 or windows-tpm key made
 * with one (the caller supplies it); 'biometry' or 'biometry-or-passcode' for a Secure Enclave
 * key made with createKey's userPresence (macOS asks the user at each use).
 */
export type UserPresence = 'pin' | PromptedPresence | 'none';

/** What macOS asks of the user at each use of a key made with createKey's userPresence. */
export type PromptedPresence = 'biometry' | 'biometry-or-passcode';

/** What a key gets: its tier's guarantees, or less when its own material says so. */
export interface KeyGuarantees {
  hardwareBacked: boolean;
  extractableBy: ExtractableBy;
  /** Absent: 'none'. */
  userPresence?: UserPresence;
}

export interface TierGuarantees extends KeyGuarantees {
  tier: TierName;
  /** A tier knows who can extract its keys. */
  extractableBy: Exclude<ExtractableBy, 'unknown'>;
}

/** What the API reports about a key or a store: `extractable` true when anyone can get it out. */
export interface Extractability {
  extractable: boolean;
  extractableBy: ExtractableBy;
}

export function extractabilityOf(g: { extractableBy: ExtractableBy }): Extractability {
  return { extractable: g.extractableBy !== 'nobody', extractableBy: g.extractableBy };
}

export type ProbeResult =
  | { available: true; detail?: string }
  | { available: false; reason: string };

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
  /**
   * The encrypted-file tier's data key. `create` makes the master (and a passphrase) when the
   * store has none; the caller then holds the store lock. `signal` ends the wait for the
   * passphrase derivation early (E_ABORTED).
   */
  unlockDataKey(create: boolean, signal?: AbortSignal): Promise<UnlockedDataKey>;
}

/** Files a tier may ask the store to keep beside a key record, for other tools to read. */
export const SIDE_FILE_SUFFIXES = ['.tss2.pem'] as const;
export type SideFileSuffix = (typeof SIDE_FILE_SUFFIXES)[number];

/** A file beside a key record (`<alias><suffix>`, mode 0600), checksummed by the record. */
export interface SideFile {
  suffix: SideFileSuffix;
  bytes: Buffer;
}

/**
 * What a key may do, fixed when it is made: 'general' keys sign what callers give them and do
 * ECDH; 'certify' keys sign only structures the library builds (device and session
 * certificates). Records of general keys leave the field out, as every record before it did.
 */
export type KeyUsage = 'general' | 'certify';

/** The fields every key record carries, and every tier binds to its key material. */
export interface KeyHeader {
  /**
   * Absent for general keys. A tier binds it to the key's material (the file tier through the
   * AAD, tpm2 through the key's public area), so editing a record cannot change it.
   */
  usage?: 'certify';
  alias: string;
  tier: TierName;
  algorithm: 'ECDSA-P256';
  /** Uncompressed SEC1 point, 65 bytes. */
  publicKey: Buffer;
  createdAt: string;
  /**
   * The id of the store the record belongs to (store.json), bound into the record's AAD.
   * Absent only in records written before store ids existed (0.1.0 format).
   */
  storeId?: string;
}

/** What the store knows when it asks a tier for a new key: the header without the public key. */
export type NewKeyHeader = Omit<KeyHeader, 'publicKey'>;

/** A key record as the store hands it to its tier, with the side file's bytes already read. */
export interface KeyRecord extends KeyHeader {
  /** Tier material: a wrapped private key, a keychain tag, a Secure Enclave blob. */
  backendData: { [key: string]: Json };
  sideFile?: SideFile;
}

export interface SecretHeader {
  name: string;
  tier: TierName;
  createdAt: string;
  /** As in KeyHeader; absent only in 0.1.0-format secrets, which only the migration reads. */
  storeId?: string;
}

export interface SecretRecord extends SecretHeader {
  backendData: { [key: string]: Json };
}

/** A key's PIN for one operation (UTF-8 bytes, checked by src/backends/pin.ts). */
export interface KeyAuth {
  pin?: Buffer;
}

export interface RawSignature {
  encoding: 'der' | 'p1363';
  bytes: Buffer;
}

/** A loaded private key. It never exposes private material; only these operations. */
export interface KeyHandle {
  /**
   * ECDSA-SHA256, in whichever encoding the tier produces natively; the caller checks it
   * strictly, normalises S and re-encodes (finishSignature).
   */
  signRaw(data: Uint8Array, prehashed: boolean, auth?: KeyAuth): Promise<RawSignature>;
  /** ECDH with an already validated uncompressed peer point. Returns the 32-byte x-coordinate. */
  ecdh(peerPoint: Buffer, auth?: KeyAuth): Promise<Buffer>;
  /** 'pin' when the key needs a PIN; 'biometry'… when macOS asks the user; absent: 'none'. */
  readonly userPresence?: UserPresence;
  /** Keep `pin` in process memory for `ms` (the tier wipes it then, and on close). */
  cachePin?(pin: Buffer, ms: number): void;
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
  loadKey(record: KeyRecord, source: string): Promise<KeyHandle>;
  /** Remove whatever the tier holds outside the store (a keychain item). */
  destroyKey(record: KeyRecord): Promise<void>;
  /**
   * Open a secret in the 0.1.0 format (no store id), for the migration that re-seals it. New
   * secrets are sealed by the store, under a key derived through the tier's sealing key
   * (src/store/sealing.ts), the same way on every tier.
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
