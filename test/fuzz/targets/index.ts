import type { Target } from '../engine';
import { ecdsaTarget } from './ecdsa';
import { p256PublicKeyTarget } from './p256-public-key';
import { RECORD_TARGETS } from './records';
import { tpm2bPublicTarget } from './tpm2b-public';
import { tpmAttestationTarget } from './tpm-attestation';
import { tss2PemTarget } from './tss2-pem';

/** Every fuzzer, by name (`npm run fuzz -- --seconds 60 <name>`). */
export const TARGETS: readonly Target[] = [
  tss2PemTarget,
  tpm2bPublicTarget,
  ecdsaTarget,
  p256PublicKeyTarget,
  ...RECORD_TARGETS,
  tpmAttestationTarget,
];
