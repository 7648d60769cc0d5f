import { createHash } from 'node:crypto';
import {
  bitString,
  boolean,
  explicit,
  namedBits,
  octetString,
  oid,
  sequence,
  smallInteger,
  tlv,
  unsignedInteger,
  utf8String,
  x509Time,
  TAG,
} from './der';
import { spkiDerFromRaw } from './p256';

/**
 * X.509 v3 certificates for P-256 keys, written as DER by hand (RFC 5280): the few fields and
 * extensions device and session certificates need. Nothing here signs: the caller signs the
 * TBSCertificate with its own key (inside its tier) and hands back a DER ECDSA signature.
 * Verifying certificates is node:crypto's X509Certificate; x509-read.ts reads the few fields it
 * reads leniently (times, algorithm, extensions).
 */

const OID = Object.freeze({
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  organizationalUnit: '2.5.4.11',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
});

/** keyUsage bit numbers (RFC 5280 §4.2.1.3). */
const KEY_USAGE_BIT = Object.freeze({ digitalSignature: 0, keyCertSign: 5 });

export type KeyUsage = keyof typeof KEY_USAGE_BIT;

/** A distinguished name as (attribute, value) pairs, most significant first: O, then OU, then CN. */
export interface NameParts {
  organization?: string;
  organizationalUnit?: string;
  commonName: string;
}

export function encodeName(name: NameParts): Buffer {
  const rdn = (type: string, value: string) => tlv(TAG.SET, sequence(oid(type), utf8String(value)));
  return sequence(
    ...(name.organization !== undefined ? [rdn(OID.organization, name.organization)] : []),
    ...(name.organizationalUnit !== undefined
      ? [rdn(OID.organizationalUnit, name.organizationalUnit)]
      : []),
    rdn(OID.commonName, name.commonName),
  );
}

/** RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey bits (the 65-byte point). */
export function keyIdentifier(raw65: Uint8Array): Buffer {
  return createHash('sha1').update(raw65).digest();
}

export interface CertificateFields {
  /** The serial's big-endian bytes: positive, at most 20 octets (RFC 5280 §4.1.2.2). */
  serial: Uint8Array;
  issuer: NameParts;
  subject: NameParts;
  notBefore: Date;
  notAfter: Date;
  /** The subject's public key, uncompressed P-256 point. */
  subjectKey: Uint8Array;
  /** The issuer's public key (the subject's own for a self-signed certificate). */
  issuerKey: Uint8Array;
  /** basicConstraints: a CA with pathLenConstraint 0, or an end entity. Always critical. */
  ca: boolean;
  /** keyUsage bits; the extension is critical. */
  keyUsage: readonly KeyUsage[];
  /** extendedKeyUsage OIDs (dotted); left out when empty. */
  extendedKeyUsage?: readonly string[];
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return sequence(oid(id), ...(critical ? [boolean(true)] : []), octetString(value));
}

const SIGNATURE_ALGORITHM = sequence(oid(OID.ecdsaWithSha256));

/** The TBSCertificate DER: what the issuer's key signs. */
export function encodeTbsCertificate(f: CertificateFields): Buffer {
  if (f.serial.length === 0 || f.serial.length > 20 || (f.serial[0]! & 0x80) !== 0) {
    throw new RangeError('the serial must be 1–20 bytes and positive');
  }
  const extensions = [
    extension(
      OID.basicConstraints,
      true,
      f.ca ? sequence(boolean(true), smallInteger(0)) : sequence(),
    ),
    extension(OID.keyUsage, true, namedBits(f.keyUsage.map((u) => KEY_USAGE_BIT[u]))),
    ...(f.extendedKeyUsage?.length
      ? [extension(OID.extKeyUsage, false, sequence(...f.extendedKeyUsage.map(oid)))]
      : []),
    extension(OID.subjectKeyIdentifier, false, octetString(keyIdentifier(f.subjectKey))),
    // [0] IMPLICIT KeyIdentifier: a primitive context tag.
    extension(OID.authorityKeyIdentifier, false, sequence(tlv(0x80, keyIdentifier(f.issuerKey)))),
  ];
  return sequence(
    explicit(0, smallInteger(2)), // v3
    unsignedInteger(f.serial),
    SIGNATURE_ALGORITHM,
    encodeName(f.issuer),
    sequence(x509Time(f.notBefore), x509Time(f.notAfter)),
    encodeName(f.subject),
    spkiDerFromRaw(f.subjectKey),
    explicit(3, sequence(...extensions)),
  );
}

/** The whole certificate: TBSCertificate, algorithm, and the issuer's DER ECDSA signature. */
export function encodeCertificate(tbs: Uint8Array, derSignature: Uint8Array): Buffer {
  return sequence(tbs, SIGNATURE_ALGORITHM, bitString(derSignature));
}

/**
 * Builds and signs a certificate: `sign` receives the TBSCertificate and returns a DER ECDSA
 * P-256/SHA-256 signature over it, made by the issuer's key wherever that key lives.
 */
export async function issueCertificate(
  fields: CertificateFields,
  sign: (tbs: Buffer) => Promise<Buffer>,
): Promise<Buffer> {
  const tbs = encodeTbsCertificate(fields);
  return encodeCertificate(tbs, await sign(tbs));
}

export function pemOfCertificate(der: Uint8Array): string {
  const lines = Buffer.from(der)
    .toString('base64')
    .match(/.{1,64}/g)!;
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}
