import { createHash } from 'node:crypto';
import { KeystoreError, isKeystoreError } from '../../core/errors';
import type { KeyAuth, RawSignature } from '../../core/key-handle';
import type { KeyGuarantees } from '../../core/tiers';
import type { KeyRecord } from '../../core/records';
import type { NativeNcryptProvider } from '../../addon/windows';
import { PinCache, pinForUse, provePin } from '../pin-cache';

/**
 * windows-tpm keys made with createKey's `pin`: the PIN is set as NCRYPT_PIN_PROPERTY before
 * NCryptFinalizeKey, so the Platform Crypto Provider gives the TPM object a usage
 * authorization, and every use sets it again on the key handle before NCryptSignHash or
 * NCryptSecretAgreement (native/windows/win_ncrypt.cc). The TPM checks it, and its
 * dictionary-attack logic counts wrong ones.
 *
 * Each operation imports the key's blob into a fresh handle and frees it afterwards: the PCP
 * keeps the PIN set on a handle for as long as the handle lives, so a handle kept open would go
 * on signing without the PIN. The PIN itself stays in this process only as `cacheFor` says.
 *
 * Compile- and link-checked only: no PCP has run this code (docs/windows.md).
 */

/** The record field of such a key (the PCP's blob is opaque, so the record says it). */
export const PCP_PIN_FIELD = { userPresence: 'pin' } as const;

/** Whether a windows-tpm record's `userPresence` says the key needs a PIN. */
export function recordNeedsPin(data: { [key: string]: unknown }): boolean {
  return data.userPresence === 'pin';
}

/** listKeys and describe(): 'pin' for a windows-tpm key whose record says so. */
export function pcpKeyGuarantees(tier: KeyGuarantees, record: KeyRecord): KeyGuarantees {
  return recordNeedsPin(record.backendData) ? { ...tier, userPresence: 'pin' } : tier;
}

const WRONG_PIN_STATUSES = new Set([
  0x80090033, // NTE_INCORRECT_PASSWORD
  0x8010006b, // SCARD_W_WRONG_CHV, as smart-card-style providers report a wrong PIN
]);
const NTE_NOT_SUPPORTED = 0x80090029;
const PIN_CALL = 'NCryptSetProperty (NCRYPT_PIN_PROPERTY)';

/**
 * One code per outcome, whatever form the PCP gives it in: a wrong PIN is E_TPM_AUTH (as on the
 * tpm2 tier, whether the TPM's TPM_RC or the provider's own status says it), a PCP that will
 * not take a PIN is E_USER_PRESENCE_UNAVAILABLE; the raw status stays in `osStatus` and cause.
 */
export function explainPinFailure(err: unknown): unknown {
  if (!isKeystoreError(err) || err.osStatus === undefined) return err;
  const status = err.osStatus >>> 0;
  if (WRONG_PIN_STATUSES.has(status)) {
    return new KeystoreError('E_TPM_AUTH', `wrong PIN: the Platform Crypto Provider refused it`, {
      osStatus: status,
      hint: "wrong PINs count towards the TPM's dictionary-attack lockout",
      cause: err,
    });
  }
  if (status === NTE_NOT_SUPPORTED && err.message.startsWith(`${PIN_CALL} failed`)) {
    return new KeystoreError(
      'E_USER_PRESENCE_UNAVAILABLE',
      'this Platform Crypto Provider does not take a PIN for a key (NCRYPT_PIN_PROPERTY)',
      {
        osStatus: status,
        hint: 'create the key without pin on this PC',
        cause: err,
      },
    );
  }
  return err;
}

export class PcpPinKeyHandle {
  readonly userPresence = 'pin' as const;

  constructor(
    private readonly native: NativeNcryptProvider,
    private readonly blob: Buffer,
    private readonly pins: PinCache,
  ) {}

  cachePin(pin: Buffer, ms: number): void {
    this.pins.set(this, pin, ms);
  }

  provePin(auth?: KeyAuth): Promise<Buffer> {
    return provePin(this, auth, this.pins, 'TPM');
  }

  /** Runs `op` on a handle imported for it alone, freed whatever happens. */
  async #withFreshHandle<T>(
    auth: KeyAuth | undefined,
    op: (key: object, pin: Buffer) => Promise<T>,
  ): Promise<T> {
    const pin = pinForUse(this, auth, this.pins, 'TPM')!;
    const { key } = await this.native.importKey(this.blob);
    try {
      return await op(key, pin);
    } catch (err) {
      throw explainPinFailure(err);
    } finally {
      await this.native.releaseKey(key).catch(() => {});
    }
  }

  signRaw(data: Uint8Array, prehashed: boolean, auth?: KeyAuth): Promise<RawSignature> {
    const digest = prehashed ? Buffer.from(data) : createHash('sha256').update(data).digest();
    return this.#withFreshHandle(auth, async (key, pin) => ({
      encoding: 'p1363',
      bytes: await this.native.sign(key, digest, pin),
    }));
  }

  ecdh(peerPoint: Buffer, auth?: KeyAuth): Promise<Buffer> {
    return this.#withFreshHandle(auth, (key, pin) => this.native.ecdh(key, peerPoint, pin));
  }
}

export { PinCache };
