/**
 * device-keystore: P-256 keys bound to this device, in the deepest tier it offers
 * (Secure Enclave, Keychain, TPM 2.0, or an encrypted file), behind one API.
 */
export { Keystore, SealedSecrets } from './keystore';
export type { InitOptions, ImportKeyOptions, CreateKeyOptions, GetKeyOptions } from './keystore';
export type { OpenOptions } from './keystore-options';
export type { StoreDescription } from './rooms/describe';
export { DeviceKey } from './device-key';
export type { PublicCryptoKeyOptions, CertifyingKeyOptions } from './device-key';
export type { KeyInfo, KeyInfoJSON } from './key-info';
export type { SignOptions, EcdhOptions, DataInput } from './core/inputs';
export type { Signer } from './signer';
export type { Identity, IdentityJSON } from './store/identity-file';
export { KeystoreError, ErrorCodes, isKeystoreError } from './core/errors';
export type { ErrorCode } from './core/errors';
export { TIERS } from './core/tiers';
export type { TierName, ExtractableBy, UserPresence } from './core/tiers';
export type { WaitOptions } from './core/abort';
export type { TierReport } from './tiers/detect';
export type { PassphraseChange } from './store/file-master';
export type { SignatureFormat, DsaEncoding } from './core/inputs';
export type { LibraryKey, PublicKeyFormat, PublicKeyInput } from './crypto/p256';
export { verify } from './verify';
export { SessionKey } from './delegation/session-key';
export type { SessionKeyDescription } from './delegation/session-key';
export type { DelegateOptions } from './delegation/options';
export type { DeviceCertificateOptions } from './delegation/device-certificate';
export { verifySessionCertificate } from './delegation/verify-session';
export type {
  CertificateInput,
  VerifySessionOptions,
  VerifiedSession,
  SessionCheck,
} from './delegation/verify-session';
export type { TpmDiagnostics } from './doctor/tpm';
export type { TpmFacts } from './tiers/tpm2/facts';
export { checkProduction } from './production/checklist';
export { PRODUCTION_CHECKS } from './production/report';
export type {
  ProductionCheckOptions,
  ProductionReport,
  ProductionCheckItem,
  ProductionCheckId,
  Verdict,
} from './production/report';
export { createKeyVault } from './key-vault';
export type {
  KeyVault,
  KeyVaultCapabilities,
  KeyVaultSecurityLevel,
  KeyVaultUserPresence,
  KeyVaultBinding,
  KeyVaultErrorCode,
  ProtectedRecordKind,
  ExportedIdentity,
} from './key-vault-contract';
export * from './attestation/index';
export type { AttestOptions } from './tiers/tpm2/attest-key';
export type { KeyAttestation } from './tiers/tpm2/certify';
export type { CredentialChallenge } from './tiers/tpm2/attestation';
export type { AttestationKeyInfo, AttestationKeyAlgorithm } from './tiers/tpm2/attestation-key';
export type { TpmEndorsement, EndorsementKey } from './tiers/tpm2/endorsement';
