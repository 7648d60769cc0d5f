import { corrupt } from '../../core/errors';
import type { NativeTpmConnection } from '../../addon/load';
import {
  TPM2_ALG,
  TPM2_ECC_NIST_P256,
  TPMA_OBJECT,
  marshalTpm2bEccPublic,
} from '../../crypto/tpm2-structures';
import { keyObjectOf, nameOf, readTpmPublic } from '../../attestation/tpm-public';
import type { StoredAttestationKey, TpmAttestationKeyFile } from '../../core/records';

/**
 * The store's attestation key (AK): a restricted ECC P-256 signing key, ECDSA-SHA256, made in the
 * TPM under the owner SRK (parent 0x40000001) once per store, and kept in tpm2-ak.json.
 *
 * Under the SRK, not the EK, as go-attestation makes them: credential activation binds an AK to
 * an EK without any parent relation (TPM2_MakeCredential needs only the EK public and the AK's
 * Name, and TPM2_ActivateCredential releases the secret only to an AK loaded in the TPM that
 * holds that EK), and fixedTPM | fixedParent say the AK cannot leave that TPM whatever its
 * parent. The SRK is already pinned by the store (tpm2-srk.json) and every load of a key under
 * it runs through the salted session, whereas a key under the EK needs a fresh
 * PolicySecret(endorsement) session at every load (each attest), and a TPM whose endorsement
 * hierarchy has a password could not load it at all.
 *
 * restricted: the AK signs only what the TPM itself makes (TPMS_ATTEST starting with
 * TPM_GENERATED_VALUE) and digests the TPM computed, never caller data that could mimic one.
 */
export const AK_ATTRIBUTES =
  TPMA_OBJECT.fixedTPM |
  TPMA_OBJECT.fixedParent |
  TPMA_OBJECT.sensitiveDataOrigin |
  TPMA_OBJECT.userWithAuth |
  TPMA_OBJECT.noDA |
  TPMA_OBJECT.restricted |
  TPMA_OBJECT.sign;

export const AK_TEMPLATE: Buffer = marshalTpm2bEccPublic({
  nameAlg: TPM2_ALG.SHA256,
  objectAttributes: AK_ATTRIBUTES,
  authPolicy: Buffer.alloc(0),
  symmetric: { algorithm: TPM2_ALG.NULL },
  scheme: { scheme: TPM2_ALG.ECDSA, hashAlg: TPM2_ALG.SHA256 },
  curveId: TPM2_ECC_NIST_P256,
  kdf: { scheme: TPM2_ALG.NULL },
  x: Buffer.alloc(0),
  y: Buffer.alloc(0),
});

const TPM2_ALG_RSASSA = 0x0014;

/** An RSA-2048 AK, RSASSA-SHA256: what go-attestation's certification check (step-ca) takes. */
export const RSA_AK_TEMPLATE: Buffer = (() => {
  const body = Buffer.alloc(2 + 2 + 4 + 2 + 2 + 4 + 2 + 4 + 2);
  let o = body.writeUInt16BE(TPM2_ALG.RSA, 0);
  o = body.writeUInt16BE(TPM2_ALG.SHA256, o);
  o = body.writeUInt32BE(AK_ATTRIBUTES, o);
  o = body.writeUInt16BE(0, o); // authPolicy: none
  o = body.writeUInt16BE(TPM2_ALG.NULL, o); // symmetric
  o = body.writeUInt16BE(TPM2_ALG_RSASSA, o);
  o = body.writeUInt16BE(TPM2_ALG.SHA256, o);
  o = body.writeUInt16BE(2048, o);
  o = body.writeUInt32BE(0, o); // exponent: the default
  body.writeUInt16BE(0, o); // unique: empty
  const size = Buffer.alloc(2);
  size.writeUInt16BE(body.length);
  return Buffer.concat([size, body]);
})();

/** The AK algorithms: a store has at most one AK of each, made on first use. */
export type AttestationKeyAlgorithm = 'ecc-p256' | 'rsa-2048';
export const AK_ALGORITHMS: readonly AttestationKeyAlgorithm[] = ['ecc-p256', 'rsa-2048'];

const TEMPLATES: Record<AttestationKeyAlgorithm, Buffer> = {
  'ecc-p256': AK_TEMPLATE,
  'rsa-2048': RSA_AK_TEMPLATE,
};

const OWNER_PARENT = 0x40000001;

/** The AK as callers see it: what a server enrolls. */
export interface AttestationKeyInfo {
  algorithm: AttestationKeyAlgorithm;
  /** TPM2B_PUBLIC (what verifyKeyAttestation's akPublic and makeCredential's Name come from). */
  publicArea: Buffer;
  /** 0x000B ‖ SHA-256(TPMT_PUBLIC): the Name a server gives makeCredential. */
  name: Buffer;
  /** SPKI PEM. */
  publicKey: string;
  createdAt: string;
}

export interface LoadedAttestationKey extends AttestationKeyInfo {
  parent: number;
  privateBlob: Buffer;
}

/** Checks a stored AK against what we make: a record that says otherwise is E_CORRUPT. */
function checked(
  ak: StoredAttestationKey,
  algorithm: AttestationKeyAlgorithm,
  source: string,
): LoadedAttestationKey {
  let pub;
  try {
    pub = readTpmPublic(ak.publicBlob, 'ak', 'the AK');
  } catch {
    throw corrupt(source, 'the AK public area does not parse');
  }
  const shape =
    algorithm === 'ecc-p256'
      ? pub.type === TPM2_ALG.ECC &&
        pub.scheme.scheme === TPM2_ALG.ECDSA &&
        pub.curveId === TPM2_ECC_NIST_P256
      : pub.type === TPM2_ALG.RSA && pub.scheme.scheme === TPM2_ALG_RSASSA && pub.keyBits === 2048;
  if (
    !shape ||
    pub.scheme.hashAlg !== TPM2_ALG.SHA256 ||
    pub.objectAttributes !== AK_ATTRIBUTES ||
    pub.nameAlg !== TPM2_ALG.SHA256 ||
    ak.parent !== OWNER_PARENT
  ) {
    throw corrupt(source, `the AK is not a restricted ${algorithm} signing key under the SRK`);
  }
  const name = nameOf(pub, 'ak', 'the AK');
  if (!name.equals(ak.name)) throw corrupt(source, "the AK's Name does not match its public area");
  return {
    algorithm,
    parent: ak.parent,
    publicArea: ak.publicBlob,
    privateBlob: ak.privateBlob,
    name,
    publicKey: keyObjectOf(pub, 'ak', 'the AK').export({ format: 'pem', type: 'spki' }) as string,
    createdAt: ak.createdAt,
  };
}

/** The store's AK of `algorithm`, made (and recorded) on first use. `ready` pins the SRK first. */
export async function attestationKey(
  conn: NativeTpmConnection,
  file: TpmAttestationKeyFile,
  algorithm: AttestationKeyAlgorithm,
  ready: () => Promise<void>,
): Promise<LoadedAttestationKey> {
  const stored = await file.read();
  if (stored) return checked(stored, algorithm, file.path);
  await ready();
  const blobs = await conn.createKey(OWNER_PARENT, TEMPLATES[algorithm]);
  const pub = readTpmPublic(blobs.publicBlob, 'ak', 'the new AK');
  return checked(
    await file.record({
      parent: OWNER_PARENT,
      publicBlob: blobs.publicBlob,
      privateBlob: blobs.privateBlob,
      name: nameOf(pub, 'ak', 'the new AK'),
    }),
    algorithm,
    file.path,
  );
}
