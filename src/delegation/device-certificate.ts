import { randomBytes, X509Certificate } from 'node:crypto';
import { invalidArgument } from '../core/errors';
import { deviceIdOf } from '../crypto/device-id';
import { issueCertificate, type NameParts } from '../crypto/x509';
import { NOT_BEFORE_BACKDATE_MS, checkOptionKeys } from './options';

/**
 * The device certificate: the trust anchor a server pins at enrollment. Self-signed by the
 * device key inside its tier, a CA for exactly one level (session certificates), subject CN =
 * the key's deviceId (base64url SHA-256 of its SPKI).
 */

/** What can sign a certificate: a DeviceKey, as far as certificates need one. */
export interface CertificateSigner {
  /** The uncompressed P-256 point. */
  readonly rawPublicKey: Buffer;
  /** A DER, low-S ECDSA P-256/SHA-256 signature over `tbs`, made by the key in its tier. */
  signCertificate(tbs: Buffer): Promise<Buffer>;
}

export interface DeviceCertificateOptions {
  /** How many days it is valid from now. Default 365, at most 3650. */
  days?: number;
  /** The key's PIN, for a key made with one (its certifying key has the same PIN). */
  pin?: string | Uint8Array;
}

export const DEFAULT_DEVICE_CERT_DAYS = 365;
const MAX_DEVICE_CERT_DAYS = 3650;
const DAY_MS = 86_400_000;

export function deviceName(deviceId: string): NameParts {
  return { organization: 'device-keystore', commonName: deviceId };
}

/** A random positive serial of 16 bytes (126 bits of randomness), as RFC 5280 asks. */
export function randomSerial(): Buffer {
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x40;
  return serial;
}

/** Now, to the whole second: X.509 times have no fraction. */
export function wholeSecondNow(): Date {
  return new Date(Math.floor(Date.now() / 1000) * 1000);
}

/** notBefore for a certificate issued at `now` (see NOT_BEFORE_BACKDATE_MS). */
export function backdated(now: Date): Date {
  return new Date(now.getTime() - NOT_BEFORE_BACKDATE_MS);
}

export function deviceCertificateDays(opts: DeviceCertificateOptions | undefined): number {
  if (opts === undefined) return DEFAULT_DEVICE_CERT_DAYS;
  checkOptionKeys(opts, ['days', 'pin'], 'certificate');
  const { days = DEFAULT_DEVICE_CERT_DAYS } = opts;
  if (!Number.isSafeInteger(days) || days < 1 || days > MAX_DEVICE_CERT_DAYS) {
    throw invalidArgument(`days must be a whole number from 1 to ${MAX_DEVICE_CERT_DAYS}`);
  }
  return days;
}

export async function issueDeviceCertificate(
  signer: CertificateSigner,
  days: number,
): Promise<X509Certificate> {
  const name = deviceName(deviceIdOf(signer.rawPublicKey));
  const now = wholeSecondNow();
  const der = await issueCertificate(
    {
      serial: randomSerial(),
      issuer: name,
      subject: name,
      notBefore: backdated(now),
      notAfter: new Date(now.getTime() + days * DAY_MS),
      subjectKey: signer.rawPublicKey,
      issuerKey: signer.rawPublicKey,
      ca: true,
      keyUsage: ['digitalSignature', 'keyCertSign'],
    },
    (tbs) => signer.signCertificate(tbs),
  );
  return new X509Certificate(der);
}

/**
 * The anchor a certifying key's sessions chain to: one device certificate, made on first use and
 * made again only when a session would outlive it, so every session of a key shares one chain.
 */
export class AnchorCertificate {
  #current: Promise<X509Certificate> | undefined;

  /** A device certificate valid at least until `until`; `signer` makes a new one if needed. */
  async validUntil(until: Date, signer: CertificateSigner): Promise<X509Certificate> {
    const current = await this.#current?.catch(() => undefined);
    if (current && new Date(current.validTo) > until) return current;
    this.#current = issueDeviceCertificate(signer, DEFAULT_DEVICE_CERT_DAYS);
    return this.#current;
  }
}
