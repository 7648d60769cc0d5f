import { createHash } from 'node:crypto';
import { KeystoreError, invalidArgument, isKeystoreError } from '../../core/errors';
import { TPMA_OBJECT } from '../../crypto/tpm2-structures';
import { type NativeTpmConnection } from '../../addon/load';
import type { KeyAuth, KeyHandle, RawSignature } from '../../core/key-handle';
import type { UserPresence } from '../../core/tiers';
import { type TpmKey, type CheckedKey } from './key-checks';
import { factsFrom } from './facts';
import { TpmAttestation } from './attestation';
import { type AttestationKeyAlgorithm } from './attestation-key';
import { type KeyAttestation } from './certify';
import { PinCache, pinForUse, provePin } from '../pin-cache';

/** A loaded TPM key: signs and does ECDH through the addon, with a PIN when it was made with one. */

/**
 * A key's handle: the blobs, and what the public area allows, checked before the TPM is asked.
 * Every operation runs through the connection's HMAC session, salted to the pinned SRK, with the
 * key's Name in the command's HMAC: a TPM handle that came to name another program's object (no
 * resource manager) makes the TPM refuse the command, and the response HMAC authenticates the
 * signature. So signatures are not verified again in software here (docs/tpm.md, "Sessions").
 */
export class TpmKeyHandle implements KeyHandle {
  readonly userPresence: UserPresence;

  constructor(
    private readonly conn: NativeTpmConnection,
    private readonly key: TpmKey,
    private readonly checked: CheckedKey,
    private readonly pins: PinCache,
    private readonly ready: () => Promise<void>,
    pinKey = false,
    private readonly attestation?: TpmAttestation,
  ) {
    this.userPresence = pinKey ? 'pin' : 'none';
  }

  cachePin(pin: Buffer, ms: number): void {
    if (this.userPresence === 'pin') this.pins.set(this, pin, ms);
  }

  provePin(auth?: KeyAuth): Promise<Buffer> {
    return provePin(this, auth, this.pins, 'TPM');
  }

  /** The PIN for one operation; refused before the TPM is asked, so no guess is ever wasted. */
  #auth(auth: KeyAuth | undefined): Buffer | undefined {
    return pinForUse(this, auth, this.pins, 'TPM');
  }

  /** E_TPM_AUTH with the tries left, E_TPM_LOCKOUT with the wait: what the TPM's DA state says. */
  async #explain(err: unknown): Promise<never> {
    if (this.userPresence === 'pin' && isKeystoreError(err)) {
      if (err.code === 'E_TPM_AUTH' || err.code === 'E_TPM_LOCKOUT') {
        const facts = await this.conn
          .properties()
          .then((p) => factsFrom('', p))
          .catch(() => undefined);
        if (facts && err.code === 'E_TPM_AUTH') {
          const triesLeft = Math.max(0, facts.maxAuthFail - facts.lockoutCounter);
          throw new KeystoreError(
            'E_TPM_AUTH',
            `wrong PIN: the TPM refused it (${triesLeft} ${triesLeft === 1 ? 'try' : 'tries'} left before lockout)`,
            {
              tpmRc: err.tpmRc ?? 0,
              triesLeft,
              hint: `after ${facts.maxAuthFail} failures the TPM locks out every key that needs a PIN; one failure is forgotten every ${facts.lockoutInterval} s`,
            },
          );
        }
        if (facts && err.code === 'E_TPM_LOCKOUT') {
          throw new KeystoreError(
            'E_TPM_LOCKOUT',
            `the TPM is in dictionary-attack lockout after ${facts.lockoutCounter} wrong authorizations: keys with a PIN are refused until it recovers`,
            {
              tpmRc: err.tpmRc ?? 0,
              retryAfterSeconds: facts.lockoutInterval,
              hint: `one failure is forgotten every ${facts.lockoutInterval} s (TPM2_PT_LOCKOUT_INTERVAL), or clear it with the lockout authorization (tpm2_dictionarylockout --clear-lockout); keys without a PIN keep working`,
            },
          );
        }
      }
    }
    throw err;
  }

  async signRaw(data: Uint8Array, prehashed: boolean, auth?: KeyAuth): Promise<RawSignature> {
    const pin = this.#auth(auth);
    const digest = prehashed ? Buffer.from(data) : createHash('sha256').update(data).digest();
    const { parent, publicBlob, privateBlob } = this.key;
    try {
      await this.ready();
      const bytes = await this.conn.sign(parent, publicBlob, privateBlob, digest, pin);
      return { encoding: 'p1363', bytes };
    } catch (err) {
      return this.#explain(err);
    }
  }

  /** TPM2_Certify of this key by the store's AK (src/tiers/tpm2/attestation.ts). */
  async attest(
    nonce: Buffer,
    auth?: KeyAuth,
    ak?: AttestationKeyAlgorithm,
  ): Promise<KeyAttestation> {
    if (!this.attestation) throw new Error('a key being imported is not attested');
    const pin = this.#auth(auth);
    const { parent, publicBlob, privateBlob } = this.key;
    try {
      return await this.attestation.certify([parent, publicBlob, privateBlob], pin, nonce, ak);
    } catch (err) {
      return this.#explain(err);
    }
  }

  async ecdh(peerPoint: Buffer, auth?: KeyAuth): Promise<Buffer> {
    if ((this.checked.objectAttributes & TPMA_OBJECT.decrypt) === 0) {
      throw invalidArgument(
        'this key cannot do ECDH: its public area has no decrypt attribute (it is sign-only)',
        'keys made by createKey sign and do ECDH; for ECDH with an imported key, make it with the decrypt attribute',
      );
    }
    const pin = this.#auth(auth);
    const { parent, publicBlob, privateBlob } = this.key;
    try {
      await this.ready();
      return await this.conn.ecdh(
        parent,
        publicBlob,
        privateBlob,
        peerPoint.subarray(1, 33),
        peerPoint.subarray(33, 65),
        pin,
      );
    } catch (err) {
      return this.#explain(err);
    }
  }
}
