import {
  generateKeyPairSync,
  type JsonWebKey,
  type KeyObject,
  type X509Certificate,
} from 'node:crypto';
import { X509Certificate as X509 } from 'node:crypto';
import { inspect } from 'node:util';
import type { TierName } from '../core/tiers';
import { KeystoreError, invalidArgument } from '../core/errors';
import { finishSignature } from '../crypto/ecdsa';
import { rawFromPublicKeyObject } from '../crypto/p256';
import { SoftwareKeyHandle } from '../crypto/software-key';
import { issueCertificate } from '../crypto/x509';
import type { Lifecycle } from '../core/lifecycle';
import {
  checkDigest,
  signOptions,
  toBytes,
  type DataInput,
  type SignOptions,
} from '../core/inputs';
import {
  deviceName,
  randomSerial,
  wholeSecondNow,
  backdated,
  type CertificateSigner,
} from './device-certificate';
import { CLIENT_AUTH } from './options';
import { Signer } from '../signer';
import { type Settings } from './options';
import { verifyWithKey } from '../signer';
import { exportPublicKey, registerDevicePoint, type PublicKeyFormat } from '../crypto/p256';

/**
 * Delegated session keys: a fresh software P-256 key in this process's memory, certified for a
 * short time by a device key (which may be in a TPM or the Secure Enclave), so that hot-path
 * signing runs at node:crypto's speed. The private key is never written anywhere by this code;
 * it is dropped at expiry and at close(), and whoever can read this process's memory can use it
 * until then (docs/delegation.md).
 */

/** The device key a session is rooted in, as far as a session needs it. */
export interface SessionRoot extends CertificateSigner {
  readonly alias: string;
  readonly tier: TierName;
  readonly hardwareBacked: boolean;
  readonly deviceId: string;
  /** The store's: its close() drops every session key made from its keys. */
  readonly life: Lifecycle;
  /** The device certificate, valid at least until `until`. */
  deviceCertificate(until: Date): Promise<X509Certificate>;
}

export interface SessionKeyDescription {
  kind: 'session-key';
  algorithm: 'ECDSA-P256';
  /** Where the private key is: only in this process's memory. */
  storage: 'process-memory';
  hardwareBacked: false;
  /** Anyone who controls this process can read the key until it expires. */
  extractable: true;
  /** Whether the library ever wrote the private key to disk: never. */
  persisted: false;
  state: 'active' | 'expired' | 'closed';
  notBefore: string;
  notAfter: string;
  /** The purpose's OID, and clientAuth's. */
  extendedKeyUsage: string[];
  serialNumber: string;
  autoRenew: boolean;
  root: { alias: string; tier: TierName; hardwareBacked: boolean; deviceId: string };
  /** The same, in one sentence for a person. */
  summary: string;
}

/** The public side of one key and its certificate: what stays after the key is dropped. */
interface Session {
  readonly raw: Buffer;
  readonly publicKey: KeyObject;
  readonly certificate: X509Certificate;
  readonly deviceCertificate: X509Certificate;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** notAfter in ms: the one comparison on the signing path. */
  readonly expiresAt: number;
}

/** The private side: held only while the session may sign, dropped whole at expiry and close(). */
interface Live {
  readonly session: Session;
  readonly privateKey: KeyObject;
  readonly handle: SoftwareKeyHandle;
}

/** After a failed renewal, try again this soon (or at half the time left, if that is sooner). */
const RENEW_RETRY_MS = 5000;

async function newSession(root: SessionRoot, s: Settings): Promise<Live> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const raw = rawFromPublicKeyObject(publicKey);
  const now = wholeSecondNow();
  const notBefore = backdated(now);
  const notAfter = new Date(now.getTime() + s.ttlMs);
  const deviceCertificate = await root.deviceCertificate(notAfter);
  const der = await issueCertificate(
    {
      serial: randomSerial(),
      issuer: deviceName(root.deviceId),
      subject: { ...deviceName(root.deviceId), organizationalUnit: 'session key' },
      notBefore,
      notAfter,
      subjectKey: raw,
      issuerKey: root.rawPublicKey,
      ca: false,
      keyUsage: ['digitalSignature'],
      extendedKeyUsage: s.purpose === CLIENT_AUTH ? [CLIENT_AUTH] : [s.purpose, CLIENT_AUTH],
    },
    (tbs) => root.signCertificate(tbs),
  );
  const session: Session = {
    raw,
    publicKey,
    certificate: new X509(der),
    deviceCertificate,
    notBefore,
    notAfter,
    expiresAt: notAfter.getTime(),
  };
  return { session, privateKey, handle: new SoftwareKeyHandle(privateKey) };
}

/**
 * A session nobody closed and nobody holds is collected: the store's close() and the timers
 * reach it only through a WeakRef, and this takes its close() hook off the store once it is gone.
 */
const forgotten = new FinalizationRegistry<() => void>((unregister) => unregister());

/**
 * A short-lived software key certified by a device key. Signs like a DeviceKey (DER or P1363,
 * low-S), refuses once its certificate has expired (E_SESSION_EXPIRED), and can renew itself in
 * the background: signers keep the old key until the new one is ready, then switch.
 * Made by `deviceKey.delegate()`.
 */
export class SessionKey implements Signer {
  readonly #root: SessionRoot;
  readonly #settings: Settings;
  /** The current key and certificate; undefined once dropped (expiry, close()). */
  #live: Live | undefined;
  /** What describe() and the accessors show, also after the key is gone: no private key. */
  #last: Session;
  #closed = false;
  #renewing: Promise<void> | undefined;
  #renewTimer: NodeJS.Timeout | undefined;
  #expiryTimer: NodeJS.Timeout | undefined;
  #unregister: (() => void) | undefined;

  private constructor(root: SessionRoot, settings: Settings, live: Live) {
    this.#root = root;
    this.#settings = settings;
    this.#live = live;
    this.#last = live.session;
    // verify(sessionKey, …) and ecdh peers read the current point, as session.verify() does.
    registerDevicePoint(this, live.session.raw);
    const self = new WeakRef(this);
    this.#unregister = root.life.onClose(() => self.deref()?.close());
    forgotten.register(this, this.#unregister, this);
    this.#schedule();
  }

  /** @internal Used by DeviceKey.delegate, with delegateSettings(opts). */
  static async issue(root: SessionRoot, settings: Settings): Promise<SessionKey> {
    const live = await newSession(root, settings);
    // The store may have closed while the device key signed: it would drop this at once.
    root.life.assertOpen();
    return new SessionKey(root, settings, live);
  }

  /** The current public key. It changes when the key renews. */
  get publicKey(): KeyObject {
    return this.#last.publicKey;
  }

  /** The current session certificate (X.509, issued by the device key). */
  get certificate(): X509Certificate {
    return this.#last.certificate;
  }

  /** The device certificate that issued it: the trust anchor a server pins. */
  get deviceCertificate(): X509Certificate {
    return this.#last.deviceCertificate;
  }

  get notBefore(): Date {
    return new Date(this.#last.notBefore);
  }

  get notAfter(): Date {
    return new Date(this.#last.notAfter);
  }

  /** True once the current certificate's validity has ended (or the key was closed). */
  get expired(): boolean {
    return this.#live === undefined || Date.now() >= this.#live.session.expiresAt;
  }

  /** The purpose's OID (clientAuth is in every session certificate as well). */
  get purpose(): string {
    return this.#settings.purpose;
  }

  /** The device key's alias, tier and deviceId. */
  get root(): { alias: string; tier: TierName; hardwareBacked: boolean; deviceId: string } {
    const { alias, tier, hardwareBacked, deviceId } = this.#root;
    return { alias, tier, hardwareBacked, deviceId };
  }

  /** The session certificate then the device certificate: PEM text, or one DER Buffer each. */
  certificateChain(format?: 'pem'): string;
  certificateChain(format: 'der'): Buffer[];
  certificateChain(format: 'pem' | 'der' = 'pem'): string | Buffer[] {
    const { certificate, deviceCertificate } = this.#last;
    if (format === 'der') return [Buffer.from(certificate.raw), Buffer.from(deviceCertificate.raw)];
    if (format !== 'pem') throw invalidArgument('format must be "pem" or "der"');
    return certificate.toString() + deviceCertificate.toString();
  }

  /** ECDSA P-256 with SHA-256, in node:crypto; always low-S. E_SESSION_EXPIRED once expired. */
  async sign(data: DataInput, opts?: SignOptions): Promise<Buffer> {
    const { format, prehashed } = signOptions(opts);
    const bytes = toBytes(data, 'data');
    checkDigest(bytes, prehashed);
    const { handle } = this.#usable();
    // A message is signed in line: no promise but the one this method returns.
    if (!prehashed) return finishSignature(handle.signMessage(bytes), format, 'der');
    const raw = await handle.signRaw(bytes, true);
    return finishSignature(raw.bytes, format, raw.encoding);
  }

  /** Verifies with the current public key; false for a wrong or malformed signature. */
  verify(data: DataInput, signature: ArrayBufferView | ArrayBuffer, opts?: SignOptions): boolean {
    return verifyWithKey(this.#last.publicKey, data, signature, opts);
  }

  exportPublicKey(format: 'pem'): string;
  exportPublicKey(format: 'jwk'): JsonWebKey;
  exportPublicKey(format: 'spki' | 'raw'): Buffer;
  exportPublicKey(format: PublicKeyFormat): string | Buffer | JsonWebKey;
  exportPublicKey(format: PublicKeyFormat): string | Buffer | JsonWebKey {
    return exportPublicKey(this.#last.raw, format);
  }

  /**
   * The private key as PKCS#8 PEM, for what needs it as text (a TLS stack, a file you chose to
   * write). From here on its safekeeping is yours; the library never writes it.
   */
  exportPrivateKey(): string {
    return this.#usable().privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
  }

  /** `{ key, cert }` for https.request / tls.connect: the private key and the chain, as PEM. */
  tlsOptions(): { key: string; cert: string } {
    return { key: this.exportPrivateKey(), cert: this.certificateChain('pem') };
  }

  /** A new key and certificate now; signers switch once they are ready. */
  renew(): Promise<void> {
    if (this.#closed) return Promise.reject(closedError());
    this.#renewing ??= (async () => {
      try {
        const next = await newSession(this.#root, this.#settings);
        if (this.#closed) return;
        this.#live = next;
        this.#last = next.session;
        registerDevicePoint(this, next.session.raw);
        this.#schedule();
      } finally {
        this.#renewing = undefined;
      }
    })();
    return this.#renewing;
  }

  /** What it is, honestly: a software key in this process's memory, until when, rooted where. */
  describe(): SessionKeyDescription {
    const s = this.#last;
    const root = this.root;
    const state = this.#closed ? 'closed' : this.expired ? 'expired' : 'active';
    const notAfter = s.notAfter.toISOString();
    return {
      kind: 'session-key',
      algorithm: 'ECDSA-P256',
      storage: 'process-memory',
      hardwareBacked: false,
      extractable: true,
      persisted: false,
      state,
      notBefore: s.notBefore.toISOString(),
      notAfter,
      extendedKeyUsage: [...(s.certificate.keyUsage ?? [])],
      serialNumber: s.certificate.serialNumber,
      autoRenew: this.#settings.renew,
      root,
      summary:
        `a software P-256 key in this process's memory only (never written to disk by device-keystore), ` +
        `${state === 'active' ? 'valid until' : state === 'expired' ? 'expired at' : 'closed; it was valid until'} ${notAfter}` +
        `${this.#settings.renew && state === 'active' ? ' and renewed ahead of that' : ''}, ` +
        `certified by device key "${root.alias}" (${root.tier}, ${root.hardwareBacked ? 'hardware-backed' : 'not hardware-backed'}, deviceId ${root.deviceId}); ` +
        'anyone who can read this process can use it until it expires',
    };
  }

  /** Drops the private key and stops renewing. Signing afterwards fails with E_CLOSED. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#live = undefined;
    clearTimeout(this.#renewTimer);
    clearTimeout(this.#expiryTimer);
    this.#unregister?.();
    forgotten.unregister(this);
  }

  [inspect.custom](): string {
    const { alias, tier } = this.#root;
    return `SessionKey { root: '${alias}' (${tier}), notAfter: '${this.#last.notAfter.toISOString()}', state: '${this.describe().state}' }`;
  }

  #usable(): Live {
    const s = this.#live;
    if (s !== undefined && Date.now() < s.session.expiresAt) return s;
    if (this.#closed) throw closedError();
    throw new KeystoreError(
      'E_SESSION_EXPIRED',
      `this session key expired at ${this.#last.notAfter.toISOString()}`,
      { hint: 'make a new one with deviceKey.delegate(), or pass renew: true' },
    );
  }

  /** Timers for the current session: drop it at expiry, renew it ahead of that. */
  #schedule(delayRenewMs?: number): void {
    const s = this.#live?.session;
    if (s === undefined) return;
    // The timers hold the session only weakly, so that an unreferenced one can be collected.
    const self = new WeakRef(this);
    clearTimeout(this.#expiryTimer);
    this.#expiryTimer = setTimeout(() => {
      const me = self.deref();
      if (me) me.#expire(s);
    }, s.expiresAt - Date.now());
    this.#expiryTimer.unref();
    if (!this.#settings.renew) return;
    clearTimeout(this.#renewTimer);
    const at = delayRenewMs ?? s.expiresAt - this.#settings.renewBeforeMs - Date.now();
    this.#renewTimer = setTimeout(
      () => {
        const me = self.deref();
        if (me) me.#renewInBackground(s);
      },
      Math.max(0, at),
    );
    this.#renewTimer.unref();
  }

  #expire(s: Session): void {
    if (this.#live?.session === s) this.#live = undefined;
  }

  #renewInBackground(s: Session): void {
    this.renew().catch((err: unknown) => {
      this.#settings.onRenewError?.(err);
      const left = s.expiresAt - Date.now();
      if (!this.#closed && this.#live?.session === s && left > 0) {
        this.#schedule(Math.min(RENEW_RETRY_MS, Math.floor(left / 2)));
      }
    });
  }
}

function closedError(): KeystoreError {
  return new KeystoreError('E_CLOSED', 'this session key was closed', {
    hint: 'make a new one with deviceKey.delegate()',
  });
}
