/**
 * ECDSA signatures, DER and IEEE P1363: our verify path (src/crypto/ecdsa.ts) against OpenSSL's
 * (node:crypto.verify with the same dsaEncoding), which must agree on every input. Besides:
 * our prehashed path (noble) must agree with our message path (OpenSSL), a signature we parse
 * must re-encode to its very bytes (one encoding per (r, s)), and finishSignature must accept
 * exactly what the strict parser accepts and emit its low-S form.
 *
 * Input: one byte format (even: DER, odd: P1363), then the signature.
 */
import { createHash, sign, verify } from 'node:crypto';
import {
  P256_N,
  encodeDerSignature,
  encodeP1363Signature,
  finishSignature,
  lowS,
  parseSignature,
  verifySignature,
} from '../../../src/crypto/ecdsa';
import { type SignatureFormat } from '../../../src/core/inputs';
import { FuzzFailure, typedOutcome, type Rng, type Target } from '../engine';
import { signingKey } from './seeds';

export const MESSAGE = Buffer.from('device-keystore fuzz message');
const DIGEST = createHash('sha256').update(MESSAGE).digest();

const formatOf = (input: Buffer): SignatureFormat => ((input[0] ?? 0) % 2 === 0 ? 'der' : 'p1363');

function scalars(rng: Rng, r: bigint, s: bigint): [bigint, bigint] {
  const edge = [
    0n,
    1n,
    P256_N - 1n,
    P256_N,
    P256_N + 1n,
    P256_N >> 1n,
    (P256_N >> 1n) + 1n,
    2n ** 256n - 1n,
    0x80n,
  ];
  switch (rng.below(6)) {
    case 0:
      return [r, P256_N - s]; // the other S: still valid
    case 1:
      return [rng.pick(edge), s];
    case 2:
      return [r, rng.pick(edge)];
    case 3:
      return [s, r];
    default:
      return [r, s];
  }
}

function int(v: bigint, rng: Rng): Buffer {
  let hex = v.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  let body = Buffer.from(hex, 'hex');
  if (body[0]! & 0x80 || rng.chance(0.05)) body = Buffer.concat([Buffer.of(0), body]); // maybe superfluous
  const len = rng.chance(0.03) ? Buffer.of(0x81, body.length) : Buffer.of(body.length);
  return Buffer.concat([Buffer.of(0x02), len, body]);
}

function structured(input: Buffer, rng: Rng): Buffer | undefined {
  const format = formatOf(input);
  const parsed = typedOutcome(() => parseSignature(input.subarray(1), format));
  if (!parsed.ok) return undefined;
  const [r, s] = scalars(rng, parsed.value.r, parsed.value.s);
  const outFormat = rng.chance(0.8) ? format : format === 'der' ? 'p1363' : 'der';
  let sig: Buffer;
  if (outFormat === 'p1363') {
    const hex = (v: bigint) => (v % 2n ** 256n).toString(16).padStart(64, '0');
    sig = Buffer.from(hex(r) + hex(s), 'hex');
  } else {
    const body = Buffer.concat([int(r, rng), int(s, rng)]);
    sig = Buffer.concat([Buffer.of(0x30, body.length), body]);
    if (rng.chance(0.05)) sig = Buffer.concat([sig, Buffer.of(0)]);
  }
  return Buffer.concat([Buffer.of(outFormat === 'der' ? 0 : 1), sig]);
}

export const ecdsaTarget: Target = {
  name: 'ecdsa-signature',
  seeds: () => {
    const { privateKey } = signingKey();
    return [0, 1, 2, 3].flatMap(() => [
      Buffer.concat([Buffer.of(0), sign('sha256', MESSAGE, privateKey)]),
      Buffer.concat([
        Buffer.of(1),
        sign('sha256', MESSAGE, { key: privateKey, dsaEncoding: 'ieee-p1363' }),
      ]),
    ]);
  },
  mutate: structured,
  check: (inputs) => inputs.map(checkSignature),
};

function openssl(sig: Buffer, format: SignatureFormat): boolean {
  try {
    const dsaEncoding = format === 'der' ? 'der' : 'ieee-p1363';
    return verify('sha256', MESSAGE, { key: signingKey().publicKey, dsaEncoding }, sig);
  } catch {
    return false;
  }
}

export function checkSignature(input: Buffer): string {
  const format = formatOf(input);
  const sig = input.subarray(1);
  const { publicKey } = signingKey();
  const ours = typedOutcome(() => verifySignature(publicKey, MESSAGE, sig, { format }));
  if (!ours.ok)
    throw new FuzzFailure(`verifySignature threw for a bad signature: ${ours.label}`, input);
  const theirs = openssl(sig, format);
  if (ours.value !== theirs) {
    throw new FuzzFailure(`${format}: we say ${ours.value}, OpenSSL says ${theirs}`, input);
  }
  const parsed = typedOutcome(() => parseSignature(sig, format));
  // noble's verify costs ten OpenSSL ones: asked for one parsed signature in eight.
  if (parsed.ok && (parsed.value.s & 7n) === 0n) {
    const prehashed = typedOutcome(() =>
      verifySignature(publicKey, DIGEST, sig, { format, prehashed: true }),
    );
    if (!prehashed.ok || prehashed.value !== ours.value) {
      throw new FuzzFailure(`${format}: the prehashed path (noble) disagrees with OpenSSL`, input);
    }
  }
  const finished = typedOutcome(() => finishSignature(sig, 'der', format));
  if (parsed.ok !== finished.ok) {
    throw new FuzzFailure(
      `${format}: parseSignature ${parsed.ok} but finishSignature ${finished.ok}`,
      input,
    );
  }
  if (!parsed.ok || !finished.ok) return `${ours.value} ${parsed.ok ? '' : parsed.label}`;
  const { r, s } = parsed.value;
  const encoded = format === 'der' ? encodeDerSignature(r, s) : encodeP1363Signature(r, s);
  if (!encoded.equals(sig))
    throw new FuzzFailure(`${format}: an accepted signature has another encoding`, input);
  const low = lowS(r, s);
  const p1363 = finishSignature(sig, 'p1363', format);
  if (
    !finished.value.equals(encodeDerSignature(low.r, low.s)) ||
    !p1363.equals(encodeP1363Signature(low.r, low.s))
  ) {
    throw new FuzzFailure(`${format}: finishSignature is not the low-S form`, input);
  }
  return `accepted (verifies: ${ours.value}, ${s === low.s ? 'low' : 'high'}-S)`;
}
