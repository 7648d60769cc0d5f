import { attestKey, type AttestOptions } from './tiers/tpm2/attest-key';
import type { KeyAttestation } from './tiers/tpm2/certify';
import { webcrypto, type JsonWebKey, type KeyObject, type X509Certificate } from 'node:crypto';
import { inspect } from 'node:util';
import {
  extractabilityOf,
  type ExtractableBy,
  type UserPresence,
  type TierName,
} from './core/tiers';
import { type KeyHandle } from './core/key-handle';
import { type KeyHeader, type KeyUsage } from './core/records';
import { KeystoreError, invalidArgument, received, shown } from './core/errors';
import { pinBytes } from './core/pin';
import type { Lifecycle } from './core/lifecycle';
import { finishSignature } from './crypto/ecdsa';
import { type SignatureFormat } from './core/inputs';
import {
  parsePeerPublicKey,
  publicKeyObjectFromRaw,
  registerDevicePoint,
  spkiDerFromRaw,
  type PublicKeyInput,
} from './crypto/p256';
import { deviceIdOf } from './crypto/device-id';
import {
  deviceCertificateDays,
  issueDeviceCertificate,
  type DeviceCertificateOptions,
} from './delegation/device-certificate';
import { SessionKey, type SessionRoot } from './delegation/session-key';
import { type DelegateOptions, checkOptionKeys, settingsFrom } from './delegation/options';
import {
  type DataInput,
  type SignOptions,
  signOptions,
  toBytes,
  checkDigest,
  type EcdhOptions,
} from './core/inputs';
import { Signer } from './signer';
import { AnchorCertificate } from './delegation/device-certificate';
import { verifyWithKey } from './signer';
import { exportPublicKey, type PublicKeyFormat } from './crypto/p256';
import { type KeyInfo, KeyInfoEntry, type KeyInfoJSON } from './key-info';

/** What JSON.stringify makes of a KeyInfo: the public key as SPKI PEM. */
const HANDLES = new WeakMap<object, KeyHandle>();

/** Keystore's createKey/getKey `cacheFor`: the key's tier keeps its PIN that long. */
export function rememberPin(key: object, pin: Buffer, ms: number): void {
  HANDLES.get(key)?.cachePin?.(pin, ms);
}

/** A PIN as callers give it (checked by pinBytes). */
type PinInput = string | Uint8Array;

export interface CertifyingKeyOptions {
  /** The key's PIN: needed to make a PIN key's certifying key, on its first use. */
  pin?: PinInput;
}

export interface PublicCryptoKeyOptions {
  /** 'ECDSA' (the default; usages ['verify']) or 'ECDH' (no usages, as WebCrypto has it). */
  algorithm?: 'ECDSA' | 'ECDH';
}

function cryptoKeyAlgorithm(opts: PublicCryptoKeyOptions | undefined): 'ECDSA' | 'ECDH' {
  if (opts === undefined) return 'ECDSA';
  if (opts === null || typeof opts !== 'object') {
    throw invalidArgument(`options must be an object. ${received(opts)}`);
  }
  for (const k in opts) {
    if (k !== 'algorithm')
      throw invalidArgument(`unknown publicCryptoKey option "${k}"`, 'use algorithm');
  }
  const { algorithm = 'ECDSA' } = opts;
  if (algorithm !== 'ECDSA' && algorithm !== 'ECDH') {
    throw invalidArgument(`algorithm must be "ECDSA" or "ECDH", not ${shown(algorithm)}`);
  }
  return algorithm;
}

/**
 * A P-256 key in the store. The private half stays in its tier; this object only offers
 * operations with it. Public material can be exported in any format.
 */
export class DeviceKey implements Signer {
  readonly alias: string;
  readonly tier: TierName;
  readonly hardwareBacked: boolean;
  /** True when anyone (the OS account owner, a passphrase holder) can get the key out. */
  readonly extractable: boolean;
  /** Who can get the private key out: 'nobody', 'os-account-owner' or 'passphrase-holder'. */
  readonly extractableBy: ExtractableBy;
  /** 'pin' when each use needs the key's PIN (tpm2 keys made with createKey's pin). */
  readonly userPresence: UserPresence;
  readonly createdAt: string;
  /** The public key as a node:crypto KeyObject. */
  readonly publicKey: KeyObject;
  readonly #raw: Buffer;
  readonly #handle: KeyHandle;
  /** The store's: once it is closed, this key refuses to sign or agree. */
  readonly #life: Lifecycle;
  /**
   * 'general': signs what it is given and does ECDH. 'certify': signs only the certificates this
   * library builds (certificate(), delegate()); sign() and ecdh() refuse with E_KEY_USAGE. Fixed
   * when the key was made, and bound to its material by its tier.
   */
  readonly usage: KeyUsage;
  /** The device certificate this key's sessions chain to, reused while it outlives them. */
  readonly #anchor = new AnchorCertificate();
  #deviceId: string | undefined;
  /** A general key's certifying key, loaded or made on first use. */
  readonly #certifier: ((pin?: Buffer) => Promise<DeviceKey>) | undefined;

  /** @internal Created by Keystore. */
  constructor(
    record: KeyHeader,
    guarantees: { hardwareBacked: boolean; extractableBy: ExtractableBy },
    handle: KeyHandle,
    life: Lifecycle,
    certifier?: (pin?: Buffer) => Promise<DeviceKey>,
  ) {
    this.alias = record.alias;
    this.usage = record.usage ?? 'general';
    this.#certifier = certifier;
    this.tier = record.tier;
    this.hardwareBacked = guarantees.hardwareBacked;
    ({ extractable: this.extractable, extractableBy: this.extractableBy } =
      extractabilityOf(guarantees));
    this.createdAt = record.createdAt;
    this.#raw = Buffer.from(record.publicKey);
    this.publicKey = publicKeyObjectFromRaw(this.#raw);
    this.#handle = handle;
    this.userPresence = handle.userPresence ?? 'none';
    HANDLES.set(this, handle);
    this.#life = life;
    registerDevicePoint(this, this.#raw);
  }

  /** 'ec', as a P-256 KeyObject answers. */
  get asymmetricKeyType(): 'ec' {
    return 'ec';
  }

  /** `{ namedCurve: 'prime256v1' }`, as a P-256 KeyObject answers (a fresh object each time). */
  get asymmetricKeyDetails(): { namedCurve: 'prime256v1' } {
    return { namedCurve: 'prime256v1' };
  }

  /**
   * The public key as a WebCrypto CryptoKey (extractable, P-256): ECDSA with usages ['verify']
   * by default, or ECDH (no usages) with `{ algorithm: 'ECDH' }`.
   */
  async publicCryptoKey(opts?: PublicCryptoKeyOptions): Promise<webcrypto.CryptoKey> {
    const name = cryptoKeyAlgorithm(opts);
    return webcrypto.subtle.importKey(
      'spki',
      spkiDerFromRaw(this.#raw),
      { name, namedCurve: 'P-256' },
      true,
      name === 'ECDSA' ? ['verify'] : [],
    );
  }

  /** ECDSA P-256 with SHA-256. Always low-S. */
  async sign(data: DataInput, opts?: SignOptions): Promise<Buffer> {
    const { format, prehashed } = signOptions(opts);
    const bytes = toBytes(data, 'data');
    checkDigest(bytes, prehashed);
    if (this.usage === 'certify') throw usageRefused(this.alias, 'sign caller data');
    return this.#signRaw(bytes, prehashed, format, this.#pinOption(opts?.pin)?.pin);
  }

  async #signRaw(
    bytes: Uint8Array,
    prehashed: boolean,
    format: SignatureFormat,
    pin?: SignOptions['pin'],
  ): Promise<Buffer> {
    const auth = pin === undefined ? undefined : { pin: pinBytes(pin) };
    this.#life.enter();
    try {
      const raw = await this.#handle.signRaw(bytes, prehashed, auth);
      return finishSignature(raw.bytes, format, raw.encoding);
    } finally {
      auth?.pin.fill(0);
      this.#life.leave();
    }
  }

  /**
   * ECDH with a peer's P-256 public key. Returns the 32-byte shared x-coordinate; apply your own
   * KDF (HKDF) before using it as a key. The peer key may be in any form verify() takes, and is
   * fully validated before the tier sees it.
   */
  async ecdh(peer: PublicKeyInput, opts?: EcdhOptions): Promise<Buffer> {
    const point = parsePeerPublicKey(peer, 'the peer public key');
    if (this.usage === 'certify') throw usageRefused(this.alias, 'do ECDH');
    if (opts !== undefined && (opts === null || typeof opts !== 'object')) {
      throw invalidArgument(`options must be an object. ${received(opts)}`);
    }
    for (const k in opts ?? {}) {
      if (k !== 'pin') throw invalidArgument(`unknown ecdh option "${k}"`, 'the one option is pin');
    }
    const pin = this.#pinOption(opts?.pin)?.pin;
    const auth = pin === undefined ? undefined : { pin: pinBytes(pin) };
    this.#life.enter();
    try {
      return await this.#handle.ecdh(point, auth);
    } finally {
      auth?.pin.fill(0);
      this.#life.leave();
    }
  }

  /** Verifies with this key's public key; false for a wrong or malformed signature. */
  verify(data: DataInput, signature: ArrayBufferView | ArrayBuffer, opts?: SignOptions): boolean {
    this.#life.assertOpen();
    return verifyWithKey(this.publicKey, data, signature, opts);
  }

  /**
   * TPM2_Certify of this key by the store's attestation key, with the server's nonce as
   * qualifying data: a `tpm` statement a server checks with verifyKeyAttestation
   * (docs/attestation.md). tpm2 keys only; other tiers refuse with E_BACKEND_UNAVAILABLE.
   */
  attest(opts: AttestOptions): Promise<KeyAttestation> {
    return attestKey(this, this.#handle, this.#life, opts);
  }

  exportPublicKey(format: 'pem'): string;
  exportPublicKey(format: 'jwk'): JsonWebKey;
  exportPublicKey(format: 'spki' | 'raw'): Buffer;
  exportPublicKey(format: PublicKeyFormat): string | Buffer | JsonWebKey;
  exportPublicKey(format: PublicKeyFormat): string | Buffer | JsonWebKey {
    return exportPublicKey(this.#raw, format);
  }

  /**
   * A self-signed X.509 v3 certificate for this key, signed by the key in its tier: subject
   * O=device-keystore, CN=<deviceId>; basicConstraints CA, pathlen 0; keyUsage keyCertSign and
   * digitalSignature (both critical). The trust anchor a server pins for this device's session
   * keys. Valid from now for `days` (default 365). Each call makes a new one (new serial); all of
   * them anchor the same session certificates. A PIN key's certifying key needs the same PIN:
   * `pin`, or the one cached with getKey's `cacheFor`.
   */
  async certificate(opts?: DeviceCertificateOptions): Promise<X509Certificate> {
    const days = deviceCertificateDays(opts);
    this.#life.assertOpen();
    const pin = this.#pinOption(opts?.pin);
    if (this.usage !== 'certify') return (await this.certifyingKey(pin)).certificate(opts);
    return issueDeviceCertificate(this.#certificateSigner(pin), days);
  }

  /**
   * The key that certifies for this one: itself for a certifying key; for a general key, a
   * certifying key of its own in the same tier, made on first use (at init for the identity).
   * It is the key in certificate() and the issuer of delegate()'s sessions; its sign() and
   * ecdh() refuse, so no app that signs caller-chosen bytes can be used to mint certificates.
   * It has the key's protection: a PIN key's certifying key needs the same PIN (and counts
   * wrong ones towards the TPM's lockout), a key macOS guards with a prompt, the same prompt.
   * Making a PIN key's certifying key needs its PIN (`pin`, or the cached one), which the key
   * proves first by signing a random digest, so a wrong PIN is E_TPM_AUTH and makes nothing.
   */
  async certifyingKey(opts?: CertifyingKeyOptions): Promise<DeviceKey> {
    if (opts !== undefined) checkOptionKeys(opts, ['pin'], 'certifyingKey');
    this.#life.assertOpen();
    const pin = this.#pinOption(opts?.pin);
    if (this.usage === 'certify') return this;
    if (!this.#certifier) throw new Error('internal: a general key without a certifier');
    const bytes = pin === undefined ? undefined : pinBytes(pin.pin);
    try {
      return await this.#certifier(bytes);
    } finally {
      bytes?.fill(0);
    }
  }

  /**
   * A session key: a fresh software P-256 key in this process's memory, with an X.509
   * certificate signed by this key (valid for `ttl`, at most 24 h; extended key usage `purpose`
   * and clientAuth), for fast signing and TLS client authentication. See docs/delegation.md.
   * A PIN key's certifying key needs the same PIN: `pin` (this call only), or the cached one.
   */
  async delegate(opts: DelegateOptions): Promise<SessionKey> {
    const settings = settingsFrom(opts);
    this.#life.assertOpen();
    const pin = this.#pinOption(opts.pin);
    if (this.usage !== 'certify') return (await this.certifyingKey(pin)).delegate(opts);
    // The caller's PIN serves this issue only: the session keeps its root, not the PIN.
    const once: { pin?: PinInput } = { ...pin };
    try {
      return await SessionKey.issue(this.#sessionRoot(once), settings);
    } finally {
      delete once.pin;
    }
  }

  /**
   * `{ pin }` for a call that takes one; a PIN for a key that has none is refused before use, on
   * every tier (a tier without PIN keys would otherwise ignore it, and the caller would believe
   * the key is protected by it).
   */
  #pinOption(pin: PinInput | undefined): { pin: PinInput } | undefined {
    if (pin === undefined) return undefined;
    if (this.userPresence !== 'pin') {
      throw invalidArgument(`key "${this.alias}" has no PIN`, 'call it without the pin option');
    }
    return { pin };
  }

  /** Signs only TBSCertificates that src/crypto/x509.ts built: never a caller's bytes. */
  #certificateSigner(auth?: { pin?: PinInput }) {
    return {
      rawPublicKey: this.#raw,
      signCertificate: (tbs: Buffer) => this.#signRaw(tbs, false, 'der', auth?.pin),
    };
  }

  #sessionRoot(auth: { pin?: PinInput }): SessionRoot {
    return {
      ...this.#certificateSigner(auth),
      alias: this.alias,
      tier: this.tier,
      hardwareBacked: this.hardwareBacked,
      deviceId: (this.#deviceId ??= deviceIdOf(this.#raw)),
      life: this.#life,
      deviceCertificate: (until: Date) =>
        this.#anchor.validUntil(until, this.#certificateSigner(auth)),
    };
  }

  /** Public facts about the key; `publicKey` is the same KeyObject as `key.publicKey`. */
  info(): KeyInfo {
    return new KeyInfoEntry(this, this);
  }

  /** `info()` as JSON: the public key as SPKI PEM. */
  toJSON(): KeyInfoJSON {
    return this.info().toJSON();
  }

  [inspect.custom](): string {
    return `DeviceKey { alias: '${this.alias}', tier: '${this.tier}', hardwareBacked: ${this.hardwareBacked}, extractableBy: '${this.extractableBy}'${this.usage === 'certify' ? ", usage: 'certify'" : ''} }`;
  }
}

function usageRefused(alias: string, what: string): KeystoreError {
  return new KeystoreError(
    'E_KEY_USAGE',
    `the certifying key of "${alias}" does not ${what}: it signs only the device and session certificates this library builds`,
    {
      hint: 'sign with the key itself (keystore.getKey(alias)), or use certificate() / delegate() to certify',
    },
  );
}
