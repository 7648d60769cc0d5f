import { invalidArgument } from '../core/errors';
import type { Backend, NewKeyOptions } from './tier';
import type { PromptedPresence } from '../core/tiers';
import type { PinOptions } from '../core/pin';

/**
 * What createKey asks of the store's tier beyond a plain key, refused before the tier is asked
 * when the tier cannot give it: a PIN (tpm2, windows-tpm) or a prompt at each use
 * (secure-enclave).
 */
export function userPresenceFor(
  backend: Backend,
  pin: PinOptions | undefined,
  presence: PromptedPresence | undefined,
): NewKeyOptions {
  if (pin && !backend.pinKeys) {
    throw invalidArgument(
      `the ${backend.tier} tier does not make keys with a PIN`,
      'PIN-protected keys are made in the tpm2 and windows-tpm tiers',
    );
  }
  if (presence && !backend.promptKeys) {
    throw invalidArgument(
      `the ${backend.tier} tier does not make keys with userPresence '${presence}'`,
      'keys that macOS guards with Touch ID or the login password are made in the secure-enclave tier',
    );
  }
  return pin ? { pin: pin.pin } : { userPresence: presence! };
}
