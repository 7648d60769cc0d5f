import { KeyObject, createPublicKey, timingSafeEqual, verify } from 'node:crypto';
import { invalidArgument, isKeystoreError } from '../core/errors';
import { parsePeerPublicKey, publicKeyObjectFromRaw, type PublicKeyInput } from '../crypto/p256';
import { TPM2_ALG, TPM2_ECC_NIST_P256, TPMA_OBJECT } from '../crypto/tpm2-structures';
import { attestationInvalid, type AttestationCheck } from './errors';
import {
  isVerifiedEndorsement,
  verifyEkCertificate,
  type EkCertificateInput,
  type VerifiedEndorsement,
} from './ek-certificate';
import { tpmHash } from './kdf';
import { coseAlgFor, decodeTpmStatement } from './statement';
import { keyObjectOf, nameOf, padCoordinate, readTpmPublic, type TpmPublic } from './tpm-public';
import { parseCertifyAttestation, parseTpmSignature, type TpmsClockInfo } from './tpms-attest';

export interface VerifyKeyAttestationOptions {
  /** The qualifying data the server asked the TPM to sign in (1 to 64 bytes). */
  nonce: Uint8Array;
  /**
   * The AK as enrolled: its TPMT_PUBLIC or TPM2B_PUBLIC (preferred: then its attributes are
   * checked and its Name can be compared), or its SPKI key (PEM, DER or KeyObject).
   */
  akPublic: Uint8Array | string | KeyObject;
  /** The AK Name credential activation proved; akPublic must then be the AK's public area. */
  akName?: Uint8Array;
  /** The certified key's public key, when the server already has it: the pubArea must hold it. */
  publicKey?: PublicKeyInput;
  /** The device's EK certificate (PEM chain, DER or X509Certificate), validated to ekRoots. */
  ekCertificate?: EkCertificateInput;
  ekIntermediates?: readonly EkCertificateInput[];
  ekRoots?: readonly EkCertificateInput[];
  /** A result of verifyEkCertificate kept per device: the chain is then not validated again. */
  endorsement?: VerifiedEndorsement;
  /** The time validity is checked at; now by default. */
  at?: Date;
}

/** What a statement that passed every check proves. */
export interface VerifiedKeyAttestation {
  /** The certified key (P-256). */
  readonly publicKey: KeyObject;
  /** The same, as the 65-byte uncompressed point. */
  publicKeyRaw: Buffer;
  /** Its Name: nameAlg ‖ H(pubArea). */
  name: Buffer;
  objectAttributes: number;
  /**
   * certInfo's qualifiedSigner: the AK's qualified Name (its hierarchy, parents and Name hashed
   * together), as the TPM reported it. Not checked here: it needs the EK's public area too.
   */
  qualifiedSigner: Buffer;
  /** The AK's Name, when akPublic was a TPM public area. */
  akName?: Buffer;
  alg: number;
  clockInfo: TpmsClockInfo;
  firmwareVersion: bigint;
  /** The EK certificate path and the TPM it names, when one was checked. */
  endorsement?: VerifiedEndorsement;
  /** The statements this result stands for, in words. */
  proves: string[];
}

const KNOWN_OPTIONS = new Set([
  'nonce',
  'akPublic',
  'akName',
  'publicKey',
  'ekCertificate',
  'ekIntermediates',
  'ekRoots',
  'endorsement',
  'at',
]);

function bytes(v: unknown, what: string, min: number, max: number): Buffer {
  if (!(v instanceof Uint8Array) || v.length < min || v.length > max) {
    throw invalidArgument(`${what} must be ${min} to ${max} bytes`);
  }
  return Buffer.from(v.buffer, v.byteOffset, v.length);
}

interface Ak {
  key: KeyObject;
  pub?: TpmPublic;
  name?: Buffer;
}

/**
 * AKs already read, by their bytes: a server sees the same few thousand AKs again and again,
 * and reading one (parse, Name, a KeyObject whose point node checks) costs about as much as the
 * signature check itself. Bounded; only successes are kept, and the key is the whole input.
 */
const akCache = new Map<string, Ak>();
const AK_CACHE_SIZE = 4096;

function akOf(opts: VerifyKeyAttestationOptions): Ak {
  const input = opts.akPublic;
  const cacheable =
    (typeof input === 'string' || input instanceof Uint8Array) &&
    (opts.akName === undefined || opts.akName instanceof Uint8Array);
  if (!cacheable) return readAk(opts); // which refuses or reads it
  const id =
    (typeof input === 'string'
      ? 's' + input
      : 'b' + Buffer.from(input as Uint8Array).toString('latin1')) +
    '\0' +
    (opts.akName instanceof Uint8Array ? Buffer.from(opts.akName).toString('hex') : '');
  const hit = akCache.get(id);
  if (hit) return hit;
  const ak = readAk(opts);
  if (akCache.size >= AK_CACHE_SIZE) akCache.clear();
  akCache.set(id, ak);
  return ak;
}

function readAk(opts: VerifyKeyAttestationOptions): Ak {
  const input = opts.akPublic;
  if (input === undefined) throw invalidArgument('akPublic is required: the AK as enrolled');
  if (input instanceof Uint8Array) {
    // A TPM public area, or DER SPKI (which starts with a SEQUENCE tag 0x30).
    if (input[0] !== 0x30) {
      const pub = readTpmPublic(input, 'ak', 'akPublic');
      const needed = TPMA_OBJECT.restricted | TPMA_OBJECT.sign | TPMA_OBJECT.fixedTPM;
      if ((pub.objectAttributes & needed) !== needed) {
        // An unrestricted key signs any digest, so it could sign a forged TPMS_ATTEST.
        throw attestationInvalid('ak', 'akPublic is not a restricted, fixedTPM signing key');
      }
      const name = nameOf(pub, 'ak', 'akPublic');
      if (opts.akName !== undefined && !bytes(opts.akName, 'akName', 2, 66).equals(name)) {
        throw attestationInvalid('ak', 'akPublic does not have the Name the enrollment proved');
      }
      return { key: keyObjectOf(pub, 'ak', 'akPublic'), pub, name };
    }
  }
  if (opts.akName !== undefined) {
    throw invalidArgument('with akName, akPublic must be the AK public area (TPMT_PUBLIC)');
  }
  // A P-256 AK through the package's own key reader, which checks the point before node sees
  // it (DESIGN §8); anything else must be an RSA key.
  try {
    return { key: publicKeyObjectFromRaw(parsePeerPublicKey(input, 'akPublic')) };
  } catch {
    // not a P-256 key: try RSA below
  }
  try {
    const key =
      typeof input === 'string'
        ? createPublicKey(input)
        : input instanceof Uint8Array
          ? createPublicKey({ key: Buffer.from(input), format: 'der', type: 'spki' })
          : input;
    if (!(key instanceof KeyObject) || key.type !== 'public' || key.asymmetricKeyType !== 'rsa') {
      throw new Error('neither a P-256 nor an RSA public key');
    }
    return { key };
  } catch (err) {
    throw attestationInvalid('ak', `akPublic is not a usable key (${(err as Error).message})`);
  }
}

const ATTRIBUTE_CHECKS: ReadonlyArray<{
  check: AttestationCheck;
  bit: number;
  want: boolean;
  why: string;
}> = [
  {
    check: 'fixedTPM',
    bit: TPMA_OBJECT.fixedTPM,
    want: true,
    why: 'it could exist outside this TPM (made elsewhere, imported or duplicable)',
  },
  {
    check: 'fixedParent',
    bit: TPMA_OBJECT.fixedParent,
    want: true,
    why: 'it can be duplicated to another parent',
  },
  {
    check: 'sensitiveDataOrigin',
    bit: TPMA_OBJECT.sensitiveDataOrigin,
    want: true,
    why: 'the TPM did not generate its private key',
  },
  { check: 'sign', bit: TPMA_OBJECT.sign, want: true, why: 'it is not a signing key' },
  {
    check: 'restricted',
    bit: TPMA_OBJECT.restricted,
    want: false,
    why: 'a restricted key signs only TPM-made data',
  },
];

function checkAttributes(attributes: number): void {
  const failed = ATTRIBUTE_CHECKS.filter((a) => ((attributes & a.bit) !== 0) !== a.want);
  if (failed.length === 0) return;
  const says = failed.map((a) => `${a.check} is ${a.want ? 'clear' : 'set'}: ${a.why}`);
  throw attestationInvalid(
    failed[0]!.check,
    `the certified key's attributes 0x${attributes.toString(16).padStart(8, '0')} are not those of a TPM-bound key (${says.join('; ')})`,
  );
}

function checkSignature(ak: Ak, alg: number, sigBytes: Buffer, certInfo: Buffer): void {
  const sig = parseTpmSignature(sigBytes);
  if (coseAlgFor(sig.sigAlg, sig.hashAlg) !== alg) {
    throw attestationInvalid('alg', `alg ${alg} is not the scheme and hash of sig`);
  }
  const hash = tpmHash(sig.hashAlg)!.name;
  let ok: boolean;
  if (sig.sigAlg === TPM2_ALG.ECDSA) {
    if (ak.key.asymmetricKeyType !== 'ec')
      throw attestationInvalid('alg', 'an ECDSA signature from a non-EC AK');
    const size = ({ prime256v1: 32, secp384r1: 48, secp521r1: 66 } as Record<string, number>)[
      ak.key.asymmetricKeyDetails?.namedCurve ?? ''
    ];
    const r = size === undefined ? undefined : padCoordinate(sig.r, size);
    const s = size === undefined ? undefined : padCoordinate(sig.s, size);
    if (!r || !s)
      throw attestationInvalid('signature', 'the AK did not sign certInfo (r or s out of range)');
    ok = verify(hash, certInfo, { key: ak.key, dsaEncoding: 'ieee-p1363' }, Buffer.concat([r, s]));
  } else {
    if (ak.key.asymmetricKeyType !== 'rsa')
      throw attestationInvalid('alg', 'an RSASSA signature from a non-RSA AK');
    ok = verify(hash, certInfo, ak.key, sig.sig);
  }
  if (!ok) throw attestationInvalid('signature', 'the AK did not sign certInfo');
}

function endorsementOf(
  opts: VerifyKeyAttestationOptions,
  at: Date,
): VerifiedEndorsement | undefined {
  if (opts.endorsement !== undefined) {
    if (!isVerifiedEndorsement(opts.endorsement)) {
      throw invalidArgument('endorsement must be a result of verifyEkCertificate');
    }
    if (at < opts.endorsement.notBefore || at > opts.endorsement.notAfter) {
      throw attestationInvalid(
        'ek-validity',
        `the EK certificate path is not valid at ${at.toISOString()}`,
      );
    }
    return opts.endorsement;
  }
  if (opts.ekCertificate === undefined) {
    if (opts.ekRoots !== undefined) throw invalidArgument('ekRoots needs ekCertificate');
    return undefined;
  }
  if (opts.ekRoots === undefined)
    throw invalidArgument('ekCertificate needs ekRoots to validate it to');
  return verifyEkCertificate(opts.ekCertificate, {
    roots: opts.ekRoots,
    ...(opts.ekIntermediates ? { intermediates: opts.ekIntermediates } : {}),
    at,
  });
}

/**
 * Verifies a TPM key attestation (the WebAuthn / ACME `tpm` statement, as CBOR bytes, JSON text
 * or an object): certInfo is a TPM-made TPMS_ATTEST of type CERTIFY signed by the AK, carries
 * the nonce (compared in constant time) and names the object pubArea describes; that object is
 * a P-256 signing key, not restricted, made inside the TPM and unable to leave it (fixedTPM,
 * fixedParent, sensitiveDataOrigin); it is the caller's key when `publicKey` is given; and the
 * EK certificate, when given, validates to ekRoots. Throws E_ATTESTATION_INVALID whose `check`
 * names the first check that failed; returns what was proved.
 *
 * What binds the AK to the EK is the enrollment (makeCredential / activation), not this call:
 * pass the AK the device enrolled with, ideally as its public area with the Name activation proved.
 */
export function verifyKeyAttestation(
  statement: unknown,
  opts: VerifyKeyAttestationOptions,
): VerifiedKeyAttestation {
  if (typeof opts !== 'object' || opts === null) throw invalidArgument('options are required');
  for (const k of Object.keys(opts)) {
    if (!KNOWN_OPTIONS.has(k)) throw invalidArgument(`unknown option ${JSON.stringify(k)}`);
  }
  const nonce = bytes(opts.nonce, 'nonce', 1, 64);
  const at = opts.at ?? new Date();
  if (!(at instanceof Date) || Number.isNaN(at.getTime()))
    throw invalidArgument('at must be a Date');
  const ak = akOf(opts);
  const { attStmt } = decodeTpmStatement(statement);
  const info = parseCertifyAttestation(attStmt.certInfo);
  const pub = readTpmPublic(attStmt.pubArea, 'pubArea', 'pubArea');
  checkSignature(ak, attStmt.alg, attStmt.sig, attStmt.certInfo);
  if (info.extraData.length !== nonce.length || !timingSafeEqual(info.extraData, nonce)) {
    throw attestationInvalid(
      'nonce',
      'certInfo does not carry this nonce (a replay, or another request)',
    );
  }
  const name = nameOf(pub, 'name', 'pubArea');
  if (!name.equals(info.name)) {
    throw attestationInvalid('name', 'certInfo certifies another object than pubArea describes');
  }
  checkAttributes(pub.objectAttributes);
  if (pub.type !== TPM2_ALG.ECC || pub.curveId !== TPM2_ECC_NIST_P256) {
    throw attestationInvalid('curve', 'the certified key is not an ECC P-256 key');
  }
  const x = padCoordinate(pub.x, 32);
  const y = padCoordinate(pub.y, 32);
  if (!x || !y) throw attestationInvalid('public-key', 'pubArea holds no P-256 point');
  const raw = Buffer.concat([Buffer.of(4), x, y]);
  try {
    parsePeerPublicKey(raw, 'pubArea'); // on the curve, not the identity
  } catch (err) {
    if (!isKeystoreError(err)) throw err;
    throw attestationInvalid('public-key', 'the pubArea point is not on P-256');
  }
  if (
    opts.publicKey !== undefined &&
    !parsePeerPublicKey(opts.publicKey, 'publicKey').equals(raw)
  ) {
    throw attestationInvalid('public-key', 'pubArea holds another key than publicKey');
  }
  const endorsement = endorsementOf(opts, at);
  const proves = [
    'the AK signed a TPM-made certification (TPM_GENERATED magic, restricted signing) of this key, carrying your nonce',
    'the key is a P-256 signing key generated inside that TPM, which cannot leave it (fixedTPM, fixedParent, sensitiveDataOrigin)',
  ];
  if (endorsement) {
    proves.push(
      `the EK certificate validates to your roots (${[endorsement.manufacturer, endorsement.model, endorsement.version].filter(Boolean).join(' ') || 'no TCG device attributes'}); the AK is that TPM's only as far as your enrollment activated it against this EK`,
    );
  }
  let publicKey: KeyObject | undefined;
  return {
    // Made on first use: a KeyObject from a point costs as much as the whole verification.
    get publicKey() {
      return (publicKey ??= publicKeyObjectFromRaw(raw));
    },
    publicKeyRaw: raw,
    name,
    objectAttributes: pub.objectAttributes,
    qualifiedSigner: info.qualifiedSigner,
    ...(ak.name ? { akName: ak.name } : {}),
    alg: attStmt.alg,
    clockInfo: info.clockInfo,
    firmwareVersion: info.firmwareVersion,
    ...(endorsement ? { endorsement } : {}),
    proves,
  };
}
