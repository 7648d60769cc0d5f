import { X509Certificate, type KeyObject } from 'node:crypto';
import { KeystoreError, invalidArgument, received } from '../errors';
import { deviceIdOf } from '../identity';
import { parsePeerPublicKey, publicKeyObjectFromRaw, type PublicKeyInput } from '../crypto/p256';
import { CLIENT_AUTH, MAX_SESSION_TTL_MS, checkOptionKeys, purposeOid } from './options';

/**
 * The server's side: is this session certificate one that this device key issued, valid now,
 * for this purpose? Every check on the certificates themselves is node:crypto's X509Certificate
 * (OpenSSL's X509_verify and X509_check_issued), none of it parsed by hand here.
 */

export type CertificateInput = string | Buffer | X509Certificate;

export interface VerifySessionOptions {
  /** The device certificate the server pinned at enrollment (PEM, DER or X509Certificate). */
  deviceCertificate?: CertificateInput;
  /** Or only the device's public key (any form verify() takes), when that is what was pinned. */
  devicePublicKey?: PublicKeyInput;
  /** The purpose the session must have been issued for (name or OID). Default clientAuth. */
  purpose?: string;
  /** The time to check validity at. Default now. */
  at?: Date;
}

export interface VerifiedSession {
  /** The session's public key: verify its signatures with this. */
  publicKey: KeyObject;
  /** The deviceId of the device key that issued it. */
  deviceId: string;
  notBefore: Date;
  notAfter: Date;
  serialNumber: string;
  /** Every extended key usage in the certificate, as OIDs. */
  extendedKeyUsage: string[];
  certificate: X509Certificate;
}

/** The checks, in the order they run; E_CERTIFICATE_INVALID's `check` is one of them. */
export type SessionCheck =
  | 'format'
  | 'device-certificate'
  | 'constraints'
  | 'issuer'
  | 'signature'
  | 'validity'
  | 'purpose'
  | 'key';

function failed(check: SessionCheck, message: string): KeystoreError {
  return new KeystoreError('E_CERTIFICATE_INVALID', `session certificate refused: ${message}`, {
    check,
  });
}

function parseCertificate(input: unknown, what: string): X509Certificate {
  if (input instanceof X509Certificate) return input;
  if (typeof input !== 'string' && !Buffer.isBuffer(input)) {
    throw invalidArgument(`${what} must be PEM, DER or an X509Certificate. ${received(input)}`);
  }
  try {
    return new X509Certificate(input);
  } catch (err) {
    throw failed('format', `${what} is not an X.509 certificate (${(err as Error).message})`);
  }
}

function dateOf(text: string): Date {
  return new Date(text);
}

function checkValidity(cert: X509Certificate, at: Date, what: string): void {
  const from = dateOf(cert.validFrom);
  const to = dateOf(cert.validTo);
  if (at < from) throw failed('validity', `${what} is not valid before ${from.toISOString()}`);
  if (at > to) throw failed('validity', `${what} expired at ${to.toISOString()}`);
}

/** The device key and how to check that it issued `session`. */
function deviceSide(
  opts: VerifySessionOptions,
  at: Date,
): { key: KeyObject; deviceId: string; issued: (session: X509Certificate) => boolean } {
  if ((opts.deviceCertificate === undefined) === (opts.devicePublicKey === undefined)) {
    throw invalidArgument('give exactly one of deviceCertificate and devicePublicKey');
  }
  if (opts.devicePublicKey !== undefined) {
    const raw = parsePeerPublicKey(opts.devicePublicKey, 'devicePublicKey');
    const deviceId = deviceIdOf(raw);
    return {
      key: publicKeyObjectFromRaw(raw),
      deviceId,
      // Without the device certificate, the issuer's name is what ties the two together.
      issued: (s) => s.issuer.split('\n').includes(`CN=${deviceId}`),
    };
  }
  const device = parseCertificate(opts.deviceCertificate, 'the device certificate');
  // The key first: node aborts on some malformed EC keys once asked about them (DESIGN §8).
  let raw: Buffer;
  try {
    raw = parsePeerPublicKey(device.publicKey, 'the device certificate key');
  } catch {
    throw failed('device-certificate', 'the device certificate does not hold a P-256 key');
  }
  // X509_check_issued on itself: self-issued, and its keyUsage allows certificate signing.
  if (!device.ca || !device.checkIssued(device) || !device.verify(device.publicKey)) {
    throw failed(
      'device-certificate',
      'the device certificate is not a self-signed CA certificate allowed to sign certificates',
    );
  }
  checkValidity(device, at, 'the device certificate');
  return { key: device.publicKey, deviceId: deviceIdOf(raw), issued: (s) => s.checkIssued(device) };
}

/**
 * Checks a session certificate against the device that should have issued it: format, the
 * device certificate's own constraints, end-entity constraints, issuer (name, key identifier,
 * keyCertSign), the device key's signature, the validity window (at most 24 h long), and the
 * purpose. Returns the session's public key, or throws E_CERTIFICATE_INVALID with `check` naming
 * the first check that failed. A chain (session then device, PEM) may be passed: its first
 * certificate is the session's.
 */
export function verifySessionCertificate(
  sessionCertificate: CertificateInput,
  opts: VerifySessionOptions,
): VerifiedSession {
  checkOptionKeys(opts, ['deviceCertificate', 'devicePublicKey', 'purpose', 'at'], 'verifySession');
  const at = opts.at ?? new Date();
  if (!(at instanceof Date) || Number.isNaN(at.getTime()))
    throw invalidArgument('at must be a Date');
  const purpose = purposeOid(opts.purpose ?? 'clientAuth');
  const session = parseCertificate(sessionCertificate, 'the session certificate');
  const device = deviceSide(opts, at);
  if (session.ca) throw failed('constraints', 'the session certificate is a CA certificate');
  if (!device.issued(session)) {
    throw failed('issuer', `the session certificate was not issued by device ${device.deviceId}`);
  }
  if (!session.verify(device.key)) {
    throw failed('signature', `the device key ${device.deviceId} did not sign it`);
  }
  checkValidity(session, at, 'the session certificate');
  const notBefore = dateOf(session.validFrom);
  const notAfter = dateOf(session.validTo);
  if (notAfter.getTime() - notBefore.getTime() > MAX_SESSION_TTL_MS) {
    throw failed('constraints', 'its validity is longer than 24 h, more than a session may have');
  }
  const eku = session.keyUsage ?? [];
  for (const needed of new Set([CLIENT_AUTH, purpose])) {
    if (!eku.includes(needed)) {
      throw failed(
        'purpose',
        `it is not issued for ${needed} (it has: ${eku.join(', ') || 'none'})`,
      );
    }
  }
  let raw: Buffer;
  try {
    raw = parsePeerPublicKey(session.publicKey, 'the session key');
  } catch {
    throw failed('key', 'the session certificate does not hold a valid P-256 key');
  }
  return {
    publicKey: publicKeyObjectFromRaw(raw),
    deviceId: device.deviceId,
    notBefore,
    notAfter,
    serialNumber: session.serialNumber,
    extendedKeyUsage: [...eku],
    certificate: session,
  };
}
