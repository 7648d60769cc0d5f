import { KeystoreError, invalidArgument } from '../../core/errors';
import { pinBytes } from '../../core/pin';
import type { KeyAuth, KeyHandle } from '../../core/key-handle';
import type { Lifecycle } from '../../core/lifecycle';
import { nonceBytes, type KeyAttestation } from './certify';
import { buildTpmStatement, encodeTpmStatement } from '../../attestation/statement';

export interface AttestOptions {
  /** The server's challenge, 1 to 64 bytes: the TPM signs it in as certInfo's extraData. */
  nonce: Uint8Array;
  /** The key's PIN, for a key made with one. */
  pin?: string | Uint8Array;
  /**
   * The AK's certificate then its issuers (DER), from your attestation CA after enrollment: the
   * statement's x5c, which WebAuthn and step-ca's device-attest-01 verifiers require.
   */
  x5c?: readonly Uint8Array[];
  /** Which of the store's AKs signs: 'ecc-p256' (default) or 'rsa-2048' (step-ca, go-attestation). */
  ak?: 'ecc-p256' | 'rsa-2048';
}

const KNOWN = new Set(['nonce', 'pin', 'x5c', 'ak']);

/** A handle whose tier certifies its keys: the tpm2 tier's (key-handle.ts). */
export interface AttestingHandle extends KeyHandle {
  attest(nonce: Buffer, auth?: KeyAuth, ak?: 'ecc-p256' | 'rsa-2048'): Promise<KeyAttestation>;
}

function canAttest(handle: KeyHandle): handle is AttestingHandle {
  return typeof (handle as Partial<AttestingHandle>).attest === 'function';
}

/** DeviceKey.attest: options checked here, TPM2_Certify in the key's tier (tpm2 only). */
export async function attestKey(
  key: { alias: string; tier: string },
  handle: KeyHandle,
  life: Lifecycle,
  opts: AttestOptions,
): Promise<KeyAttestation> {
  if (typeof opts !== 'object' || opts === null) {
    throw invalidArgument('attest needs options: { nonce }', 'pass the nonce the server sent');
  }
  for (const k of Object.keys(opts)) {
    if (!KNOWN.has(k))
      throw invalidArgument(
        `unknown attest option "${k}"`,
        'the options are nonce, pin, x5c and ak',
      );
  }
  if (!canAttest(handle)) {
    throw new KeystoreError(
      'E_BACKEND_UNAVAILABLE',
      `key "${key.alias}" is in the ${key.tier} tier, which has no key attestation`,
      {
        hint: 'only tpm2 keys are attested (TPM2_Certify); describe() reports attestation per key',
      },
    );
  }
  const nonce = nonceBytes(opts.nonce);
  const attest = handle.attest.bind(handle);
  const auth = opts.pin === undefined ? undefined : { pin: pinBytes(opts.pin) };
  if (opts.x5c !== undefined && !Array.isArray(opts.x5c)) {
    throw invalidArgument('x5c must be an array of DER certificates, the AK certificate first');
  }
  let att: KeyAttestation;
  try {
    att = await life.run(() => attest(nonce, auth, opts.ak));
  } finally {
    auth?.pin.fill(0);
  }
  if (!opts.x5c) return att;
  const { certInfo, sig, pubArea, alg } = att.statement.attStmt;
  const statement = buildTpmStatement({ certInfo, sig, pubArea, alg, x5c: opts.x5c });
  return { ...att, statement, encode: (format = 'cbor') => encodeTpmStatement(statement, format) };
}
