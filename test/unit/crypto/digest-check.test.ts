import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { p256 } from '@noble/curves/p256';
import { describe, expect, it } from 'vitest';
import { digestSignedByKeyOrNegation } from '../../../src/crypto/digest-check';

// The TPM tier's check of each prehashed signature, against @noble/curves' own signatures and
// verify: what it accepts, it accepts exactly when noble verifies under Q or −Q.
function keyPair(): { d: Uint8Array; q: Uint8Array } {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const d = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url');
  return { d, q: p256.getPublicKey(d, false) };
}

describe('digestSignedByKeyOrNegation', () => {
  it('accepts every signature by the key, high-S and low-S, and refuses other keys and digests', () => {
    const ours = keyPair();
    const other = keyPair();
    const negated = p256.ProjectivePoint.fromHex(ours.q).negate().toRawBytes(false);
    for (let i = 0; i < 200; i++) {
      const e = createHash('sha256').update(randomBytes(16)).digest();
      const sig = p256.sign(e, ours.d, { prehash: false, lowS: i % 2 === 0 }).toCompactRawBytes();
      expect(digestSignedByKeyOrNegation(ours.q, e, sig), `sig ${i}`).toBe(true);
      expect(digestSignedByKeyOrNegation(negated, e, sig), `negated ${i}`).toBe(true);
      const wrongKey = p256.sign(e, other.d, { prehash: false }).toCompactRawBytes();
      expect(digestSignedByKeyOrNegation(ours.q, e, wrongKey), `other key ${i}`).toBe(false);
      const e2 = Buffer.from(e);
      e2[i % 32]! ^= 1;
      expect(digestSignedByKeyOrNegation(ours.q, e2, sig), `other digest ${i}`).toBe(false);
    }
  });

  it('refuses out-of-range and malformed input', () => {
    const { q } = keyPair();
    const e = randomBytes(32);
    expect(digestSignedByKeyOrNegation(q, e, Buffer.alloc(64))).toBe(false);
    expect(digestSignedByKeyOrNegation(q, e, Buffer.alloc(64, 0xff))).toBe(false);
    expect(digestSignedByKeyOrNegation(q, e, Buffer.alloc(63, 1))).toBe(false);
    expect(digestSignedByKeyOrNegation(q.subarray(1), e, Buffer.alloc(64, 1))).toBe(false);
  });
});
