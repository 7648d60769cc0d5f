import { KeystoreError } from './errors';

/**
 * Open or closed, for a store and everything it handed out. `close()` refuses new work at once,
 * then waits for the work in flight; every later call fails with E_CLOSED, and a second
 * `close()` waits for the same end as the first.
 */
export class Lifecycle {
  #closed = false;
  #inFlight = 0;
  #drained: (() => void) | undefined;
  #closing: Promise<void> | undefined;
  readonly #onClose = new Set<() => void>();

  assertOpen(): void {
    if (this.#closed)
      throw new KeystoreError('E_CLOSED', 'this Keystore was closed', { hint: 'open it again' });
  }

  /** Start a unit of work; pair with leave() in a finally. Cheap enough for the signing path. */
  enter(): void {
    this.assertOpen();
    this.#inFlight++;
  }

  leave(): void {
    if (--this.#inFlight === 0) this.#drained?.();
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    this.enter();
    try {
      return await fn();
    } finally {
      this.leave();
    }
  }

  /**
   * Runs `drop` when close() begins, before the wait: for what lives only in memory and must go
   * with the store (session keys). Returns the function that unregisters it.
   */
  onClose(drop: () => void): () => void {
    if (this.#closed) {
      drop();
      return () => {};
    }
    this.#onClose.add(drop);
    return () => this.#onClose.delete(drop);
  }

  /** Resolves once nothing is in flight; `then` runs once, after that. */
  close(then: () => Promise<void>): Promise<void> {
    this.#closed = true;
    for (const drop of this.#onClose) drop();
    this.#onClose.clear();
    this.#closing ??= (async () => {
      if (this.#inFlight > 0) await new Promise<void>((resolve) => (this.#drained = resolve));
      await then();
    })();
    return this.#closing;
  }
}
