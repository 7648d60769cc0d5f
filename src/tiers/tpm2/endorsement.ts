import { X509Certificate, createHash } from 'node:crypto';
import { tpmHash } from '../../attestation/kdf';
import type { NativeTpmConnection } from '../../addon/load';
import { isKeystoreError } from '../../core/errors';
import {
  TPM2_ALG,
  TPM2_ECC_NIST_P256,
  TPMA_OBJECT,
  marshalTpm2bEccPublic,
} from '../../crypto/tpm2-structures';
import {
  curveOf,
  keyObjectOf,
  nameOf,
  readTpmPublic,
  type TpmPublic,
} from '../../attestation/tpm-public';

/**
 * The TPM's endorsement, read as the TCG EK Credential Profile (2.5) lays it out: EKs persisted
 * at 0x81010000-0x810100FF, EK certificates in NV (0x01C00002 RSA-2048 and 0x01C0000A ECC P-256
 * in the low range; 0x01C00012-0x01C0001E in the high range), an EK certificate chain in
 * 0x01C00100-0x01C001FF. An EK a certificate names but the TPM did not persist is recreated
 * with TPM2_CreatePrimary from the default template of its index (the same key every time: it
 * derives from the endorsement seed). Nothing is fetched from the network.
 */

/** The TCG default EK policy: PolicySecret(TPM_RH_ENDORSEMENT), SHA-256. */
export const EK_POLICY_SHA256 = Buffer.from(
  '837197674484b3f81a90cc8d46a5d724fd52d76e06520b64f2a1da1b331469aa',
  'hex',
);

/** fixedTPM | fixedParent | sensitiveDataOrigin | adminWithPolicy | restricted | decrypt. */
export const EK_ATTRIBUTES =
  TPMA_OBJECT.fixedTPM |
  TPMA_OBJECT.fixedParent |
  TPMA_OBJECT.sensitiveDataOrigin |
  TPMA_OBJECT.adminWithPolicy |
  TPMA_OBJECT.restricted |
  TPMA_OBJECT.decrypt;

/** Template L-1: RSA-2048, AES-128-CFB, unique = 256 zero bytes. */
export function rsaEkTemplate(): Buffer {
  const body = Buffer.alloc(2 + 2 + 4 + 2 + 32 + 6 + 2 + 2 + 4 + 2 + 256);
  let o = 0;
  o = body.writeUInt16BE(TPM2_ALG.RSA, o);
  o = body.writeUInt16BE(TPM2_ALG.SHA256, o);
  o = body.writeUInt32BE(EK_ATTRIBUTES, o);
  o = body.writeUInt16BE(32, o);
  o += EK_POLICY_SHA256.copy(body, o);
  o = body.writeUInt16BE(TPM2_ALG.AES, o);
  o = body.writeUInt16BE(128, o);
  o = body.writeUInt16BE(TPM2_ALG.CFB, o);
  o = body.writeUInt16BE(TPM2_ALG.NULL, o); // scheme
  o = body.writeUInt16BE(2048, o);
  o = body.writeUInt32BE(0, o); // exponent: the default
  body.writeUInt16BE(256, o); // unique: 256 zero bytes follow
  const size = Buffer.alloc(2);
  size.writeUInt16BE(body.length);
  return Buffer.concat([size, body]);
}

/** Template L-2: ECC P-256, AES-128-CFB, unique = two 32-byte zero coordinates. */
export function eccEkTemplate(): Buffer {
  return marshalTpm2bEccPublic({
    nameAlg: TPM2_ALG.SHA256,
    objectAttributes: EK_ATTRIBUTES,
    authPolicy: EK_POLICY_SHA256,
    symmetric: { algorithm: TPM2_ALG.AES, keyBits: 128, mode: TPM2_ALG.CFB },
    scheme: { scheme: TPM2_ALG.NULL },
    curveId: TPM2_ECC_NIST_P256,
    kdf: { scheme: TPM2_ALG.NULL },
    x: Buffer.alloc(32),
    y: Buffer.alloc(32),
  });
}

/** EK certificate indices and the key type each one is for. */
const CERTIFICATE_INDICES: ReadonlyMap<number, string> = new Map([
  [0x01c00002, 'rsa-2048'],
  [0x01c0000a, 'ecc-p256'],
  [0x01c00012, 'rsa-2048'],
  [0x01c00014, 'ecc-p256'],
  [0x01c00016, 'ecc-p384'],
  [0x01c00018, 'ecc-p521'],
  [0x01c0001a, 'ecc-sm2'],
  [0x01c0001c, 'rsa-3072'],
  [0x01c0001e, 'rsa-4096'],
]);
/** The low-range indices whose EKs the default templates recreate. */
const DEFAULT_TEMPLATES: ReadonlyMap<number, () => Buffer> = new Map([
  [0x01c00002, rsaEkTemplate],
  [0x01c0000a, eccEkTemplate],
]);
const CHAIN_FIRST = 0x01c00100;
const CHAIN_LAST = 0x01c001ff;

export interface EndorsementKey {
  /** 'rsa-2048', 'ecc-p256', 'ecc-p384', ... */
  type: string;
  /** Persisted by the platform (handle), or recreated from the TCG default template. */
  source: 'persistent' | 'template';
  handle?: number;
  /** TPM2B_PUBLIC: what makeCredential and device-keystore verify-attestation take. */
  publicArea: Buffer;
  /** nameAlg ‖ H(TPMT_PUBLIC). */
  name: Buffer;
  /** SPKI PEM. */
  publicKey: string;
  /** The EK certificate for this key (PEM) and the NV index it came from. */
  certificate?: string;
  certificateIndex?: number;
}

export interface TpmEndorsement {
  keys: EndorsementKey[];
  /** The EK certificate chain the TPM stores (0x01C00100-0x01C001FF), PEM, as stored. */
  chain: string[];
  /** Set when the TPM holds no EK certificate: why, and where such TPMs publish theirs. */
  noCertificate?: { reason: string; hint: string };
  /** EK-range NV indices and objects that could not be read or parsed, and why. */
  unreadable: { index: number; reason: string }[];
}

export const NO_CERTIFICATE_HINT =
  'many firmware TPMs keep no EK certificate in NV: Intel PTT and AMD fTPM serve it from the ' +
  "manufacturer's service, keyed by the EK public (Intel: https://ekop.intel.com/ekcertservice/, " +
  'AMD: the AIA URL of its EK CA, https://ftpm.amd.com/pki/aia/); fetch it there with the EK ' +
  'public below (this library fetches nothing), or enroll the device by its EK public alone';

function typeOf(pub: TpmPublic): string {
  if (pub.type === TPM2_ALG.RSA) return `rsa-${pub.keyBits}`;
  const curve = curveOf(pub.curveId);
  return curve
    ? `ecc-${curve.jwk.replace('-', '').toLowerCase()}`
    : `ecc-0x${pub.curveId.toString(16)}`;
}

function pem(der: Buffer): string {
  const b64 = der.toString('base64').replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN CERTIFICATE-----\n${b64}-----END CERTIFICATE-----\n`;
}

/** The length of the DER SEQUENCE at `at` (header included), or undefined. */
function derLength(b: Buffer, at: number): number | undefined {
  if (b.length < at + 2 || b[at] !== 0x30) return undefined;
  const first = b[at + 1]!;
  if (first < 0x80) return 2 + first;
  const n = first & 0x7f;
  if (n === 0 || n > 3 || b.length < at + 2 + n) return undefined;
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + b[at + 2 + i]!;
  return 2 + n + len;
}

/**
 * The DER certificates in one NV index: one, or several back to back (the chain indices), with
 * the zero padding some vendors leave after them.
 */
export function certificatesIn(data: Buffer): X509Certificate[] {
  const out: X509Certificate[] = [];
  let at = 0;
  while (at < data.length && data[at] === 0x30 && out.length < 8) {
    const len = derLength(data, at);
    if (len === undefined || at + len > data.length)
      throw new Error('a DER length runs past the index');
    out.push(new X509Certificate(data.subarray(at, at + len)));
    at += len;
  }
  if (out.length === 0) throw new Error('no DER certificate in it');
  if (data.subarray(at).some((b) => b !== 0 && b !== 0xff)) {
    throw new Error('bytes that are not a certificate follow it');
  }
  return out;
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

export function endorsementKeyOf(
  publicArea: Buffer,
  source: EndorsementKey['source'],
  handle?: number,
): EndorsementKey {
  const pub = readTpmPublic(publicArea, 'ek-public', 'the EK public');
  return {
    type: typeOf(pub),
    source,
    ...(handle !== undefined ? { handle } : {}),
    publicArea,
    name: nameOf(pub, 'ek-public', 'the EK public'),
    publicKey: keyObjectOf(pub, 'ek-public', 'the EK public').export({
      format: 'pem',
      type: 'spki',
    }) as string,
  };
}

/**
 * Whether the EK's authPolicy is PolicySecret(TPM_RH_ENDORSEMENT) in its nameAlg, the policy
 * of the low-range templates, which activation satisfies: policyDigest = H(0…0 ‖
 * TPM_CC_PolicySecret ‖ Name(TPM_RH_ENDORSEMENT)), then H(that ‖ policyRef = empty).
 */
export function hasPolicySecretPolicy(publicArea: Buffer): boolean {
  const pub = readTpmPublic(publicArea, 'ek-public', 'the EK public');
  const hash = tpmHash(pub.nameAlg);
  if (!hash) return false;
  const tail = Buffer.from('000001514000000b', 'hex'); // TPM_CC_PolicySecret, TPM_RH_ENDORSEMENT
  const first = createHash(hash.name).update(Buffer.alloc(hash.size)).update(tail).digest();
  return createHash(hash.name).update(first).digest().equals(pub.authPolicy);
}

function reasonOf(err: unknown): string {
  return isKeystoreError(err) || err instanceof Error ? err.message : String(err);
}

/** Reads the endorsement (see the top of this file); EKs are recreated only when needed. */
export async function readEndorsement(conn: NativeTpmConnection): Promise<TpmEndorsement> {
  const raw = await conn.endorsement();
  const unreadable: TpmEndorsement['unreadable'] = [];
  const keys: EndorsementKey[] = [];
  for (const p of raw.persistent) {
    try {
      keys.push(endorsementKeyOf(p.publicBlob, 'persistent', p.handle));
    } catch (err) {
      unreadable.push({ index: p.handle, reason: reasonOf(err) });
    }
  }
  const chain: string[] = [];
  const certificates: { index: number; cert: X509Certificate }[] = [];
  for (const nv of raw.nv) {
    const isCert = CERTIFICATE_INDICES.has(nv.index);
    const isChain = nv.index >= CHAIN_FIRST && nv.index <= CHAIN_LAST;
    if (!isCert && !isChain) continue; // templates, nonces, policies
    if (!nv.data) {
      unreadable.push({
        index: nv.index,
        reason: 'not readable with the index or owner authorization',
      });
      continue;
    }
    try {
      const certs = certificatesIn(nv.data);
      if (isChain) chain.push(...certs.map((c) => pem(c.raw)));
      else certificates.push({ index: nv.index, cert: certs[0]! });
    } catch (err) {
      unreadable.push({ index: nv.index, reason: `not an X.509 certificate: ${reasonOf(err)}` });
    }
  }
  const spki = (k: EndorsementKey) => k.publicKey;
  for (const { index, cert } of certificates) {
    const certKey = cert.publicKey.export({ format: 'pem', type: 'spki' }) as string;
    let key = keys.find((k) => spki(k) === certKey);
    const template = DEFAULT_TEMPLATES.get(index);
    if (!key && template) {
      key = endorsementKeyOf(await conn.createEk(template()), 'template');
      if (spki(key) === certKey) keys.push(key);
      else key = undefined;
    }
    if (!key) {
      unreadable.push({
        index,
        reason: `the certificate's key is none of this TPM's EKs (${CERTIFICATE_INDICES.get(index)})`,
      });
      continue;
    }
    key.certificate = pem(cert.raw);
    key.certificateIndex = index;
  }
  if (keys.length === 0) {
    // No EK persisted and no certificate: the default EKs still exist, derived from the seed.
    for (const template of [rsaEkTemplate, eccEkTemplate]) {
      try {
        keys.push(endorsementKeyOf(await conn.createEk(template()), 'template'));
      } catch (err) {
        unreadable.push({ index: 0x4000000b, reason: reasonOf(err) });
      }
    }
  }
  const result: TpmEndorsement = { keys, chain, unreadable };
  if (certificates.length === 0) {
    result.noCertificate = {
      reason: `the TPM holds no EK certificate in NV (${[...CERTIFICATE_INDICES.keys()].map(hex).join(', ')})`,
      hint: NO_CERTIFICATE_HINT,
    };
  }
  return result;
}
