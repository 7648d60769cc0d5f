import { createECDH } from 'node:crypto';
import { p256 } from '@noble/curves/p256';

/**
 * A fast check that an r‖s signature over a precomputed digest was made by the key with public
 * point Q or by its negation −Q: what the TPM tier runs after every prehashed signature, to
 * catch a TPM that signed with another client's key. node:crypto cannot verify a bare digest
 * (it always hashes), and @noble/curves' verify costs ~6 ms here, against ~0.7 ms per TPM sign.
 *
 * ECDSA verification accepts when x(u1·G + u2·Q) ≡ r (mod n), u1 = e/s and u2 = r/s. Both
 * scalar multiplications run in OpenSSL through node's ECDH: u1·G in full, u2·Q as its x only,
 * which leaves the sign of its y open. The two candidate sums A ± B then have x-coordinates that
 * are the roots of t² − S·t + P, where S and P need only y_B², not y_B; so the check is that r
 * is such a root, with no square root and no inversion. It accepts a signature under −Q as well
 * as Q: telling a wrong key from ours needs nothing more, since no other key is −Q unless its
 * owner knows our private key. Returns false for anything out of range.
 */
export function digestSignedByKeyOrNegation(
  point65: Uint8Array,
  digest: Uint8Array,
  rs: Uint8Array,
): boolean {
  if (point65.length !== 65 || digest.length !== 32 || rs.length !== 64) return false;
  const { p, n, b } = p256.CURVE as unknown as { p: bigint; n: bigint; b: bigint };
  const r = toBig(rs.subarray(0, 32));
  const s = toBig(rs.subarray(32));
  if (r <= 0n || r >= n || s <= 0n || s >= n) return false;
  const w = p256.ProjectivePoint.Fn.inv(s);
  const u1 = (toBig(digest) * w) % n;
  const u2 = (r * w) % n;
  if (u1 === 0n) return fallback(point65, digest, rs);
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(toBytes32(u1));
  const a = ecdh.getPublicKey(); // u1·G, uncompressed
  const xa = toBig(a.subarray(1, 33));
  const ya = toBig(a.subarray(33, 65));
  ecdh.setPrivateKey(toBytes32(u2));
  const xb = toBig(ecdh.computeSecret(point65)); // x of u2·Q
  const mod = (v: bigint): bigint => ((v % p) + p) % p;
  const d = mod(xa - xb);
  if (d === 0n) return fallback(point65, digest, rs); // A = ±B: the formula divides by zero
  const yb2 = mod(xb * xb * xb - 3n * xb + b);
  // With D2 = (xa − xb)², Y = ya² + yb², X = xa + xb, for each candidate t:
  //   D2²·(t² − S·t + P) = t²·D2² − 2t·(Y − X·D2)·D2 + (Y − X·D2)² − 4·ya²·yb²
  const d2 = mod(d * d);
  const y = mod(ya * ya + yb2);
  const k = mod(y - ((xa + xb) % p) * d2);
  const cross = mod(4n * mod(ya * ya) * yb2);
  const isRoot = (t: bigint) =>
    mod(mod(t * t) * mod(d2 * d2) - mod(2n * t * k) * d2 + mod(k * k) - cross) === 0n;
  // x(R) mod n = r means x(R) is r, or r + n when that is still below p.
  return isRoot(r) || (r + n < p && isRoot(r + n));
}

/** The plain verify, for the cases the formula cannot take (probability about 2⁻²⁵⁶). */
function fallback(point65: Uint8Array, digest: Uint8Array, rs: Uint8Array): boolean {
  const ok = (pt: Uint8Array) => p256.verify(rs, digest, pt, { prehash: false, lowS: false });
  const negated = p256.ProjectivePoint.fromHex(point65).negate().toRawBytes(false);
  return ok(point65) || ok(negated);
}

function toBig(bytes: Uint8Array): bigint {
  return bytes.length ? BigInt('0x' + Buffer.from(bytes).toString('hex')) : 0n;
}

function toBytes32(v: bigint): Buffer {
  return Buffer.from(v.toString(16).padStart(64, '0'), 'hex');
}
