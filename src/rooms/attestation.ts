import { KeystoreError } from '../core/errors';
import type { StoreContext } from './context';
import type { TpmAttestation } from '../tiers/tpm2/attestation';

/** The store's tpm2 tier's attestation side: Keystore.endorsement(), attestationKey(), ... */
export async function tpmAttestationOf(ctx: StoreContext): Promise<TpmAttestation> {
  const backend = await ctx.backend('tpm2');
  const attestation = (backend as { attestation?: TpmAttestation }).attestation;
  if (!attestation) {
    throw new KeystoreError('E_BACKEND_UNAVAILABLE', 'the tpm2 tier has no attestation here', {
      hint: 'TPM attestation needs the Linux TPM tier (docs/attestation.md)',
    });
  }
  return attestation;
}
