import type { JsonWebKey, KeyObject } from 'node:crypto';
import { inspect } from 'node:util';
import {
  extractabilityOf,
  type ExtractableBy,
  type KeyHandle,
  type KeyHeader,
  type TierName,
} from './backends/backend';
import { invalidArgument } from './errors';
import type { Lifecycle } from './store/lifecycle';
import { finishSignature, verifySignature, type SignatureFormat } from './crypto/ecdsa';
import {
  exportPublicKey,
  parsePeerPublicKey,
  publicKeyObjectFromRaw,
  type PublicKeyFormat,
  type PublicKeyInput,
} from './crypto/p256';

export interface SignOptions {
  /** 'der' (node:crypto's default, the default here) or 'p1363' (r‖s, WebCrypto's). */
  format?: SignatureFormat;
  /** The data is already a 32-byte SHA-256 digest. */
  prehashed?: boolean;
}

export interface KeyInfo {
  alias: string;
  tier: TierName;
  hardwareBacked: boolean;
  /** True when anyone (the OS account owner, a passphrase holder) can get the key out. */
  extractable: boolean;
  extractableBy: ExtractableBy;
  algorithm: 'ECDSA-P256';
  createdAt: string;
  /** SPKI PEM. */
  publicKey: string;
}

export function toBytes(data: unknown, what: string): Uint8Array {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  throw invalidArgument(`${what} must be a Buffer, Uint8Array, ArrayBuffer or string`);
}

const DEFAULT_SIGN_OPTIONS: Readonly<Required<SignOptions>> = Object.freeze({
  format: 'der',
  prehashed: false,
});

// On the signing hot path: no allocation when no options are given.
export function signOptions(opts: SignOptions | undefined): Readonly<Required<SignOptions>> {
  if (opts === undefined) return DEFAULT_SIGN_OPTIONS;
  if (opts === null || typeof opts !== 'object') throw invalidArgument('options must be an object');
  for (const k in opts) {
    if (k !== 'format' && k !== 'prehashed') {
      throw invalidArgument(`unknown sign option "${k}"`, 'use format and prehashed');
    }
  }
  const { format = 'der', prehashed = false } = opts;
  if (format !== 'der' && format !== 'p1363') {
    throw invalidArgument(`format must be "der" or "p1363", not ${JSON.stringify(format)}`);
  }
  if (typeof prehashed !== 'boolean') throw invalidArgument('prehashed must be a boolean');
  return { format, prehashed };
}

function checkDigest(data: Uint8Array, prehashed: boolean): void {
  if (prehashed && data.length !== 32) {
    throw invalidArgument(
      `a prehashed input must be a 32-byte SHA-256 digest, not ${data.length} bytes`,
    );
  }
}

/**
 * A P-256 key in the store. The private half stays in its tier; this object only offers
 * operations with it. Public material can be exported in any format.
 */
export class DeviceKey {
  readonly alias: string;
  readonly tier: TierName;
  readonly hardwareBacked: boolean;
  /** True when anyone (the OS account owner, a passphrase holder) can get the key out. */
  readonly extractable: boolean;
  /** Who can get the private key out: 'nobody', 'os-account-owner' or 'passphrase-holder'. */
  readonly extractableBy: ExtractableBy;
  readonly createdAt: string;
  /** The public key as a node:crypto KeyObject. */
  readonly publicKey: KeyObject;
  readonly #raw: Buffer;
  readonly #handle: KeyHandle;
  /** The store's: once it is closed, this key refuses to sign or agree. */
  readonly #life: Lifecycle;

  /** @internal Created by Keystore. */
  constructor(
    record: KeyHeader,
    guarantees: { hardwareBacked: boolean; extractableBy: ExtractableBy },
    handle: KeyHandle,
    life: Lifecycle,
  ) {
    this.alias = record.alias;
    this.tier = record.tier;
    this.hardwareBacked = guarantees.hardwareBacked;
    ({ extractable: this.extractable, extractableBy: this.extractableBy } =
      extractabilityOf(guarantees));
    this.createdAt = record.createdAt;
    this.#raw = Buffer.from(record.publicKey);
    this.publicKey = publicKeyObjectFromRaw(this.#raw);
    this.#handle = handle;
    this.#life = life;
  }

  /** ECDSA P-256 with SHA-256. Always low-S. */
  async sign(data: Uint8Array | string, opts?: SignOptions): Promise<Buffer> {
    const { format, prehashed } = signOptions(opts);
    const bytes = toBytes(data, 'data');
    checkDigest(bytes, prehashed);
    this.#life.enter();
    try {
      const raw = await this.#handle.signRaw(bytes, prehashed);
      return finishSignature(raw.bytes, format, raw.encoding);
    } finally {
      this.#life.leave();
    }
  }

  verify(data: Uint8Array | string, signature: Uint8Array, opts?: SignOptions): boolean {
    this.#life.assertOpen();
    const { format, prehashed } = signOptions(opts);
    const bytes = toBytes(data, 'data');
    checkDigest(bytes, prehashed);
    return verifySignature(this.publicKey, bytes, toBytes(signature, 'signature'), {
      format,
      prehashed,
    });
  }

  /**
   * ECDH with a peer's P-256 public key. Returns the 32-byte shared x-coordinate; apply your own
   * KDF (HKDF) before using it as a key. The peer key is fully validated before the tier sees it.
   */
  async ecdh(peer: PublicKeyInput): Promise<Buffer> {
    const point = parsePeerPublicKey(peer);
    this.#life.enter();
    try {
      return await this.#handle.ecdh(point);
    } finally {
      this.#life.leave();
    }
  }

  exportPublicKey(format: 'pem'): string;
  exportPublicKey(format: 'jwk'): JsonWebKey;
  exportPublicKey(format: 'spki' | 'raw'): Buffer;
  exportPublicKey(format: PublicKeyFormat): string | Buffer | JsonWebKey;
  exportPublicKey(format: PublicKeyFormat): string | Buffer | JsonWebKey {
    return exportPublicKey(this.#raw, format);
  }

  info(): KeyInfo {
    return {
      alias: this.alias,
      tier: this.tier,
      hardwareBacked: this.hardwareBacked,
      extractable: this.extractable,
      extractableBy: this.extractableBy,
      algorithm: 'ECDSA-P256',
      createdAt: this.createdAt,
      publicKey: this.exportPublicKey('pem'),
    };
  }

  toJSON(): KeyInfo {
    return this.info();
  }

  [inspect.custom](): string {
    return `DeviceKey { alias: '${this.alias}', tier: '${this.tier}', hardwareBacked: ${this.hardwareBacked}, extractableBy: '${this.extractableBy}' }`;
  }
}
