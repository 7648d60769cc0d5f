import type { Json } from '../store/records';
import type { StorePaths } from '../store/paths';
import type { SecretBytes } from '../crypto/secret-bytes';

/** The tiers, in detection order: the first available one wins. */
export const TIERS = ['secure-enclave', 'keychain', 'tpm2', 'encrypted-file'] as const;
export type TierName = (typeof TIERS)[number];

/** Who can get the private key out: nobody, the OS account owner, or whoever has the passphrase. */
export type Extractable = 'no' | 'os-owner' | 'with-passphrase';

export interface TierGuarantees {
  tier: TierName;
  hardwareBacked: boolean;
  extractable: Extractable;
}

export type ProbeResult =
  | { available: true; detail?: string }
  | { available: false; reason: string };

/** What a backend may use from the store. The store owns the files; backends own the crypto. */
export interface BackendContext {
  paths: StorePaths;
  /** A passphrase handed to `Keystore.open`; the file tier only. Never written to disk. */
  passphrase?: SecretBytes;
  lockTimeoutMs: number;
  /** Called with one-line warnings meant for the user (migrations, downgrades). */
  warn: (message: string) => void;
  /** Called while a slow step (key derivation) runs, so a CLI can show progress. */
  onSlowStep?: (label: string, done: boolean) => void;
  /** TPM transport (TCTI string); the tpm2 tier falls back to DEVICE_KEYSTORE_TCTI, /dev/tpmrm0. */
  tcti?: string;
  /** The TPM owner hierarchy's password, for TPMs that have one. */
  tpmOwnerAuth?: SecretBytes;
}

/** The header of a key record: the fields every tier binds to its key material. */
export interface KeyHeader {
  alias: string;
  tier: TierName;
  algorithm: 'ECDSA-P256';
  /** Uncompressed SEC1 point, 65 bytes. */
  publicKey: Buffer;
  createdAt: string;
}

export interface KeyRecord extends KeyHeader {
  /** Tier-specific material: a wrapped private key, a TPM blob reference, a keychain tag. */
  backendData: { [key: string]: Json };
}

export interface SecretHeader {
  name: string;
  tier: TierName;
  createdAt: string;
}

export interface SecretRecord extends SecretHeader {
  backendData: { [key: string]: Json };
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
  signRaw(data: Uint8Array, prehashed: boolean): Promise<RawSignature>;
  /** ECDH with an already validated uncompressed peer point. Returns the 32-byte x-coordinate. */
  ecdh(peerPoint: Buffer): Promise<Buffer>;
}

export interface GeneratedKey {
  publicKey: Buffer;
  backendData: { [key: string]: Json };
  handle: KeyHandle;
}

export interface Backend extends TierGuarantees {
  generateKey(alias: string, createdAt: string): Promise<GeneratedKey>;
  /** Adopt a key made by another tool, in the tier's own format (TSS2 PEM for tpm2). */
  importKey?(alias: string, material: string | Buffer): Promise<GeneratedKey>;
  loadKey(record: KeyRecord, file: string): Promise<KeyHandle>;
  /** Remove whatever the tier holds outside the key file (a keychain item, a persistent handle). */
  destroyKey(record: KeyRecord): Promise<void>;
  sealSecret(header: SecretHeader, plaintext: Uint8Array): Promise<{ [key: string]: Json }>;
  unsealSecret(record: SecretRecord, file: string): Promise<Buffer>;
  /** The largest secret this tier seals. */
  readonly maxSecretBytes: number;
  warnings(): string[];
  close(): Promise<void>;
}

/** A tier as detection sees it: its guarantees, a probe that tests what works, and a factory. */
export interface TierProvider extends TierGuarantees {
  probe(ctx: BackendContext): Promise<ProbeResult>;
  open(ctx: BackendContext): Promise<Backend>;
}
