import { corrupt } from '../../errors';
import type { NativeTpmConnection } from '../../native';
import {
  TPM2_ALG,
  TPM2_ECC_NIST_P256,
  TPMA_OBJECT,
  marshalTpm2bEccPublic,
} from '../../crypto/tpm2-structures';
import { keyObjectOf, nameOf, readTpmPublic } from '../../attestation/tpm-public';
import type { StoredAttestationKey, TpmAttestationKeyFile } from '../../store/tpm-attestation-key';

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

const OWNER_PARENT = 0x40000001;

/** The AK as callers see it: what a server enrolls. */
export interface AttestationKeyInfo {
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
function checked(ak: StoredAttestationKey, source: string): LoadedAttestationKey {
  let pub;
  try {
    pub = readTpmPublic(ak.publicBlob, 'ak', 'the AK');
  } catch {
    throw corrupt(source, 'the AK public area does not parse');
  }
  if (
    pub.type !== TPM2_ALG.ECC ||
    pub.scheme.scheme !== TPM2_ALG.ECDSA ||
    pub.curveId !== TPM2_ECC_NIST_P256 ||
    pub.objectAttributes !== AK_ATTRIBUTES ||
    pub.nameAlg !== TPM2_ALG.SHA256 ||
    ak.parent !== OWNER_PARENT
  ) {
    throw corrupt(source, 'the AK is not a restricted P-256 ECDSA signing key under the SRK');
  }
  const name = nameOf(pub, 'ak', 'the AK');
  if (!name.equals(ak.name)) throw corrupt(source, "the AK's Name does not match its public area");
  return {
    parent: ak.parent,
    publicArea: ak.publicBlob,
    privateBlob: ak.privateBlob,
    name,
    publicKey: keyObjectOf(pub, 'ak', 'the AK').export({ format: 'pem', type: 'spki' }) as string,
    createdAt: ak.createdAt,
  };
}

/** The store's AK, made (and recorded) on first use. `ready` pins the SRK first. */
export async function attestationKey(
  conn: NativeTpmConnection,
  file: TpmAttestationKeyFile,
  ready: () => Promise<void>,
): Promise<LoadedAttestationKey> {
  const stored = await file.read();
  if (stored) return checked(stored, file.path);
  await ready();
  const blobs = await conn.createKey(OWNER_PARENT, AK_TEMPLATE);
  const pub = readTpmPublic(blobs.publicBlob, 'ak', 'the new AK');
  return checked(
    await file.record({
      parent: OWNER_PARENT,
      publicBlob: blobs.publicBlob,
      privateBlob: blobs.privateBlob,
      name: nameOf(pub, 'ak', 'the new AK'),
    }),
    file.path,
  );
}
