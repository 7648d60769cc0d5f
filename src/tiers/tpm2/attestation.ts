import { KeystoreError, invalidArgument, isKeystoreError } from '../../core/errors';
import { unwrapTpm2b } from '../../crypto/tpm2-structures';
import type { NativeTpmConnection, TpmKeyArgs } from '../../addon/load';
import type { TpmAttestationKeyFile } from '../../core/records';
import {
  AK_ALGORITHMS,
  attestationKey,
  type AttestationKeyAlgorithm,
  type AttestationKeyInfo,
  type LoadedAttestationKey,
} from './attestation-key';
import { certifyKey, nonceBytes, type KeyAttestation } from './certify';
import {
  eccEkTemplate,
  endorsementKeyOf,
  hasPolicySecretPolicy,
  readEndorsement,
  rsaEkTemplate,
  type EndorsementKey,
  type TpmEndorsement,
} from './endorsement';

/** What activateCredential takes: makeCredential's output, and which EK it was made for. */
export interface CredentialChallenge {
  /** TPM2B_ID_OBJECT, as makeCredential returns it. */
  credentialBlob: Uint8Array;
  /** TPM2B_ENCRYPTED_SECRET, as makeCredential returns it. */
  secret: Uint8Array;
  /** The EK the server made it for (its TPM2B_PUBLIC or Name); by default the certified one. */
  ekPublic?: Uint8Array;
  ekName?: Uint8Array;
  /** Which of the store's AKs the credential was made for: 'ecc-p256' (default) or 'rsa-2048'. */
  akAlgorithm?: AttestationKeyAlgorithm;
}

/**
 * TPM_RC_INTEGRITY or TPM_RC_VALUE on the credential (parameter 1) or the secret (parameter 2):
 * the seed did not decrypt with this EK, or the HMAC over the credential and the AK's Name did
 * not verify. Either way the credential was made for another EK or another AK (or changed).
 */
function refusedCredential(err: unknown): unknown {
  if (!isKeystoreError(err, 'E_TPM') || err.tpmRc === undefined) return err;
  const rc = err.tpmRc;
  const fmt1 = (rc & 0x80) !== 0 && (rc & 0x40) !== 0; // a parameter's error
  const code = rc & 0x3f;
  const TPM_RC_VALUE = 0x04;
  const TPM_RC_INTEGRITY = 0x1f;
  const TPM_RC_SIZE = 0x15;
  if (!fmt1 || ![TPM_RC_VALUE, TPM_RC_INTEGRITY, TPM_RC_SIZE].includes(code)) return err;
  return new KeystoreError(
    'E_ATTESTATION_INVALID',
    `the TPM refused the credential: it was not made for this TPM's EK and this store's attestation key, or it was changed (${err.message})`,
    {
      check: 'ak',
      tpmRc: rc,
      hint: "make it with makeCredential from this device's endorsement() EK public and attestationKey() Name",
    },
  );
}

function bytesOf(v: unknown, what: string, max: number): Buffer {
  if (!(v instanceof Uint8Array) || v.length === 0 || v.length > max) {
    throw invalidArgument(`${what} must be 1 to ${max} bytes`);
  }
  return Buffer.from(v);
}

/**
 * The device side of TPM attestation for one tpm2 backend (docs/attestation.md): the
 * endorsement (read once per open store), the store's AK, credential activation, TPM2_Certify.
 */
export class TpmAttestation {
  #endorsement: Promise<TpmEndorsement> | undefined;
  readonly #aks = new Map<AttestationKeyAlgorithm, Promise<LoadedAttestationKey>>();

  constructor(
    private readonly conn: NativeTpmConnection,
    private readonly files:
      | ((algorithm: AttestationKeyAlgorithm) => TpmAttestationKeyFile)
      | undefined,
    private readonly ready: () => Promise<void>,
  ) {}

  endorsement(): Promise<TpmEndorsement> {
    this.#endorsement ??= readEndorsement(this.conn).catch((err: unknown) => {
      this.#endorsement = undefined;
      throw err;
    });
    return this.#endorsement;
  }

  #loadedAk(algorithm: unknown = 'ecc-p256'): Promise<LoadedAttestationKey> {
    if (!AK_ALGORITHMS.includes(algorithm as AttestationKeyAlgorithm)) {
      return Promise.reject(
        invalidArgument(
          `the attestation key algorithm must be ${AK_ALGORITHMS.join(' or ')}, not ${String(algorithm)}`,
          'rsa-2048 for step-ca and go-attestation, which take only RSA AKs',
        ),
      );
    }
    const alg = algorithm as AttestationKeyAlgorithm;
    if (!this.files)
      return Promise.reject(new Error('no store: an attestation key belongs to a store'));
    let ak = this.#aks.get(alg);
    if (!ak) {
      ak = attestationKey(this.conn, this.files(alg), alg, this.ready);
      ak.catch(() => this.#aks.delete(alg));
      this.#aks.set(alg, ak);
    }
    return ak;
  }

  async attestationKey(
    opts: { algorithm?: AttestationKeyAlgorithm } = {},
  ): Promise<AttestationKeyInfo> {
    const { algorithm, publicArea, name, publicKey, createdAt } = await this.#loadedAk(
      opts?.algorithm,
    );
    return { algorithm, publicArea, name, publicKey, createdAt };
  }

  /** TPM2_ActivateCredential: the secret, when the credential was made for this AK and EK. */
  async activateCredential(challenge: CredentialChallenge): Promise<Buffer> {
    if (typeof challenge !== 'object' || challenge === null) {
      throw invalidArgument('pass { credentialBlob, secret } as makeCredential returned them');
    }
    // TPM2B_ID_OBJECT and TPM2B_ENCRYPTED_SECRET, size prefixes included, as makeCredential
    // returns them; the addon takes their bodies.
    const blob = unwrapTpm2b(
      bytesOf(challenge.credentialBlob, 'credentialBlob', 2 + 2 + 64 + 2 + 64),
      'credentialBlob (TPM2B_ID_OBJECT)',
    );
    const secret = unwrapTpm2b(
      bytesOf(challenge.secret, 'secret', 2 + 512),
      'secret (TPM2B_ENCRYPTED_SECRET)',
    );
    const ek = await this.#ekFor(challenge);
    const ak = await this.#loadedAk(challenge.akAlgorithm);
    await this.ready();
    const template =
      ek.source === 'persistent'
        ? Buffer.alloc(0)
        : ek.type === 'rsa-2048'
          ? rsaEkTemplate()
          : eccEkTemplate();
    try {
      return await this.conn.activateCredential(
        ak.parent,
        ak.publicArea,
        ak.privateBlob,
        ek.handle ?? 0,
        template,
        blob,
        secret,
      );
    } catch (err) {
      throw refusedCredential(err);
    }
  }

  async #ekFor(c: CredentialChallenge): Promise<EndorsementKey> {
    const { keys } = await this.endorsement();
    const want = c.ekName ?? c.ekPublic;
    const matches = (k: EndorsementKey) => k.name.equals(want!) || k.publicArea.equals(want!);
    let ek = want ? keys.find(matches) : (keys.find((k) => k.certificate) ?? keys[0]);
    if (!ek && want) {
      // An EK of a default template that endorsement() had no reason to recreate.
      for (const template of [rsaEkTemplate, eccEkTemplate]) {
        const made = endorsementKeyOf(await this.conn.createEk(template()), 'template');
        if (matches(made)) ek = made;
      }
    }
    if (!ek) {
      throw invalidArgument(
        want ? 'the EK given is none of this TPM’s EKs' : 'this TPM has no EK to activate with',
        'pass the ekPublic the credential was made for, as endorsement() reported it',
      );
    }
    if (!hasPolicySecretPolicy(ek.publicArea)) {
      throw invalidArgument(
        `the ${ek.type} EK's authPolicy is not PolicySecret(TPM_RH_ENDORSEMENT) (a high-range EK's PolicyOR policy), which activation does not satisfy yet`,
        'make the credential for the RSA-2048 or ECC P-256 EK (the low-range templates)',
      );
    }
    return ek;
  }

  /** key.attest(): TPM2_Certify of the key by the AK, with the EK chain when the TPM has one. */
  async certify(
    key: TpmKeyArgs,
    pin: Buffer | undefined,
    nonce: unknown,
    algorithm?: AttestationKeyAlgorithm,
  ): Promise<KeyAttestation> {
    const n = nonceBytes(nonce);
    const ak = await this.#loadedAk(algorithm);
    const { keys, chain } = await this.endorsement();
    const certified = keys.find((k) => k.certificate);
    const ekCertificates = certified ? [certified.certificate!, ...chain] : [];
    await this.ready();
    return certifyKey(this.conn, key, pin, ak, n, ekCertificates);
  }
}
