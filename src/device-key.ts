import { webcrypto, type JsonWebKey, type KeyObject, type X509Certificate } from 'node:crypto';
import { inspect, types } from 'node:util';
import {
  extractabilityOf,
  type ExtractableBy,
  type UserPresence,
  type KeyHandle,
  type KeyHeader,
  type KeyUsage,
  type TierName,
} from './backends/backend';
import { KeystoreError, invalidArgument, received, shown } from './errors';
import { pinBytes } from './backends/pin';
import type { Lifecycle } from './store/lifecycle';
import {
  finishSignature,
  verifySignature,
  type DsaEncoding,
  type SignatureFormat,
} from './crypto/ecdsa';
import {
  exportPublicKey,
  parsePeerPublicKey,
  publicKeyObjectFromRaw,
  registerDevicePoint,
  spkiDerFromRaw,
  type PublicKeyFormat,
  type PublicKeyInput,
} from './crypto/p256';
import { deviceIdOf } from './identity';
import {
  deviceCertificateDays,
  issueDeviceCertificate,
  DEFAULT_DEVICE_CERT_DAYS,
  type DeviceCertificateOptions,
} from './delegation/device-certificate';
import { SessionKey, type DelegateOptions, type SessionRoot } from './delegation/session-key';

export interface SignOptions {
  /** 'der' (node:crypto's default, the default here) or 'p1363' (r‖s, WebCrypto's). */
  format?: SignatureFormat;
  /** node:crypto's spelling of `format`: 'der' or 'ieee-p1363'. Give one of the two. */
  dsaEncoding?: DsaEncoding;
  /** The data is already a 32-byte SHA-256 digest. */
  prehashed?: boolean;
  /** The key's PIN, for a key made with one (userPresence 'pin'). */
  pin?: string | Uint8Array;
}

/** ecdh()'s options. */
export interface EcdhOptions {
  /** The key's PIN, for a key made with one (userPresence 'pin'). */
  pin?: string | Uint8Array;
}

/** Data to sign or verify: a string (signed as UTF-8), any ArrayBufferView, or an ArrayBuffer. */
export type DataInput = string | ArrayBufferView | ArrayBuffer;

/** What JSON.stringify makes of a KeyInfo: the public key as SPKI PEM. */
export interface KeyInfoJSON {
  alias: string;
  tier: TierName;
  hardwareBacked: boolean;
  /** True when anyone (the OS account owner, a passphrase holder) can get the key out. */
  extractable: boolean;
  /** 'unknown' for a tpm2 key an earlier release imported from software (see listKeys). */
  extractableBy: ExtractableBy;
  /** 'pin' for a key each use of which needs its PIN; 'none' otherwise. */
  userPresence: UserPresence;
  algorithm: 'ECDSA-P256';
  createdAt: string;
  /** SPKI PEM. */
  publicKey: string;
}

export interface KeyInfo extends Omit<KeyInfoJSON, 'publicKey'> {
  /** The public key, as everywhere in the API. */
  publicKey: KeyObject;
  /** The same fields with the public key as SPKI PEM; what JSON.stringify prints. */
  toJSON(): KeyInfoJSON;
}

interface Guarantees {
  hardwareBacked: boolean;
  extractableBy: ExtractableBy;
  userPresence?: UserPresence;
}

/** toJSON lives on the prototype, so the fields are all an info's own properties. */
class KeyInfoEntry implements KeyInfo {
  alias: string;
  tier: TierName;
  hardwareBacked: boolean;
  extractable: boolean;
  extractableBy: ExtractableBy;
  userPresence: UserPresence;
  algorithm: 'ECDSA-P256' = 'ECDSA-P256';
  createdAt: string;
  publicKey: KeyObject;

  constructor(
    fields: { alias: string; tier: TierName; createdAt: string; publicKey: KeyObject },
    guarantees: Guarantees,
  ) {
    ({ alias: this.alias, tier: this.tier, createdAt: this.createdAt } = fields);
    this.hardwareBacked = guarantees.hardwareBacked;
    ({ extractable: this.extractable, extractableBy: this.extractableBy } =
      extractabilityOf(guarantees));
    this.userPresence = guarantees.userPresence ?? 'none';
    this.publicKey = fields.publicKey;
  }

  toJSON(): KeyInfoJSON {
    const { alias, tier, hardwareBacked, extractable, extractableBy, userPresence } = this;
    const { algorithm, createdAt } = this;
    const publicKey = this.publicKey.export({ type: 'spki', format: 'pem' }) as string;
    return {
      alias,
      tier,
      hardwareBacked,
      extractable,
      extractableBy,
      userPresence,
      algorithm,
      createdAt,
      publicKey,
    };
  }
}

/** Each key's handle, for rememberPin: not a method, so not part of DeviceKey's API. */
const HANDLES = new WeakMap<object, KeyHandle>();

/** Keystore's createKey/getKey `cacheFor`: the key's tier keeps its PIN that long. */
export function rememberPin(key: object, pin: Buffer, ms: number): void {
  HANDLES.get(key)?.cachePin?.(pin, ms);
}

/** A key's info straight from its record, without loading the key (listKeys). */
export function keyInfoFromRecord(record: KeyHeader, guarantees: Guarantees): KeyInfo {
  return new KeyInfoEntry(
    { ...record, publicKey: publicKeyObjectFromRaw(record.publicKey) },
    guarantees,
  );
}

const BYTES_TYPES = 'an instance of Buffer, TypedArray, DataView or ArrayBuffer';

/**
 * Bytes as node:crypto takes them: a string (UTF-8, unless `allowString` is false), any
 * ArrayBufferView, or an ArrayBuffer. Views are not copied. Uint8Array (and so Buffer) comes
 * first: it is the signing hot path.
 */
export function toBytes(data: unknown, what: string, allowString = true): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (typeof data === 'string' && allowString) return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data))
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (types.isAnyArrayBuffer(data)) return new Uint8Array(data);
  throw invalidArgument(
    `${what} must be ${allowString ? 'a string or ' : ''}${BYTES_TYPES}. ${received(data)}`,
  );
}

type ResolvedSignOptions = Readonly<{ format: SignatureFormat; prehashed: boolean }>;

/** Every valid combination, made once: resolving options never allocates. */
const RESOLVED: Readonly<
  Record<SignatureFormat, readonly [ResolvedSignOptions, ResolvedSignOptions]>
> = Object.freeze({
  der: [
    Object.freeze({ format: 'der', prehashed: false }),
    Object.freeze({ format: 'der', prehashed: true }),
  ],
  p1363: [
    Object.freeze({ format: 'p1363', prehashed: false }),
    Object.freeze({ format: 'p1363', prehashed: true }),
  ],
} as const);

const DEFAULT_SIGN_OPTIONS = RESOLVED.der[0];
const DSA_ENCODINGS: Readonly<Record<DsaEncoding, SignatureFormat>> = Object.freeze({
  der: 'der',
  'ieee-p1363': 'p1363',
});

// On the signing hot path: no allocation, with or without options.
export function signOptions(opts: SignOptions | undefined): ResolvedSignOptions {
  if (opts === undefined) return DEFAULT_SIGN_OPTIONS;
  if (opts === null || typeof opts !== 'object') {
    throw invalidArgument(`options must be an object. ${received(opts)}`);
  }
  for (const k in opts) {
    if (k !== 'format' && k !== 'dsaEncoding' && k !== 'prehashed' && k !== 'pin') {
      throw invalidArgument(
        `unknown sign option "${k}"`,
        'use format (or dsaEncoding), prehashed and pin',
      );
    }
  }
  const { format, dsaEncoding, prehashed = false } = opts;
  if (format !== undefined && format !== 'der' && format !== 'p1363') {
    throw invalidArgument(`format must be "der" or "p1363", not ${shown(format)}`);
  }
  if (dsaEncoding !== undefined && dsaEncoding !== 'der' && dsaEncoding !== 'ieee-p1363') {
    throw invalidArgument(`dsaEncoding must be "der" or "ieee-p1363", not ${shown(dsaEncoding)}`);
  }
  const fromDsa = dsaEncoding === undefined ? undefined : DSA_ENCODINGS[dsaEncoding];
  if (format !== undefined && fromDsa !== undefined && format !== fromDsa) {
    throw invalidArgument(
      `format "${format}" and dsaEncoding "${dsaEncoding}" disagree`,
      'give only one of them',
    );
  }
  if (typeof prehashed !== 'boolean') throw invalidArgument('prehashed must be a boolean');
  return RESOLVED[format ?? fromDsa ?? 'der'][prehashed ? 1 : 0];
}

export function checkDigest(data: Uint8Array, prehashed: boolean): void {
  if (prehashed && data.length !== 32) {
    throw invalidArgument(
      `a prehashed input must be a 32-byte SHA-256 digest, not ${data.length} bytes`,
    );
  }
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
export class DeviceKey {
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
  /** The device certificate session certificates are chained to, made at the first delegate(). */
  #chainAnchor: Promise<X509Certificate> | undefined;
  #deviceId: string | undefined;
  /** A general key's certifying key, loaded or made on first use. */
  readonly #certifier: (() => Promise<DeviceKey>) | undefined;

  /** @internal Created by Keystore. */
  constructor(
    record: KeyHeader,
    guarantees: { hardwareBacked: boolean; extractableBy: ExtractableBy },
    handle: KeyHandle,
    life: Lifecycle,
    certifier?: () => Promise<DeviceKey>,
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
    return this.#signRaw(bytes, prehashed, format, opts?.pin);
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

  /** Verifies with this key's public half; false for a wrong or malformed signature. */
  verify(data: DataInput, signature: ArrayBufferView | ArrayBuffer, opts?: SignOptions): boolean {
    this.#life.assertOpen();
    const { format, prehashed } = signOptions(opts);
    const bytes = toBytes(data, 'data');
    checkDigest(bytes, prehashed);
    return verifySignature(this.publicKey, bytes, toBytes(signature, 'signature', false), {
      format,
      prehashed,
    });
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
    const auth = opts?.pin === undefined ? undefined : { pin: pinBytes(opts.pin) };
    this.#life.enter();
    try {
      return await this.#handle.ecdh(point, auth);
    } finally {
      auth?.pin.fill(0);
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

  /**
   * A self-signed X.509 v3 certificate for this key, signed by the key in its tier: subject
   * O=device-keystore, CN=<deviceId>; basicConstraints CA, pathlen 0; keyUsage keyCertSign and
   * digitalSignature (both critical). The trust anchor a server pins for this device's session
   * keys. Valid from now for `days` (default 365). Each call makes a new one (new serial); all of
   * them anchor the same session certificates.
   */
  async certificate(opts?: DeviceCertificateOptions): Promise<X509Certificate> {
    const days = deviceCertificateDays(opts);
    this.#life.assertOpen();
    if (this.usage !== 'certify') return (await this.certifyingKey()).certificate(opts);
    return issueDeviceCertificate(this.#certificateSigner(), days);
  }

  /**
   * The key that certifies for this one: itself for a certifying key; for a general key, a
   * certifying key of its own in the same tier, made on first use (at init for the identity).
   * It is the key in certificate() and the issuer of delegate()'s sessions; its sign() and
   * ecdh() refuse, so no app that signs caller-chosen bytes can be used to mint certificates.
   */
  async certifyingKey(): Promise<DeviceKey> {
    this.#life.assertOpen();
    if (this.usage === 'certify') return this;
    if (this.userPresence === 'pin') {
      // Its certifying key would have no PIN, so certificates and sessions would bypass it.
      throw new KeystoreError(
        'E_KEY_USAGE',
        `key "${this.alias}" has a PIN: certificates and session keys are not made for PIN keys yet, because its certifying key would not need the PIN`,
        { hint: 'delegate from a key without a PIN (such as the identity key)' },
      );
    }
    if (this.userPresence !== 'none') {
      // The same for a key macOS guards with a prompt: its certifying key would ask nobody.
      throw new KeystoreError(
        'E_KEY_USAGE',
        `key "${this.alias}" asks the user at each use (userPresence '${this.userPresence}'): certificates and session keys are not made for it, because its certifying key would not ask`,
        { hint: 'delegate from a key made without userPresence (such as the identity key)' },
      );
    }
    if (!this.#certifier) throw new Error('internal: a general key without a certifier');
    return this.#certifier();
  }

  /**
   * A session key: a fresh software P-256 key in this process's memory, with an X.509
   * certificate signed by this key (valid for `ttl`, at most 24 h; extended key usage `purpose`
   * and clientAuth), for fast signing and TLS client authentication. See docs/delegation.md.
   */
  async delegate(opts: DelegateOptions): Promise<SessionKey> {
    this.#life.assertOpen();
    if (this.usage !== 'certify') return (await this.certifyingKey()).delegate(opts);
    return SessionKey.issue(this.#sessionRoot(), opts);
  }

  /** Signs only TBSCertificates that src/crypto/x509.ts built: never a caller's bytes. */
  #certificateSigner() {
    return {
      rawPublicKey: this.#raw,
      signCertificate: (tbs: Buffer) => this.#signRaw(tbs, false, 'der'),
    };
  }

  #sessionRoot(): SessionRoot {
    return {
      ...this.#certificateSigner(),
      alias: this.alias,
      tier: this.tier,
      hardwareBacked: this.hardwareBacked,
      deviceId: (this.#deviceId ??= deviceIdOf(this.#raw)),
      life: this.#life,
      deviceCertificate: async (until: Date) => {
        const current = await this.#chainAnchor?.catch(() => undefined);
        if (current && new Date(current.validTo) > until) return current;
        this.#chainAnchor = issueDeviceCertificate(
          this.#certificateSigner(),
          DEFAULT_DEVICE_CERT_DAYS,
        );
        return this.#chainAnchor;
      },
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
