import type { KeyInfo } from '../key-info';

export type KeyAttestationKind = 'tpm2-certify' | 'none';

/** describe().attestation: which keys a server can have attested, and what that proves. */
export interface AttestationDescription {
  /** Per key alias: 'tpm2-certify' (key.attest() works) or 'none'. */
  keys: Record<string, KeyAttestationKind>;
  proves: string;
}

/** docs/attestation.md, "What it proves", in one paragraph. */
export const ATTESTATION_STATEMENT =
  "A tpm2 key's attest() is TPM2_Certify by the store's attestation key (AK): verified with " +
  'verifyKeyAttestation, it proves that the key was generated inside a TPM and cannot leave it ' +
  '(fixedTPM, fixedParent, sensitiveDataOrigin), that the AK signed it with your nonce, and, once ' +
  "enrollment activated the AK against the TPM's EK and the EK certificate validates to roots you " +
  'trust, that this TPM is one those roots vouch for. It proves nothing about the operating system or ' +
  'the software using the key, and nothing beyond your roots (a server that trusts swtpm roots ' +
  'accepts swtpm). The EK is a permanent identifier of the machine. Keys of the macOS, Windows and ' +
  'encrypted-file tiers have no attestation here, and a tpm2 key imported without those attributes ' +
  'fails verification.';

export function describeAttestation(keys: readonly KeyInfo[]): AttestationDescription {
  return {
    keys: Object.fromEntries(
      keys.map((k) => [k.alias, k.tier === 'tpm2' && k.hardwareBacked ? 'tpm2-certify' : 'none']),
    ),
    proves: ATTESTATION_STATEMENT,
  };
}
