/**
 * The native layer reports failures raw: a plain Error with the platform call, the status and
 * the platform's own text for it (or one of our reasons when no status applies). Each platform
 * has one TypeScript table that turns that into a KeystoreError with a stable `code` and a hint:
 * src/addon/tss2-status.ts (TSS2_RC), src/addon/osstatus.ts (OSStatus / CFError).
 */

/** What native/common/errors.cc puts on a failed operation's error. */
export interface RawNativeError extends Error {
  /** The platform function that failed: "Esys_Sign", "SecItemDelete", ... */
  call?: string;
  /** Whose status: "tss2", or a CFError domain such as "NSOSStatusErrorDomain". */
  domain?: string;
  status?: number;
  /** The platform's text for the status (Tss2_RC_Decode, SecCopyErrorMessageString). */
  statusText?: string;
  /**
   * Set instead of a status when the failure is ours to name: "closed", "bad-argument",
   * "corrupt", "unexpected-response", "unsupported-parent", "tss2-missing", "tbs-missing",
   * "out-of-memory", "internal-error" (an exception below the platform call, native/common).
   */
  reason?: NativeReason;
  /** What went wrong, in words (for a reason above all). */
  detail?: string;
}

export const NATIVE_REASONS = [
  'closed',
  'bad-argument',
  'corrupt',
  'unexpected-response',
  'unsupported-parent',
  'tss2-missing',
  'tbs-missing',
  'out-of-memory',
  'internal-error',
  'srk-mismatch',
  'srk-unpinned',
] as const;
export type NativeReason = (typeof NATIVE_REASONS)[number];

export function isRawNativeError(err: unknown): err is RawNativeError {
  return (
    err instanceof Error &&
    !('code' in err) &&
    (typeof (err as RawNativeError).domain === 'string' ||
      typeof (err as RawNativeError).reason === 'string')
  );
}

/**
 * The native object, with every promise it returns rejecting with `toError(raw)` instead of the
 * raw error. Synchronous throws (E_INVALID_ARGUMENT from the C++ argument checks) pass as they are.
 */
export function mapRejections<T extends object>(raw: T, toError: (err: unknown) => unknown): T {
  return new Proxy(raw, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const result: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
        return result instanceof Promise
          ? result.catch((err: unknown) => {
              throw toError(err);
            })
          : result;
      };
    },
  });
}
