import { randomBytes } from 'node:crypto';
import { invalidArgument } from '../core/errors';
import type { KeyAuth, KeyHandle } from '../core/key-handle';
import type { UserPresence } from '../core/tiers';

/**
 * The PINs handles keep for `cacheFor`: one per handle, wiped at expiry and on close. A
 * certifying key's handle shares the entry of the key it certifies for (share()), so the PIN
 * cached for a key also serves its certificate() and delegate().
 */
export class PinCache {
  readonly #pins = new Map<object, { pin: Buffer; timer: NodeJS.Timeout }>();
  readonly #sameAs = new WeakMap<object, object>();

  /** From now on `owner` uses the PIN cached for `other`. */
  share(owner: object, other: object): void {
    this.#sameAs.set(owner, this.#sameAs.get(other) ?? other);
  }

  set(handle: object, pin: Buffer, ms: number): void {
    const owner = this.#sameAs.get(handle) ?? handle;
    this.drop(owner);
    if (ms <= 0) return;
    const copy = Buffer.from(pin);
    const timer = setTimeout(() => this.drop(owner), ms);
    timer.unref();
    this.#pins.set(owner, { pin: copy, timer });
  }

  get(handle: object): Buffer | undefined {
    return this.#pins.get(this.#sameAs.get(handle) ?? handle)?.pin;
  }

  drop(handle: object): void {
    const owner = this.#sameAs.get(handle) ?? handle;
    const entry = this.#pins.get(owner);
    if (!entry) return;
    clearTimeout(entry.timer);
    entry.pin.fill(0);
    this.#pins.delete(owner);
  }

  dropAll(): void {
    for (const owner of [...this.#pins.keys()]) this.drop(owner);
  }
}

/**
 * The PIN for one operation of `owner` (a key handle of a tier with PIN keys): the call's, else
 * the cached one. Refused before the device is asked, so no guess is ever wasted.
 */
export function pinForUse(
  owner: { readonly userPresence?: UserPresence },
  auth: KeyAuth | undefined,
  pins: PinCache,
  device: string,
): Buffer | undefined {
  if (owner.userPresence !== 'pin') {
    if (auth?.pin) throw invalidArgument('this key has no PIN', 'call it without the pin option');
    return undefined;
  }
  const pin = auth?.pin ?? pins.get(owner);
  if (!pin) {
    throw invalidArgument(
      `this key needs its PIN: nothing was sent to the ${device}`,
      'pass { pin } to this call, or getKey(alias, { pin, cacheFor }) to keep it for a while',
    );
  }
  return pin;
}

/**
 * The PIN of `handle`'s key (the call's, else the cached one), proven by the device: the key
 * signs a random digest with it. What a key made with the same PIN (its certifying key) gets,
 * so a mistyped PIN never becomes the certifying key's. A wrong one is the tier's E_TPM_AUTH and
 * counts towards the TPM's lockout like any other. The caller wipes the copy returned.
 */
export async function provePin(
  handle: KeyHandle,
  auth: KeyAuth | undefined,
  pins: PinCache,
  device: string,
): Promise<Buffer> {
  const found = pinForUse(handle, auth, pins, device);
  if (!found) throw new Error('internal: provePin of a key without a PIN');
  const pin = Buffer.from(found);
  try {
    await handle.signRaw(randomBytes(32), true, { pin });
    return pin;
  } catch (err) {
    pin.fill(0);
    throw err;
  }
}
