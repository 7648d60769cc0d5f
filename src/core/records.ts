import type { Json } from './json-record';
import type { TierName } from './tiers';

/** The records the store keeps and tiers read: key and secret headers, side files. */

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

/** The store's pinned TPM storage key Name (src/store/tpm-srk-pin.ts keeps the file). */
export interface TpmSrkPin {
  /** The pinned Name (34 bytes), or undefined when the store has none yet. */
  read(): Promise<Buffer | undefined>;
  /** Record `name`; returns what the file holds afterwards (another process may have won). */
  record(name: Buffer): Promise<Buffer>;
}

/** The store's TPM attestation key record (src/store/tpm-attestation-key.ts keeps the file). */
export interface StoredAttestationKey {
  parent: number;
  publicBlob: Buffer;
  privateBlob: Buffer;
  /** 0x000B ‖ SHA-256(TPMT_PUBLIC), what MakeCredential binds the credential to. */
  name: Buffer;
  createdAt: string;
}

export interface TpmAttestationKeyFile {
  /** For messages. */
  path: string;
  read(): Promise<StoredAttestationKey | undefined>;
  /** Records `ak` unless the store has one already; returns the store's AK either way. */
  record(ak: Omit<StoredAttestationKey, 'createdAt'>): Promise<StoredAttestationKey>;
}
