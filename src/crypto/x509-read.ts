import { TAG } from './der';
import { readDerElement, type DerElement } from './p256';

/**
 * A strict reader for the parts of an X.509 certificate that node:crypto reads leniently or not
 * at all: the signature algorithm (both copies), the validity times straight from the DER, and
 * the extensions as a list (so duplicates and criticality can be seen). Node's X509Certificate
 * still does the signature and issuer checks; this only refuses what it would let through.
 */

/** Which part of a certificate a reading failure is about. */
export type ReadCheck = 'format' | 'algorithm' | 'validity' | 'extensions';

export class CertificateReadError extends Error {
  constructor(
    readonly check: ReadCheck,
    message: string,
  ) {
    super(message);
  }
}

export const EXTENSION_OID = Object.freeze({
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
});

export interface ReadExtension {
  oid: string;
  critical: boolean;
  value: Buffer;
}

export interface ReadCertificate {
  notBefore: Date;
  notAfter: Date;
  /** In the order written; duplicates are refused while reading. */
  extensions: ReadExtension[];
}

/** AlgorithmIdentifier { ecdsa-with-SHA256 } with parameters absent (RFC 5758 §3.2). */
const ECDSA_WITH_SHA256 = Buffer.from('300a06082a8648ce3d040302', 'hex');

function element(buf: Buffer, offset: number, tag: number, what: string): DerElement {
  let el: DerElement;
  try {
    el = readDerElement(buf, offset, what);
  } catch (err) {
    throw new CertificateReadError('format', (err as Error).message);
  }
  if (el.tag !== tag) {
    throw new CertificateReadError('format', `${what}: expected tag 0x${tag.toString(16)}`);
  }
  return el;
}

/** The elements of a constructed body, in order, each with its tag. */
function children(body: Buffer, what: string): DerElement[] {
  const out: DerElement[] = [];
  for (let at = 0; at < body.length; ) {
    let el: DerElement;
    try {
      el = readDerElement(body, at, what);
    } catch (err) {
      throw new CertificateReadError('format', (err as Error).message);
    }
    out.push(el);
    at = el.end;
  }
  return out;
}

function dottedOid(body: Buffer): string {
  const arcs: number[] = [];
  let v = 0;
  for (const b of body) {
    v = v * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      arcs.push(v);
      v = 0;
    }
  }
  const first = arcs.shift() ?? 0;
  const head = first < 80 ? [Math.floor(first / 40), first % 40] : [2, first - 80];
  return [...head, ...arcs].join('.');
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * An X.509 Time exactly as RFC 5280 §4.1.2.5 allows it: UTCTime YYMMDDHHMMSSZ (YY ≥ 50 is 19YY,
 * else 20YY) or GeneralizedTime YYYYMMDDHHMMSSZ for 2050 on; no offsets, no fractions, no
 * missing seconds, every field in range.
 */
export function readX509Time(el: DerElement, what: string): Date {
  const text = el.body.toString('latin1');
  let digits: string;
  if (el.tag === TAG.UTC_TIME && /^\d{12}Z$/.test(text)) {
    const yy = Number(text.slice(0, 2));
    digits = `${yy >= 50 ? '19' : '20'}${text.slice(0, 12)}`;
  } else if (el.tag === TAG.GENERALIZED_TIME && /^\d{14}Z$/.test(text)) {
    digits = text.slice(0, 14);
    if (Number(digits.slice(0, 4)) < 2050) {
      throw new CertificateReadError(
        'validity',
        `${what} is a GeneralizedTime before 2050, which RFC 5280 writes as UTCTime`,
      );
    }
  } else {
    const kind =
      el.tag === TAG.UTC_TIME
        ? 'UTCTime'
        : el.tag === TAG.GENERALIZED_TIME
          ? 'GeneralizedTime'
          : `tag 0x${el.tag.toString(16)}`;
    throw new CertificateReadError(
      'validity',
      `${what} is not a valid X.509 time (${kind} ${JSON.stringify(text.slice(0, 32))}; RFC 5280 wants YYMMDDHHMMSSZ or YYYYMMDDHHMMSSZ)`,
    );
  }
  const [year, month, day, hour, minute, second] = [0, 4, 6, 8, 10, 12].map((i, n) =>
    Number(digits.slice(i, n === 0 ? 4 : i + 2)),
  ) as [number, number, number, number, number, number];
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const monthDays = month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1];
  if (
    monthDays === undefined ||
    day < 1 ||
    day > monthDays ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  ) {
    throw new CertificateReadError(
      'validity',
      `${what} is not a real date and time (${JSON.stringify(text)})`,
    );
  }
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second));
}

function readExtensions(body: Buffer): ReadExtension[] {
  const seen = new Set<string>();
  const out: ReadExtension[] = [];
  const list = element(body, 0, TAG.SEQUENCE, 'extensions');
  if (list.end !== body.length)
    throw new CertificateReadError('format', 'extensions: trailing bytes');
  for (const ext of children(list.body, 'extension')) {
    if (ext.tag !== TAG.SEQUENCE)
      throw new CertificateReadError('format', 'extension: not a SEQUENCE');
    const parts = children(ext.body, 'extension');
    const [id, second, third] = parts;
    if (!id || id.tag !== TAG.OID) throw new CertificateReadError('format', 'extension: no OID');
    let critical = false;
    let value = second;
    if (second?.tag === TAG.BOOLEAN) {
      // DER: DEFAULT FALSE is left out, and TRUE is 0xFF.
      if (second.body.length !== 1 || second.body[0] !== 0xff) {
        throw new CertificateReadError('format', 'extension: critical must be DER TRUE or absent');
      }
      critical = true;
      value = third;
    }
    if (!value || value.tag !== TAG.OCTET_STRING || parts.length !== (critical ? 3 : 2)) {
      throw new CertificateReadError('format', 'extension: bad structure');
    }
    const oid = dottedOid(id.body);
    if (seen.has(oid)) {
      throw new CertificateReadError(
        'extensions',
        `extension ${oid} appears twice (RFC 5280 §4.2)`,
      );
    }
    seen.add(oid);
    out.push({ oid, critical, value: value.body });
  }
  return out;
}

/** Reads a DER certificate; throws CertificateReadError naming the part that is wrong. */
export function readCertificate(der: Buffer): ReadCertificate {
  const cert = element(der, 0, TAG.SEQUENCE, 'certificate');
  if (cert.end !== der.length)
    throw new CertificateReadError('format', 'certificate: trailing bytes');
  const [tbs, outerAlg, signature, extra] = children(cert.body, 'certificate');
  if (!tbs || !outerAlg || !signature || extra) {
    throw new CertificateReadError('format', 'certificate: not three fields');
  }
  const fields = children(tbs.body, 'TBSCertificate');
  let i = 0;
  if (fields[0]?.tag !== (TAG.CONTEXT | 0)) {
    throw new CertificateReadError('format', 'not an X.509 v3 certificate');
  }
  const version = element(fields[i++]!.body, 0, TAG.INTEGER, 'version');
  if (version.body.length !== 1 || version.body[0] !== 2) {
    throw new CertificateReadError('format', 'not an X.509 v3 certificate');
  }
  i++; // serialNumber
  const innerAlg = fields[i++];
  for (const alg of [innerAlg, outerAlg]) {
    if (!alg || alg.tag !== TAG.SEQUENCE || !encoded(alg).equals(ECDSA_WITH_SHA256)) {
      throw new CertificateReadError(
        'algorithm',
        'its signature algorithm is not ecdsa-with-SHA256 (the only one a device key signs with)',
      );
    }
  }
  i++; // issuer
  const validity = fields[i++];
  if (!validity || validity.tag !== TAG.SEQUENCE) {
    throw new CertificateReadError('format', 'validity: not a SEQUENCE');
  }
  const times = children(validity.body, 'validity');
  if (times.length !== 2) throw new CertificateReadError('format', 'validity: not two times');
  const notBefore = readX509Time(times[0]!, 'notBefore');
  const notAfter = readX509Time(times[1]!, 'notAfter');
  i += 2; // subject, subjectPublicKeyInfo
  const rest = fields.slice(i);
  const exts = rest.find((f) => f.tag === (TAG.CONTEXT | 3));
  return { notBefore, notAfter, extensions: exts ? readExtensions(exts.body) : [] };
}

function encoded(el: DerElement): Buffer {
  // The element re-encoded from its parts: DER has one encoding, so this is its bytes.
  const len = el.body.length;
  const head =
    len < 0x80 ? Buffer.of(el.tag, len) : Buffer.concat([Buffer.of(el.tag), lengthBytes(len)]);
  return Buffer.concat([head, el.body]);
}

function lengthBytes(n: number): Buffer {
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** basicConstraints: cA and pathLenConstraint (undefined when absent). */
export function readBasicConstraints(value: Buffer): { ca: boolean; pathLen?: number } {
  const seq = element(value, 0, TAG.SEQUENCE, 'basicConstraints');
  if (seq.end !== value.length)
    throw new CertificateReadError('format', 'basicConstraints: trailing bytes');
  const parts = children(seq.body, 'basicConstraints');
  let ca = false;
  let at = 0;
  if (parts[at]?.tag === TAG.BOOLEAN) {
    if (parts[at]!.body.length !== 1 || parts[at]!.body[0] !== 0xff) {
      throw new CertificateReadError('format', 'basicConstraints: cA must be DER TRUE or absent');
    }
    ca = true;
    at++;
  }
  let pathLen: number | undefined;
  const p = parts[at];
  if (p) {
    if (
      p.tag !== TAG.INTEGER ||
      p.body.length !== 1 ||
      p.body[0]! > 0x7f ||
      at + 1 !== parts.length
    ) {
      throw new CertificateReadError('format', 'basicConstraints: bad pathLenConstraint');
    }
    pathLen = p.body[0];
  }
  return pathLen === undefined ? { ca } : { ca, pathLen };
}

/** keyUsage: the numbers of the bits that are set (0 = digitalSignature, 5 = keyCertSign). */
export function readKeyUsage(value: Buffer): Set<number> {
  const bits = element(value, 0, TAG.BIT_STRING, 'keyUsage');
  if (bits.end !== value.length || bits.body.length < 1 || bits.body[0]! > 7) {
    throw new CertificateReadError('format', 'keyUsage: bad BIT STRING');
  }
  const set = new Set<number>();
  for (let byte = 1; byte < bits.body.length; byte++) {
    for (let bit = 0; bit < 8; bit++) {
      if (bits.body[byte]! & (0x80 >> bit)) set.add((byte - 1) * 8 + bit);
    }
  }
  return set;
}
