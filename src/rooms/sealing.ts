import { createHash, hkdfSync, randomBytes } from 'node:crypto';
import * as path from 'node:path';
import type { Backend } from '../tiers/tier';
import type { KeyHandle } from '../core/key-handle';
import type { SecretHeader, SecretRecord } from '../core/records';
import type { TierName } from '../core/tiers';
import { corrupt, isKeystoreError } from '../core/errors';
import { aesGcmOpen, aesGcmSeal } from '../crypto/aead';
import { parsePeerPublicKey } from '../crypto/p256';
import { abortable } from '../core/abort';
import {
  STORE_ID_RE,
  checkStoreBinding,
  listRecordNames,
  readKeyRecord,
  readSecretRecord,
  readSideFile,
  sideFilePath,
  writeKeyRecord,
  writeSecretRecord,
  type StoredKeyRecord,
} from '../store/key-records';
import { secretAad } from '../core/aad';
import { RecordReader, type Json } from '../core/json-record';
import { sealingFile, secretFile, type StorePaths } from '../store/paths';

/**
 * Sealed secrets, the same way on every tier: a secret that unseals was sealed by someone able to
 * use this store's sealing key in its tier.
 *
 * Each store has one sealing key per tier, an ordinary P-256 key of that tier kept in
 * `sealing/<tier>.json` (a TPM key, a Secure Enclave or keychain key, or a software key wrapped
 * by the file tier's data key). It is never handed to callers. A secret gets its own AES-256-GCM
 * key:
 *
 *   point  = a P-256 point derived from SHA-256(label, store id, tier, salt) by try-and-increment,
 *            so nobody knows its discrete logarithm
 *   shared = ECDH(sealing key, point)   (inside the TPM / Secure Enclave / keychain / software)
 *   key    = HKDF-SHA256(shared, salt, scheme ‖ store id ‖ tier ‖ sealing key id)
 *
 * Computing `shared` takes the sealing key's private half: with only its public key Q, one
 * would need x(d·P) for a P whose logarithm is unknown, which is the computational
 * Diffie-Hellman problem. ECIES to Q, which 0.1.0 used on macOS, needs no private key at all,
 * which is why anyone who could write the store could forge a secret there. The salt is random
 * per secret, so no long-lived symmetric key is ever held in memory: every seal and unseal uses
 * the tier (one ECDH), and the derived key is wiped after use.
 */

export const SEALING_SCHEME = 'device-keystore/sealing/ecdh-hkdf-sha256-a256gcm/v1';
const POINT_LABEL = 'device-keystore/sealing-point/v1';
const SALT_BYTES = 16;
const KEY_ID_RE = /^[A-Za-z0-9_-]{22}$/;

/** What sealing needs from the store: its files and its tiers. */
export interface SealingHost {
  paths: StorePaths;
  backend(tier: TierName): Promise<Backend>;
  warn(message: string): void;
  /** Told of each file a new sealing key brings (see StoreContext.createdProvisionally). */
  created?(file: string): void;
}

interface SealingKey {
  /** base64url of the first 16 bytes of SHA-256 over the public key: names it in records. */
  id: string;
  handle: KeyHandle;
}

export function sealingKeyIdOf(publicKey: Buffer): string {
  return createHash('sha256').update(publicKey).digest().subarray(0, 16).toString('base64url');
}

/**
 * A point nobody knows the discrete logarithm of: x = SHA-256(label, store id, tier, salt,
 * counter), the first that is on the curve, with even y. About two tries on average.
 */
export function sealingPoint(storeId: string, tier: TierName, salt: Buffer): Buffer {
  for (let counter = 0; counter < 256; counter++) {
    const x = createHash('sha256')
      .update(`${POINT_LABEL}\0${storeId}\0${tier}\0`)
      .update(salt)
      .update(Buffer.of(counter))
      .digest();
    try {
      return parsePeerPublicKey(Buffer.concat([Buffer.of(0x02), x]), 'sealing point');
    } catch {
      // x is not on the curve (or not below p): try the next counter.
    }
  }
  throw new Error('internal: no sealing point in 256 tries'); // probability 2^-256
}

/** The per-secret key from the ECDH output; `shared` is the caller's to wipe. */
export function secretKeyFrom(
  shared: Buffer,
  salt: Buffer,
  storeId: string,
  tier: TierName,
  sealingKeyId: string,
): Buffer {
  const info = `${SEALING_SCHEME}\0${storeId}\0${tier}\0${sealingKeyId}`;
  return Buffer.from(hkdfSync('sha256', shared, salt, info, 32));
}

/** ECDH through the tier, then HKDF; the shared secret is wiped whatever happens. */
export async function deriveSecretKey(
  handle: KeyHandle,
  sealingKeyId: string,
  storeId: string,
  tier: TierName,
  salt: Buffer,
): Promise<Buffer> {
  const shared = await handle.ecdh(sealingPoint(storeId, tier, salt));
  try {
    return secretKeyFrom(shared, salt, storeId, tier, sealingKeyId);
  } finally {
    shared.fill(0);
  }
}

function aadOf(header: SecretHeader, sealingKeyId: string): Buffer {
  return secretAad(header, { scheme: SEALING_SCHEME, sealingKeyId });
}

/** The store's sealing keys, one per tier, loaded (or made, under the lock) on first use. */
export class SealingKeys {
  readonly #host: SealingHost;
  readonly #cache = new Map<string, Promise<SealingKey>>();

  constructor(host: SealingHost) {
    this.#host = host;
  }

  /** `create`: the caller holds the store lock, and a missing key is made. */
  get(tier: TierName, storeId: string, create: boolean): Promise<SealingKey> {
    const k = `${tier}\0${storeId}`;
    let key = this.#cache.get(k);
    if (!key) {
      key = this.#open(tier, storeId, create);
      this.#cache.set(k, key);
      key.catch(() => this.#cache.delete(k));
    }
    return key;
  }

  forgetAll(): void {
    this.#cache.clear();
  }

  async #open(tier: TierName, storeId: string, create: boolean): Promise<SealingKey> {
    const { paths } = this.#host;
    const file = sealingFile(paths, tier);
    const backend = await this.#host.backend(tier);
    let stored: StoredKeyRecord | undefined;
    try {
      stored = await readKeyRecord(file, tier);
    } catch (err) {
      if ((err as { code?: string }).code !== 'E_NOT_FOUND') throw err;
      if (!create) {
        throw corrupt(
          file,
          `the ${tier} sealing key is missing, so no secret sealed in that tier can be unsealed`,
        );
      }
    }
    if (stored) {
      if (stored.storeId === undefined || stored.tier !== tier)
        throw corrupt(file, 'it is not a sealing key of this store');
      checkStoreBinding(file, stored.storeId, storeId, paths.storeFile);
      const record = await readSideFile(file, stored);
      return {
        id: sealingKeyIdOf(record.publicKey),
        handle: await backend.loadKey(record, file),
      };
    }
    const header = {
      alias: tier,
      tier,
      algorithm: 'ECDSA-P256' as const,
      createdAt: new Date().toISOString(),
      storeId,
    };
    const generated = await backend.generateKey(header);
    await writeKeyRecord(file, {
      ...header,
      publicKey: generated.publicKey,
      backendData: generated.backendData,
      ...(generated.sideFile ? { sideFile: generated.sideFile } : {}),
    });
    if (generated.sideFile)
      this.#host.created?.(sideFilePath(path.dirname(file), tier, generated.sideFile.suffix));
    this.#host.created?.(file);
    return { id: sealingKeyIdOf(generated.publicKey), handle: generated.handle };
  }
}

/** Seal `value` for `header` (which names the store); the caller holds the store lock. */
export async function sealSecret(
  keys: SealingKeys,
  header: SecretHeader & { storeId: string },
  value: Uint8Array,
): Promise<{ [key: string]: Json }> {
  const sealing = await keys.get(header.tier, header.storeId, true);
  const salt = randomBytes(SALT_BYTES);
  const key = await deriveSecretKey(sealing.handle, sealing.id, header.storeId, header.tier, salt);
  try {
    const box = aesGcmSeal(key, value, aadOf(header, sealing.id));
    return {
      scheme: SEALING_SCHEME,
      sealingKeyId: sealing.id,
      salt: salt.toString('base64url'),
      alg: 'A256GCM',
      iv: box.iv.toString('base64url'),
      ciphertext: box.ciphertext.toString('base64url'),
      tag: box.tag.toString('base64url'),
    };
  } finally {
    key.fill(0);
  }
}

/** Unseal a secret that checkStoreBinding has found bound to `storeId`. */
export async function unsealSecret(
  keys: SealingKeys,
  record: SecretRecord,
  file: string,
  storeId: string,
  signal?: AbortSignal,
): Promise<Buffer> {
  const r = new RecordReader(file, record.backendData);
  r.literal('scheme', SEALING_SCHEME);
  r.literal('alg', 'A256GCM');
  const sealingKeyId = r.string('sealingKeyId', KEY_ID_RE);
  const salt = r.bytes('salt', SALT_BYTES);
  const box = { iv: r.bytes('iv', 12), ciphertext: r.bytes('ciphertext'), tag: r.bytes('tag', 16) };
  const sealing = await abortable(keys.get(record.tier, storeId, false), signal);
  if (sealing.id !== sealingKeyId) {
    throw corrupt(
      file,
      `it was sealed under sealing key ${sealingKeyId}, not under this store's ${record.tier} sealing key ${sealing.id}`,
    );
  }
  const key = await deriveSecretKey(sealing.handle, sealing.id, storeId, record.tier, salt);
  try {
    const value = aesGcmOpen(key, box, aadOf(record, sealingKeyId));
    if (!value)
      throw corrupt(file, 'authentication failed (the file was modified, or not sealed here)');
    return value;
  } finally {
    key.fill(0);
  }
}

/**
 * The 0.1.0 migration, run under the store lock by ensureStoreId with the new id: every secret
 * without a store id is opened by its tier's 0.1.0 code and sealed again, bound to the id.
 * Idempotent: a secret already bound to the id is skipped, so a crashed migration resumes.
 */
export async function migrateLegacySecrets(
  host: SealingHost,
  keys: SealingKeys,
  storeId: string,
): Promise<void> {
  if (!STORE_ID_RE.test(storeId)) throw new Error('internal: bad store id');
  let migrated = 0;
  for (const name of await listRecordNames(host.paths.secretsDir)) {
    const file = secretFile(host.paths, name);
    let record: SecretRecord;
    let value: Buffer;
    try {
      record = await readSecretRecord(file, name);
      if (record.storeId !== undefined) {
        checkStoreBinding(file, record.storeId, storeId, host.paths.storeFile);
        continue;
      }
      value = await (await host.backend(record.tier)).unsealLegacySecret(record, file);
    } catch (err) {
      // A damaged file must not keep the store from ever being written again: it is left as it
      // is, and refused when read. Any other failure (a tier that is unavailable) stops here.
      if (!isKeystoreError(err, 'E_CORRUPT')) throw err;
      host.warn(`left ${file} as it is, not migrated: ${err.message}`);
      continue;
    }
    try {
      const header = { name, tier: record.tier, createdAt: record.createdAt, storeId };
      await writeSecretRecord(file, {
        ...header,
        backendData: await sealSecret(keys, header, value),
      });
    } finally {
      value.fill(0);
    }
    migrated++;
  }
  if (migrated > 0) {
    host.warn(
      `re-sealed ${migrated} secret(s) from the 0.1.0 format under this store's sealing keys; ` +
        'secrets in the 0.1.0 format are no longer accepted here',
    );
  }
}
