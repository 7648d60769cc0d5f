import { createHash, createHmac } from 'node:crypto';
import { TPM2_ALG } from '../crypto/tpm2-structures';

/** The TPM hash algorithms an attestation may name, with node's names and digest sizes. */
const HASHES: ReadonlyMap<number, { name: string; size: number }> = new Map([
  [TPM2_ALG.SHA1, { name: 'sha1', size: 20 }],
  [TPM2_ALG.SHA256, { name: 'sha256', size: 32 }],
  [TPM2_ALG.SHA384, { name: 'sha384', size: 48 }],
  [TPM2_ALG.SHA512, { name: 'sha512', size: 64 }],
]);

export function tpmHash(alg: number): { name: string; size: number } | undefined {
  return HASHES.get(alg);
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

/** A TPM label: the ASCII string and its terminating zero octet (Part 1, §11.4.10). */
function label(text: string): Buffer {
  return Buffer.concat([Buffer.from(text, 'ascii'), Buffer.of(0)]);
}

/** Counter-mode expansion both KDFs share: block(1) ‖ block(2) ‖ … truncated to `bits`. */
function expand(bits: number, block: (counter: Buffer) => Buffer): Buffer {
  const want = Math.ceil(bits / 8);
  const out: Buffer[] = [];
  for (let i = 1, have = 0; have < want; i++) {
    const b = block(u32(i));
    out.push(b);
    have += b.length;
  }
  return Buffer.concat(out).subarray(0, want);
}

/**
 * KDFa (TPM 2.0 Part 1, §11.4.10.2): SP 800-108 counter mode with HMAC, as the TPM runs it —
 * HMAC(key, i ‖ label ‖ 00 ‖ contextU ‖ contextV ‖ bits) for i = 1, 2, …, truncated to `bits`
 * (always a whole number of bytes here: AES key sizes and digest sizes).
 */
export function kdfa(
  hash: string,
  key: Uint8Array,
  labelText: string,
  contextU: Uint8Array,
  contextV: Uint8Array,
  bits: number,
): Buffer {
  const fixed = Buffer.concat([label(labelText), contextU, contextV, u32(bits)]);
  return expand(bits, (i) => createHmac(hash, key).update(i).update(fixed).digest());
}

/**
 * KDFe (Part 1, §11.4.10.3): the SP 800-56A concatenation KDF the TPM uses after ECDH —
 * H(i ‖ Z ‖ label ‖ 00 ‖ partyUInfo ‖ partyVInfo) for i = 1, 2, …, truncated to `bits`.
 */
export function kdfe(
  hash: string,
  z: Uint8Array,
  labelText: string,
  partyUInfo: Uint8Array,
  partyVInfo: Uint8Array,
  bits: number,
): Buffer {
  const other = Buffer.concat([label(labelText), partyUInfo, partyVInfo]);
  return expand(bits, (i) => createHash(hash).update(i).update(z).update(other).digest());
}
