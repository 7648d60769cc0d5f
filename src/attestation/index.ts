/** Server side of TPM key attestation: enrollment (makeCredential) and verification. */
export { makeCredential } from './make-credential';
export type { MadeCredential } from './make-credential';
export { verifyKeyAttestation } from './verify-attestation';
export type { VerifyKeyAttestationOptions, VerifiedKeyAttestation } from './verify-attestation';
export { verifyEkCertificate } from './ek-certificate';
export type {
  EkCertificateInput,
  VerifyEndorsementOptions,
  VerifiedEndorsement,
} from './ek-certificate';
export { buildTpmStatement, encodeTpmStatement, decodeTpmStatement } from './statement';
export type { TpmAttestationStatement, StatementParts, StatementEncoding } from './statement';
export { parseCertifyAttestation, parseTpmSignature } from './tpms-attest';
export type { CertifyAttestation, TpmSignature, TpmsClockInfo } from './tpms-attest';
export type { AttestationCheck } from './errors';
