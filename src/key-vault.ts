import { hkdfSync, randomBytes } from 'node:crypto';
import type { TierName } from './core/tiers';
import { aesGcmOpen, aesGcmSeal } from './crypto/aead';
import { canonicalJson } from './core/json-record';
import { sealingPoint } from './rooms/sealing';
import { KeystoreError, invalidArgument, isKeystoreError, received } from './core/errors';
import type { DeviceKey } from './device-key';
import type { Keystore } from './keystore';
import type {
  ExportedIdentity,
  KeyVault,
  KeyVaultCapabilities,
  KeyVaultSecurityLevel,
  ProtectedRecordKind,
} from './key-vault-contract';

/**
 * The key-vault contract (key-vault-contract.ts) over a Keystore.
 *
 * Records are sealed with a key of their own, `key-vault`, made in the store's tier on first use
 * (creation is exclusive, so two processes end with one key). Each record gets a random salt;
 * its AES-256-GCM key is HKDF(ECDH(vault key, P), salt, scheme ‖ device id ‖ kind ‖ label), where
 * P is a point derived from the salt whose discrete logarithm nobody knows (as for sealed secrets,
 * store/sealing.ts): computing it takes the vault key's private half, inside the TPM or Secure
 * Enclave where the tier has one. The header (scheme, kind, label, device id, salt) is the AAD.
 */
const SCHEME = 'device-keystore/key-vault/ecdh-hkdf-sha256-a256gcm/v1';
const VAULT_ALIAS = 'key-vault';
const KINDS: readonly ProtectedRecordKind[] = ['identity-record', 'recovery-envelope'];
const MAX_RECORD_BYTES = 1024 * 1024;
const LABEL_RE = /^[\x20-\x7e]{0,128}$/;

const LEVEL: Record<TierName, KeyVaultSecurityLevel> = {
  'secure-enclave': 'secure-element',
  tpm2: 'tpm',
  'windows-tpm': 'tpm',
  keychain: 'os-software',
  'windows-ksp': 'os-software',
  'encrypted-file': 'software',
};

interface Header {
  scheme: string;
  kind: ProtectedRecordKind;
  label: string;
  deviceId: string;
  salt: string;
}

function checkKind(kind: unknown): ProtectedRecordKind {
  if (!KINDS.includes(kind as ProtectedRecordKind)) {
    throw invalidArgument(
      `kind must be ${KINDS.join(' or ')}, not ${typeof kind === 'string' ? JSON.stringify(kind.slice(0, 40)) : received(kind)}`,
    );
  }
  return kind as ProtectedRecordKind;
}

function checkLabel(opts: { label?: string } | undefined): string {
  const label = opts?.label ?? '';
  if (typeof label !== 'string' || !LABEL_RE.test(label)) {
    throw invalidArgument('label must be printable ASCII, at most 128 characters');
  }
  return label;
}

function recordBytes(record: unknown): Buffer {
  if (typeof record === 'string') return Buffer.from(record, 'utf8');
  if (record instanceof Uint8Array) return Buffer.from(record);
  throw invalidArgument(`the record must be a string or a Uint8Array (${received(record)})`);
}

class DeviceKeyVault implements KeyVault {
  readonly #ks: Keystore;

  constructor(ks: Keystore) {
    this.#ks = ks;
  }

  async capabilities(): Promise<KeyVaultCapabilities> {
    const d = await this.#ks.describe();
    // The records' key is the vault key when it exists, else the one the next protect() makes.
    const key = d.keys.find((k) => k.alias === VAULT_ALIAS);
    const tier = key?.tier ?? d.tier;
    const extractableBy = key?.extractableBy ?? d.extractableBy;
    const hardware = key?.hardwareBacked ?? d.hardwareBacked;
    const nonExportable = extractableBy === 'nobody';
    return {
      tier,
      // A key that is not what its tier promises (an imported one) gets the level it really has.
      securityLevel: hardware
        ? LEVEL[tier]
        : tier === 'encrypted-file'
          ? 'software'
          : 'os-software',
      nonExportableSigning: nonExportable,
      nonExportableKeyAgreement: nonExportable,
      // No tier of this release gates key use on a biometric or PIN check.
      userPresence: 'none',
      // This release hands out no attestation statement for its keys.
      attestation: 'none',
      recordsBoundTo: nonExportable
        ? 'device'
        : tier === 'encrypted-file'
          ? 'store-and-secret'
          : 'os-account',
    };
  }

  async exportIdentity(): Promise<ExportedIdentity> {
    const id = (await this.#ks.exportIdentity()).toJSON();
    return {
      name: id.name,
      deviceId: id.deviceId,
      tier: id.tier,
      publicKey: id.publicKey,
      createdAt: id.createdAt,
    };
  }

  async protect(
    kind: ProtectedRecordKind,
    record: Uint8Array | string,
    opts?: { label?: string },
  ): Promise<string> {
    const header: Header = {
      scheme: SCHEME,
      kind: checkKind(kind),
      label: checkLabel(opts),
      deviceId: (await this.#ks.identity()).deviceId,
      salt: randomBytes(16).toString('base64url'),
    };
    const plain = recordBytes(record);
    try {
      if (plain.length > MAX_RECORD_BYTES) {
        throw invalidArgument(`the record is ${plain.length} bytes; at most ${MAX_RECORD_BYTES}`);
      }
      const key = await this.#recordKey(await this.#vaultKey(true), header);
      try {
        const box = aesGcmSeal(key, plain, Buffer.from(canonicalJson({ ...header })));
        const body = {
          ...header,
          iv: box.iv.toString('base64url'),
          ciphertext: box.ciphertext.toString('base64url'),
          tag: box.tag.toString('base64url'),
        };
        return Buffer.from(JSON.stringify(body)).toString('base64url');
      } finally {
        key.fill(0);
      }
    } finally {
      plain.fill(0);
    }
  }

  async unprotect(
    kind: ProtectedRecordKind,
    protectedRecord: string,
    opts?: { label?: string },
  ): Promise<Buffer> {
    const want = checkKind(kind);
    const label = checkLabel(opts);
    if (typeof protectedRecord !== 'string')
      throw invalidArgument(`the protected record must be a string (${received(protectedRecord)})`);
    const body = parseProtected(protectedRecord);
    if (body.kind !== want)
      throw invalidArgument(`this is a protected ${body.kind}, not a ${want}`);
    if (body.label !== label)
      throw invalidArgument(
        `this record was protected with label ${JSON.stringify(body.label)}, not ${JSON.stringify(label)}`,
      );
    const deviceId = (await this.#ks.identity()).deviceId;
    if (body.deviceId !== deviceId) {
      throw invalidArgument(
        `this record was protected by device ${body.deviceId}, not by this one (${deviceId})`,
        'unprotect it on the device that protected it: protected records do not move between devices',
      );
    }
    const header: Header = {
      scheme: SCHEME,
      kind: body.kind,
      label: body.label,
      deviceId: body.deviceId,
      salt: body.salt,
    };
    const vault = await this.#vaultKey(false);
    const key = await this.#recordKey(vault, header);
    try {
      const plain = aesGcmOpen(
        key,
        { iv: body.iv, ciphertext: body.ciphertext, tag: body.tag },
        Buffer.from(canonicalJson({ ...header })),
      );
      if (!plain) throw notOurs();
      return plain;
    } finally {
      key.fill(0);
    }
  }

  async #vaultKey(create: boolean): Promise<DeviceKey> {
    try {
      return await this.#ks.getKey(VAULT_ALIAS);
    } catch (err) {
      if (!isKeystoreError(err, 'E_NOT_FOUND')) throw err;
      if (!create) throw notOurs();
    }
    try {
      return await this.#ks.createKey(VAULT_ALIAS);
    } catch (err) {
      // Another process made it first: use that one.
      if (isKeystoreError(err, 'E_EXISTS')) return this.#ks.getKey(VAULT_ALIAS);
      throw err;
    }
  }

  async #recordKey(vault: DeviceKey, h: Header): Promise<Buffer> {
    const salt = Buffer.from(h.salt, 'base64url');
    const shared = await vault.ecdh(sealingPoint(`key-vault\0${h.deviceId}`, vault.tier, salt));
    try {
      const info = `${SCHEME}\0${h.deviceId}\0${h.kind}\0${h.label}`;
      return Buffer.from(hkdfSync('sha256', shared, salt, info, 32));
    } finally {
      shared.fill(0);
    }
  }
}

function notOurs(): KeystoreError {
  return new KeystoreError(
    'E_CORRUPT',
    'the protected record does not open with this vault: it was changed, or another store protected it',
    {
      hint: 'unprotect it with the store that protected it; a changed record cannot be recovered',
    },
  );
}

interface ProtectedBody extends Omit<Header, 'scheme'> {
  iv: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

function parseProtected(text: string): ProtectedBody {
  const bad = (why: string) =>
    new KeystoreError('E_CORRUPT', `not a protected record: ${why}`, {
      hint: 'pass the text protect() returned, unchanged',
    });
  if (!/^[A-Za-z0-9_-]{1,2000000}$/.test(text)) throw bad('not base64url text');
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    throw bad('not JSON inside');
  }
  if (!o || typeof o !== 'object' || o.scheme !== SCHEME) throw bad('unknown scheme');
  const b64 = (k: string, len?: number): Buffer => {
    const v = o[k];
    if (typeof v !== 'string' || !/^[A-Za-z0-9_-]*$/.test(v)) throw bad(`bad "${k}"`);
    const bytes = Buffer.from(v, 'base64url');
    if (len !== undefined && bytes.length !== len) throw bad(`bad "${k}"`);
    return bytes;
  };
  if (!KINDS.includes(o.kind as ProtectedRecordKind)) throw bad('bad "kind"');
  if (typeof o.label !== 'string' || !LABEL_RE.test(o.label)) throw bad('bad "label"');
  if (typeof o.deviceId !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(o.deviceId))
    throw bad('bad "deviceId"');
  b64('salt', 16);
  return {
    kind: o.kind as ProtectedRecordKind,
    label: o.label,
    deviceId: o.deviceId,
    salt: o.salt as string,
    iv: b64('iv', 12),
    ciphertext: b64('ciphertext'),
    tag: b64('tag', 16),
  };
}

/** The key-vault contract over an open Keystore; the Keystore stays the caller's to close. */
export function createKeyVault(keystore: Keystore): KeyVault {
  if (
    !keystore ||
    typeof keystore !== 'object' ||
    typeof (keystore as Keystore).describe !== 'function'
  ) {
    throw invalidArgument(`createKeyVault needs an open Keystore (${received(keystore)})`);
  }
  return new DeviceKeyVault(keystore);
}
