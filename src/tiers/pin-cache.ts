import { invalidArgument } from '../core/errors';
import type { KeyAuth } from '../core/key-handle';
import type { UserPresence } from '../core/tiers';

/** The PINs handles keep for `cacheFor`: one per handle, wiped at expiry and on close. */
export class PinCache {
  readonly #pins = new Map<object, { pin: Buffer; timer: NodeJS.Timeout }>();

  set(owner: object, pin: Buffer, ms: number): void {
    this.drop(owner);
    if (ms <= 0) return;
    const copy = Buffer.from(pin);
    const timer = setTimeout(() => this.drop(owner), ms);
    timer.unref();
    this.#pins.set(owner, { pin: copy, timer });
  }

  get(owner: object): Buffer | undefined {
    return this.#pins.get(owner)?.pin;
  }

  drop(owner: object): void {
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
