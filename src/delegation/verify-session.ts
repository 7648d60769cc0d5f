import { X509Certificate, type KeyObject } from 'node:crypto';
import { KeystoreError, invalidArgument, received } from '../core/errors';
import { deviceIdOf } from '../crypto/device-id';
import { parsePeerPublicKey, publicKeyObjectFromRaw, type PublicKeyInput } from '../crypto/p256';
import {
  CertificateReadError,
  EXTENSION_OID,
  readBasicConstraints,
  readCertificate,
  readKeyUsage,
  type ReadCertificate,
} from '../crypto/x509-read';
import {
  CLIENT_AUTH,
  MAX_SESSION_WINDOW_MS,
  checkOptionKeys,
  clockSkew,
  purposeOid,
} from './options';

/**
 * The server's side: is this session certificate one that this device key issued, valid now,
 * for this purpose? Signatures and issuers are node:crypto's X509Certificate (OpenSSL's
 * X509_verify and X509_check_issued). What it reads leniently or not at all, the times, the
 * signature algorithm and the extensions, src/crypto/x509-read.ts reads strictly from the DER,
 * so that anything unreadable fails closed.
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
  /**
   * How far this machine's clock may be from the issuer's: milliseconds or a duration ("30s"),
   * 0 to 10 minutes. Both ends of each validity window are widened by it. Default 60 s.
   */
  clockSkew?: number | string;
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
  | 'algorithm'
  | 'extensions'
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

/** Reads what node's X509Certificate reads leniently: times, algorithm, extensions (RFC 5280). */
function strictlyRead(cert: X509Certificate, what: string): ReadCertificate {
  try {
    return readCertificate(cert.raw);
  } catch (err) {
    if (err instanceof CertificateReadError) throw failed(err.check, `${what}: ${err.message}`);
    throw err;
  }
}

const KNOWN_EXTENSIONS = new Set<string>(Object.values(EXTENSION_OID));
const DIGITAL_SIGNATURE = 0;
const KEY_CERT_SIGN = 5;

interface Profile {
  ca: boolean;
  pathLen?: number;
  keyUsage: Set<number>;
}

/**
 * The extensions both kinds of certificate must get right: no unknown critical one (RFC 5280
 * §4.2), keyUsage present with digitalSignature, and keyCertSign exactly when basicConstraints
 * says CA (§4.2.1.3, §4.2.1.9).
 */
function profileOf(read: ReadCertificate, what: string): Profile {
  const byOid = new Map(read.extensions.map((e) => [e.oid, e]));
  for (const e of read.extensions) {
    if (e.critical && !KNOWN_EXTENSIONS.has(e.oid)) {
      throw failed('extensions', `${what} has an unknown critical extension ${e.oid}`);
    }
  }
  let basic: { ca: boolean; pathLen?: number } = { ca: false };
  const ku = byOid.get(EXTENSION_OID.keyUsage);
  const bc = byOid.get(EXTENSION_OID.basicConstraints);
  let keyUsage: Set<number>;
  try {
    if (bc) basic = readBasicConstraints(bc.value);
    if (!ku) throw failed('constraints', `${what} has no keyUsage extension`);
    keyUsage = readKeyUsage(ku.value);
  } catch (err) {
    if (err instanceof CertificateReadError) throw failed(err.check, `${what}: ${err.message}`);
    throw err;
  }
  if (!keyUsage.has(DIGITAL_SIGNATURE)) {
    throw failed('constraints', `${what}'s keyUsage lacks digitalSignature`);
  }
  if (keyUsage.has(KEY_CERT_SIGN) && !basic.ca) {
    throw failed('constraints', `${what} allows keyCertSign but basicConstraints does not say CA`);
  }
  if (basic.ca && !keyUsage.has(KEY_CERT_SIGN)) {
    throw failed('constraints', `${what} is a CA whose keyUsage lacks keyCertSign`);
  }
  if (basic.ca && !bc?.critical) {
    throw failed('constraints', `${what}'s basicConstraints must be critical in a CA certificate`);
  }
  return { ...basic, keyUsage };
}

function checkValidity(read: ReadCertificate, at: Date, skewMs: number, what: string): void {
  const t = at.getTime();
  if (read.notAfter < read.notBefore) {
    throw failed('validity', `${what} ends before it begins`);
  }
  if (t < read.notBefore.getTime() - skewMs) {
    throw failed('validity', `${what} is not valid before ${read.notBefore.toISOString()}`);
  }
  if (t > read.notAfter.getTime() + skewMs) {
    throw failed('validity', `${what} expired at ${read.notAfter.toISOString()}`);
  }
}

/** The device key and how to check that it issued `session`. */
function deviceSide(
  opts: VerifySessionOptions,
  at: Date,
  skewMs: number,
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
  const what = 'the device certificate';
  const read = strictlyRead(device, what);
  // The key before node is asked anything: it aborts on some malformed EC keys (DESIGN §8).
  let raw: Buffer;
  try {
    raw = parsePeerPublicKey(device.publicKey, 'the device certificate key');
  } catch {
    throw failed('device-certificate', 'the device certificate does not hold a P-256 key');
  }
  const profile = profileOf(read, what);
  if (!profile.ca || profile.pathLen !== 0) {
    throw failed(
      'device-certificate',
      'the device certificate is not a CA certificate with pathLenConstraint 0',
    );
  }
  // X509_check_issued on itself: self-issued, and its keyUsage allows certificate signing.
  if (!device.checkIssued(device) || !device.verify(device.publicKey)) {
    throw failed(
      'device-certificate',
      'the device certificate is not a self-signed CA certificate allowed to sign certificates',
    );
  }
  checkValidity(read, at, skewMs, what);
  return { key: device.publicKey, deviceId: deviceIdOf(raw), issued: (s) => s.checkIssued(device) };
}

/**
 * Checks a session certificate against the device that should have issued it: format, the
 * signature algorithm (ecdsa-with-SHA256 only), the extensions (no unknown critical one, no
 * duplicate), the device certificate's own profile (self-signed CA, pathLenConstraint 0,
 * keyCertSign), the session's profile (not a CA, digitalSignature), issuer (name, key identifier,
 * keyCertSign), the device key's signature, the validity window read strictly from the DER (at
 * most 24 h long, widened by `clockSkew` at both ends), and the purpose. Returns the session's
 * public key, or throws E_CERTIFICATE_INVALID with `check` naming the first check that failed. A
 * chain (session then device, PEM) may be passed: its first certificate is the session's.
 */
export function verifySessionCertificate(
  sessionCertificate: CertificateInput,
  opts: VerifySessionOptions,
): VerifiedSession {
  checkOptionKeys(
    opts,
    ['deviceCertificate', 'devicePublicKey', 'purpose', 'at', 'clockSkew'],
    'verifySession',
  );
  const at = opts.at ?? new Date();
  if (!(at instanceof Date) || Number.isNaN(at.getTime()))
    throw invalidArgument('at must be a Date');
  const skewMs = clockSkew(opts.clockSkew);
  const purpose = purposeOid(opts.purpose ?? 'clientAuth');
  const session = parseCertificate(sessionCertificate, 'the session certificate');
  const what = 'the session certificate';
  const read = strictlyRead(session, what);
  const device = deviceSide(opts, at, skewMs);
  const profile = profileOf(read, what);
  if (profile.ca) throw failed('constraints', 'the session certificate is a CA certificate');
  if (!device.issued(session)) {
    throw failed('issuer', `the session certificate was not issued by device ${device.deviceId}`);
  }
  if (!session.verify(device.key)) {
    throw failed('signature', `the device key ${device.deviceId} did not sign it`);
  }
  checkValidity(read, at, skewMs, what);
  const { notBefore, notAfter } = read;
  if (notAfter.getTime() - notBefore.getTime() > MAX_SESSION_WINDOW_MS) {
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
