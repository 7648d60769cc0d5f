import { invalidArgument, received, shown } from '../core/errors';

/** The longest a session certificate may live: a stolen session key is good until it expires. */
export const MAX_SESSION_TTL_MS = 24 * 60 * 60 * 1000;
/**
 * The issuer writes notBefore this far in the past, so that a verifier whose clock is behind
 * ours (TLS stacks and openssl have no skew setting) still accepts a fresh session. It gives a
 * thief nothing: the key did not exist before it was issued, and notAfter is still issue time +
 * ttl.
 */
export const NOT_BEFORE_BACKDATE_MS = 60_000;
/** The longest notBefore..notAfter window a session certificate may have: the cap + backdate. */
export const MAX_SESSION_WINDOW_MS = MAX_SESSION_TTL_MS + NOT_BEFORE_BACKDATE_MS;

/** verifySessionCertificate's default tolerance for clocks that disagree. */
export const DEFAULT_CLOCK_SKEW_MS = 60_000;
const MAX_CLOCK_SKEW_MS = 10 * 60_000;

export function clockSkew(input: unknown): number {
  if (input === undefined) return DEFAULT_CLOCK_SKEW_MS;
  if (input === 0) return 0;
  const ms = parseDuration(input, 'clockSkew');
  if (ms > MAX_CLOCK_SKEW_MS) {
    throw invalidArgument(`clockSkew may be at most 10 minutes, not ${ms / 1000} s`);
  }
  return ms;
}

/** X.509 times have whole seconds, so nothing shorter can be written down. */
export const MIN_SESSION_TTL_MS = 1000;

const UNIT_MS: Readonly<Record<string, number>> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/**
 * A duration as milliseconds, from a number of milliseconds or a string of whole units:
 * "90s", "15m", "1h30m", "1d". Whole seconds only.
 */
export function parseDuration(input: unknown, what: string): number {
  let ms: number;
  if (typeof input === 'number') {
    ms = input;
  } else if (typeof input === 'string' && /^(\d+[smhd])+$/.test(input)) {
    ms = 0;
    for (const [, n, unit] of input.matchAll(/(\d+)([smhd])/g)) ms += Number(n) * UNIT_MS[unit!]!;
  } else {
    throw invalidArgument(
      `${what} must be milliseconds or a duration such as "15m", "1h30m", not ${typeof input === 'string' ? shown(input) : received(input)}`,
    );
  }
  if (!Number.isSafeInteger(ms) || ms <= 0 || ms % 1000 !== 0) {
    throw invalidArgument(`${what} must be a positive whole number of seconds, not ${ms} ms`);
  }
  return ms;
}

export function sessionTtl(input: unknown): number {
  const ms = parseDuration(input, 'ttl');
  if (ms < MIN_SESSION_TTL_MS || ms > MAX_SESSION_TTL_MS) {
    throw invalidArgument(
      `ttl must be between 1 s and 24 h, not ${ms / 1000} s`,
      'a session key is a software key: keep it short-lived, and renew it instead',
    );
  }
  return ms;
}

/** The extended key usages openssl and node know by name (RFC 5280 §4.2.1.12). */
export const NAMED_PURPOSES: Readonly<Record<string, string>> = Object.freeze({
  clientAuth: '1.3.6.1.5.5.7.3.2',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  codeSigning: '1.3.6.1.5.5.7.3.3',
  emailProtection: '1.3.6.1.5.5.7.3.4',
  timeStamping: '1.3.6.1.5.5.7.3.8',
});

export const CLIENT_AUTH = NAMED_PURPOSES.clientAuth!;

/** A purpose name or a dotted OID (your own, e.g. under your organisation's arc) as an OID. */
export function purposeOid(purpose: unknown): string {
  if (typeof purpose === 'string') {
    // Own properties only: "constructor" or "__proto__" are not purposes.
    if (Object.hasOwn(NAMED_PURPOSES, purpose)) return NAMED_PURPOSES[purpose]!;
    if (
      /^[0-2](\.(0|[1-9]\d{0,9})){1,30}$/.test(purpose) &&
      !/^[01]\.([4-9]\d|\d{3,})/.test(purpose)
    )
      return purpose;
  }
  throw invalidArgument(
    `purpose must be one of ${Object.keys(NAMED_PURPOSES).join(', ')} or a dotted OID such as "1.3.6.1.4.1.99999.1", not ${typeof purpose === 'string' ? shown(purpose) : received(purpose)}`,
  );
}

export function checkOptionKeys(opts: unknown, allowed: readonly string[], what: string): void {
  if (opts === null || typeof opts !== 'object') {
    throw invalidArgument(`${what} options must be an object. ${received(opts)}`);
  }
  for (const k of Object.keys(opts)) {
    if (!allowed.includes(k)) {
      throw invalidArgument(`unknown ${what} option "${k}"`, `use ${allowed.join(', ')}`);
    }
  }
}

export interface DelegateOptions {
  /** How long each certificate is valid: milliseconds or "15m", "1h30m"; 1 s to 24 h. */
  ttl: number | string;
  /**
   * What the key is for, as an extended key usage: a name (clientAuth, serverAuth, codeSigning,
   * emailProtection, timeStamping) or a dotted OID of your own. clientAuth is always added, so
   * the key works as a TLS client certificate. Default clientAuth.
   */
  purpose?: string;
  /** Renew (new key, new certificate) ahead of expiry, in the background. Default false. */
  renew?: boolean;
  /** How long before expiry to renew: milliseconds or a duration. Default a fifth of the ttl. */
  renewBefore?: number | string;
  /** Told when a background renewal fails; it is retried until the current key expires. */
  onRenewError?: (err: unknown) => void;
  /**
   * The key's PIN, for a key made with one (its certifying key has the same PIN). Used for this
   * call only, so not with `renew`: renewals use the PIN cached with getKey's `cacheFor`.
   */
  pin?: string | Uint8Array;
}

const DELEGATE_OPTION_KEYS = [
  'ttl',
  'purpose',
  'renew',
  'renewBefore',
  'onRenewError',
  'pin',
] as const;

/** delegate()'s options, checked and with their defaults. */
export interface Settings {
  ttlMs: number;
  purpose: string;
  renew: boolean;
  renewBeforeMs: number;
  onRenewError: ((err: unknown) => void) | undefined;
}

export function settingsFrom(opts: DelegateOptions): Settings {
  if (opts === undefined) throw invalidArgument('delegate needs options, at least { ttl }');
  checkOptionKeys(opts, DELEGATE_OPTION_KEYS, 'delegate');
  if (opts.ttl === undefined) throw invalidArgument('delegate needs a ttl, such as "15m"');
  const ttlMs = sessionTtl(opts.ttl);
  const purpose = purposeOid(opts.purpose ?? 'clientAuth');
  if (opts.renew !== undefined && typeof opts.renew !== 'boolean') {
    throw invalidArgument('renew must be a boolean');
  }
  if (opts.onRenewError !== undefined && typeof opts.onRenewError !== 'function') {
    throw invalidArgument('onRenewError must be a function');
  }
  if (opts.pin !== undefined && opts.renew === true) {
    throw invalidArgument(
      'pin is used for this delegate() call only, so it cannot renew the session',
      "to renew a PIN key's session, keep its PIN with getKey(alias, { pin, cacheFor }) and leave pin out",
    );
  }
  const renewBeforeMs =
    opts.renewBefore === undefined
      ? Math.floor(ttlMs / 5)
      : parseDuration(opts.renewBefore, 'renewBefore');
  if (renewBeforeMs >= ttlMs) throw invalidArgument('renewBefore must be shorter than the ttl');
  return {
    ttlMs,
    purpose,
    renew: opts.renew ?? false,
    renewBeforeMs,
    onRenewError: opts.onRenewError,
  };
}
