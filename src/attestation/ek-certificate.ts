import { X509Certificate, type KeyObject } from 'node:crypto';
import { invalidArgument } from '../core/errors';
import { attestationInvalid } from './errors';
import { keyObjectOf, readTpmPublic } from './tpm-public';

/** An EK certificate, its issuers or roots: PEM (one or more), DER, or X509Certificate. */
export type EkCertificateInput = string | Uint8Array | X509Certificate;

export interface VerifyEndorsementOptions {
  /** The roots the server trusts (the TPM vendors' CAs, or a test CA). */
  roots: readonly EkCertificateInput[];
  /** Issuing CAs between the EK certificate and a root, when not passed with it as a PEM chain. */
  intermediates?: readonly EkCertificateInput[];
  /** When given, the EK certificate must hold this key (TPMT_PUBLIC or TPM2B_PUBLIC of the EK). */
  ekPublic?: Uint8Array;
  /** The time to check validity at; now by default. */
  at?: Date;
}

/** What a valid EK certificate proves, as far as the roots are trusted. */
export interface VerifiedEndorsement {
  certificate: X509Certificate;
  /** The path from the EK certificate (first) to the root (last). */
  path: X509Certificate[];
  publicKey: KeyObject;
  /** From the TCG subjectAltName (tcg-at-tpmManufacturer, -Model, -Version), when present. */
  manufacturer?: string;
  model?: string;
  version?: string;
  /** The earliest notBefore and latest-starting notAfter along the path. */
  notBefore: Date;
  notAfter: Date;
}

const EK_EKU = '2.23.133.8.1';
const MAX_PATH = 8;
const MAX_INPUT_CERTS = 32;
const verified = new WeakSet<VerifiedEndorsement>();

/** True for an object verifyEkCertificate returned (and nobody built by hand). */
export function isVerifiedEndorsement(v: unknown): v is VerifiedEndorsement {
  return typeof v === 'object' && v !== null && verified.has(v as VerifiedEndorsement);
}

function certificatesOf(input: EkCertificateInput, what: string): X509Certificate[] {
  if (input instanceof X509Certificate) return [input];
  try {
    if (typeof input === 'string') {
      const blocks = input.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g);
      if (!blocks) throw new Error('no PEM certificate in it');
      if (blocks.length > MAX_INPUT_CERTS) throw new Error('too many certificates');
      return blocks.map((b) => new X509Certificate(b));
    }
    if (input instanceof Uint8Array) return [new X509Certificate(Buffer.from(input))];
  } catch (err) {
    throw attestationInvalid(
      'ek-certificate',
      `${what} is not an X.509 certificate (${(err as Error).message})`,
    );
  }
  throw invalidArgument(`${what} must be PEM, DER bytes or an X509Certificate`);
}

/** The TCG attributes in a subjectAltName directoryName, as node prints it (values as #DER hex). */
export function tcgDeviceAttributes(san: string | undefined): {
  manufacturer?: string;
  model?: string;
  version?: string;
} {
  const out: { manufacturer?: string; model?: string; version?: string } = {};
  if (!san || san.length > 4096) return out;
  const fields = { '1': 'manufacturer', '2': 'model', '3': 'version' } as const;
  const re = /2\.23\.133\.2\.([123])=(#[0-9A-Fa-f]{4,512}|[^,"\\]{1,256})/g;
  for (const m of san.matchAll(re)) {
    const key = fields[m[1] as '1' | '2' | '3'];
    let value = m[2]!;
    if (value.startsWith('#')) {
      const der = Buffer.from(value.slice(1), 'hex');
      // A string type with a short length: UTF8String, PrintableString, IA5String.
      if (der.length < 2 || der[1]! >= 0x80 || der[1]! + 2 !== der.length) continue;
      value = der.subarray(2).toString('utf8');
    }
    out[key] = value;
  }
  return out;
}

function dates(c: X509Certificate): { from: Date; to: Date } {
  return { from: new Date(c.validFrom), to: new Date(c.validTo) };
}

/**
 * Validates an EK certificate to the given roots: a path of issuers (each one's name and key
 * identifier, keyCertSign where keyUsage is present, CA:TRUE, and its signature), every
 * certificate of the path valid at `at`, the EK certificate itself not a CA and with the EK
 * extended key usage 2.23.133.8.1, and, if `ekPublic` is given, holding that key. The TCG
 * subjectAltName (critical in swtpm's and many vendors' certificates) is read and reported.
 * Throws E_ATTESTATION_INVALID with check 'ek-certificate', 'ek-chain', 'ek-validity' or
 * 'ek-public'.
 */
export function verifyEkCertificate(
  ekCertificate: EkCertificateInput,
  opts: VerifyEndorsementOptions,
): VerifiedEndorsement {
  const at = opts.at ?? new Date();
  if (!(at instanceof Date) || Number.isNaN(at.getTime()))
    throw invalidArgument('at must be a Date');
  if (!Array.isArray(opts.roots) || opts.roots.length === 0) {
    throw invalidArgument('roots must list at least one trusted EK root certificate');
  }
  const [leaf, ...given] = certificatesOf(ekCertificate, 'the EK certificate');
  const intermediates = [
    ...given,
    ...(opts.intermediates ?? []).flatMap((c) => certificatesOf(c, 'an EK intermediate')),
  ];
  const roots = opts.roots.flatMap((c) => certificatesOf(c, 'an EK root'));
  if (leaf!.ca)
    throw attestationInvalid('ek-certificate', 'the EK certificate is a CA certificate');
  if (!(leaf!.keyUsage ?? []).includes(EK_EKU)) {
    throw attestationInvalid(
      'ek-certificate',
      `the certificate lacks the EK extended key usage ${EK_EKU}`,
    );
  }
  const isRoot = (c: X509Certificate) => roots.some((r) => r.raw.equals(c.raw));
  const path = [leaf!];
  for (let cur = leaf!; !isRoot(cur); ) {
    if (path.length > MAX_PATH)
      throw attestationInvalid('ek-chain', `no path to a root within ${MAX_PATH} certificates`);
    const issuer = [...roots, ...intermediates].find(
      (c) => c !== cur && cur.checkIssued(c) && c.ca && cur.verify(c.publicKey),
    );
    if (!issuer) {
      throw attestationInvalid(
        'ek-chain',
        `no trusted CA issued ${path.length === 1 ? 'the EK certificate' : `"${cur.subject}"`} (issuer "${cur.issuer}")`,
      );
    }
    path.push(issuer);
    cur = issuer;
  }
  let notBefore = new Date(0);
  let notAfter = new Date(8.64e15);
  for (const c of path) {
    const { from, to } = dates(c);
    if (at < from || at > to) {
      throw attestationInvalid(
        'ek-validity',
        `"${c.subject.replace(/\n/g, ', ')}" is valid from ${from.toISOString()} to ${to.toISOString()}, not at ${at.toISOString()}`,
      );
    }
    if (from > notBefore) notBefore = from;
    if (to < notAfter) notAfter = to;
  }
  if (opts.ekPublic !== undefined) {
    const ek = keyObjectOf(
      readTpmPublic(opts.ekPublic, 'ek-public', 'the EK public'),
      'ek-public',
      'the EK public',
    );
    const spki = (k: KeyObject) => k.export({ format: 'der', type: 'spki' });
    if (!spki(ek).equals(spki(leaf!.publicKey))) {
      throw attestationInvalid(
        'ek-public',
        'the EK certificate holds another key than the EK public',
      );
    }
  }
  const result: VerifiedEndorsement = {
    certificate: leaf!,
    path,
    publicKey: leaf!.publicKey,
    ...tcgDeviceAttributes(leaf!.subjectAltName),
    notBefore,
    notAfter,
  };
  verified.add(result);
  return Object.freeze(result);
}
