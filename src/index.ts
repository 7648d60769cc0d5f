/**
 * device-keystore: P-256 keys bound to this device, in the deepest tier it offers
 * (Secure Enclave, Keychain, TPM 2.0, or an encrypted file), behind one API.
 */
export { Keystore, SealedSecrets } from './keystore';
export type { OpenOptions, InitOptions, ImportKeyOptions, StoreDescription } from './keystore';
export { DeviceKey } from './device-key';
export type {
  SignOptions,
  DataInput,
  KeyInfo,
  KeyInfoJSON,
  PublicCryptoKeyOptions,
} from './device-key';
export type { Identity, IdentityJSON } from './identity';
export { KeystoreError, ErrorCodes, isKeystoreError } from './errors';
export type { ErrorCode } from './errors';
export { TIERS } from './backends/backend';
export type { TierName, ExtractableBy } from './backends/backend';
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
export * from './attestation/index';
