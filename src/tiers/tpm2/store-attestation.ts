import { KeystoreError } from '../../errors';
import type { StoreContext } from '../../store/context';
import type { TpmAttestation } from './attestation';

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
