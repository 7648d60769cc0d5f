/** Material several targets draw on: real P-256 points and a real signing key. */
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';

/**
 * A fixed test key (made for the fuzzers, never used elsewhere), so the signatures in the
 * committed corpus verify and structured mutations of them stay near valid ones.
 */
const FUZZ_SIGNING_JWK = {
  kty: 'EC',
  crv: 'P-256',
  x: '9p-BrbEk9Bs-pVt1RtsGbW_cQ_-79Rl6CUMwgQ43dQs',
  y: 'M2IJwK5wcxEEhBmA_omJXdn2SgJqK3OlLULnX387t84',
  d: 'bo_Fo3UhY8y0XWgHegzYgO1FzNei8uARX9upbP6B8lc',
};

let points: Buffer[] | undefined;
let signer: { privateKey: KeyObject; publicKey: KeyObject } | undefined;

/** Uncompressed points of fresh node:crypto keys (one with a leading zero byte in x). */
export function realPoints(): Buffer[] {
  if (!points) {
    points = [];
    while (points.length < 4 || !points.some((p) => p[1] === 0)) {
      const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const der = publicKey.export({ format: 'der', type: 'spki' });
      const p = der.subarray(der.length - 65);
      if (points.length < 4 || p[1] === 0) points.push(Buffer.from(p));
    }
  }
  return points;
}

export function signingKey(): { privateKey: KeyObject; publicKey: KeyObject } {
  if (!signer) {
    const privateKey = createPrivateKey({ key: FUZZ_SIGNING_JWK, format: 'jwk' });
    signer = { privateKey, publicKey: createPublicKey(privateKey) };
  }
  return signer;
}
