/**
 * device-keystore: P-256 keys bound to this device, in the deepest tier it offers
 * (Secure Enclave, Keychain, TPM 2.0, or an encrypted file), behind one API.
 */
export { Keystore, SealedSecrets } from './keystore';
export type {
  OpenOptions,
  InitOptions,
  ImportKeyOptions,
  CreateKeyOptions,
  GetKeyOptions,
  StoreDescription,
} from './keystore';
export { DeviceKey } from './device-key';
export type {
  SignOptions,
  EcdhOptions,
  DataInput,
  KeyInfo,
  KeyInfoJSON,
  PublicCryptoKeyOptions,
} from './device-key';
export type { Identity, IdentityJSON } from './identity';
export { KeystoreError, ErrorCodes, isKeystoreError } from './errors';
export type { ErrorCode } from './errors';
export { TIERS } from './backends/backend';
export type { TierName, ExtractableBy, UserPresence } from './backends/backend';
export type { WaitOptions } from './store/abort';
export type { TierReport } from './backends/detect';
export type { PassphraseChange } from './store/file-master';
export type { SignatureFormat, DsaEncoding } from './crypto/ecdsa';
export type { PublicKeyFormat, PublicKeyInput } from './crypto/p256';
export { verify } from './verify';
export { SessionKey } from './delegation/session-key';
export type { DelegateOptions, SessionKeyDescription } from './delegation/session-key';
export type { DeviceCertificateOptions } from './delegation/device-certificate';
export { verifySessionCertificate } from './delegation/verify-session';
export type {
  CertificateInput,
  VerifySessionOptions,
  VerifiedSession,
  SessionCheck,
} from './delegation/verify-session';
export type { TpmDiagnostics } from './doctor';
export type { TpmFacts } from './backends/tpm2';
export { checkProduction, PRODUCTION_CHECKS } from './production/checklist';
export type {
  ProductionCheckOptions,
  ProductionReport,
  ProductionCheckItem,
  ProductionCheckId,
  Verdict,
} from './production/checklist';
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
