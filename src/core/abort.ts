import { KeystoreError, invalidArgument } from './errors';

/**
 * Long waits (the store lock, the passphrase derivation) end early when the caller's
 * AbortSignal fires, with E_ABORTED and the signal's reason as `cause`. Only the wait ends:
 * nothing is half-done, since the lock was never taken and a derivation only fills a cache.
 */

export function abortedError(signal: AbortSignal): KeystoreError {
  return new KeystoreError('E_ABORTED', 'the operation was aborted before it started its work', {
    cause: signal.reason,
  });
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortedError(signal);
}

/** `p`, or E_ABORTED as soon as `signal` fires (p goes on, unobserved). */
export function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) {
    p.catch(() => {});
    return Promise.reject(abortedError(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      p.catch(() => {});
      reject(abortedError(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return abortable(new Promise((resolve) => setTimeout(resolve, ms)), signal);
}

/** Options of a call that may wait for the store lock or an unlock. */
export interface WaitOptions {
  /** Ends the wait early with E_ABORTED; work that has started runs to its end. */
  signal?: AbortSignal;
}

/**
 * The `signal` option of a call: undefined, or an AbortSignal. Option names other than
 * `allowed` are refused, as Keystore.open refuses them, so a misspelling never goes unnoticed.
 */
export function signalOption(
  opts: unknown,
  allowed: readonly string[] = ['signal'],
): AbortSignal | undefined {
  if (opts === undefined) return undefined;
  if (opts === null || typeof opts !== 'object') throw invalidArgument('options must be an object');
  for (const k of Object.keys(opts)) {
    if (!allowed.includes(k))
      throw invalidArgument(`unknown option "${k}"`, `valid options: ${allowed.join(', ')}`);
  }
  const signal = (opts as { signal?: unknown }).signal;
  if (signal === undefined || signal instanceof AbortSignal) return signal;
  throw invalidArgument('signal must be an AbortSignal');
}
