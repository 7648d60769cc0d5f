import { KeystoreError } from '../core/errors';

/**
 * The checks an attestation can fail, in the order verifyKeyAttestation makes them; `check` on
 * an E_ATTESTATION_INVALID error is one of these.
 */
export type AttestationCheck =
  | 'format' // the statement is not a well-formed `tpm` statement
  | 'ver'
  | 'certInfo' // TPMS_ATTEST does not parse
  | 'magic'
  | 'type'
  | 'pubArea' // TPMT_PUBLIC does not parse
  | 'sig' // TPMT_SIGNATURE does not parse
  | 'alg' // the statement's COSE alg and the signature's scheme disagree
  | 'ak' // the AK given by the caller is not usable, or its Name differs from akName
  | 'signature' // the AK did not sign certInfo
  | 'nonce'
  | 'name' // certInfo names another object than pubArea
  | 'fixedParent'
  | 'fixedTPM'
  | 'sensitiveDataOrigin'
  | 'sign'
  | 'restricted'
  | 'curve'
  | 'public-key'
  | 'ek-certificate' // not an X.509 certificate, or not an EK certificate (EKU, key)
  | 'ek-chain' // no path to a trusted root: issuer, signature, CA constraints
  | 'ek-validity'
  | 'ek-public'; // the EK certificate holds another key than the EK public given

export function attestationInvalid(check: AttestationCheck, message: string): KeystoreError {
  return new KeystoreError('E_ATTESTATION_INVALID', message, { check });
}
