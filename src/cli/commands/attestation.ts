import type { Command } from '../command';
import { attest, ATTEST_HELP } from './attest';
import { endorsement, ENDORSEMENT_HELP } from './endorsement';
import { verifyAttestation, VERIFY_ATTESTATION_HELP } from './verify-attestation';

/** TPM key attestation (docs/attestation.md): the device side and the server's check. */
export const ATTESTATION_COMMANDS: Record<string, Command> = {
  attest,
  endorsement,
  'verify-attestation': verifyAttestation,
};

export const ATTESTATION_HELP: Record<string, string> = {
  attest: ATTEST_HELP,
  endorsement: ENDORSEMENT_HELP,
  'verify-attestation': VERIFY_ATTESTATION_HELP,
};

export const ATTESTATION_USAGE = `  attest [--alias A] --nonce HEX|--nonce-file F [--format cbor|json] [--out F]
                                  a TPM attestation of the key (TPM2_Certify), for a server
  endorsement [--out F]           the TPM's EKs and EK certificates (a permanent identifier)
  verify-attestation --statement F --nonce HEX|--nonce-file F --ak F [--ek-roots F]
                                  check a key attestation, as a server does; exit 1 if refused
`;
