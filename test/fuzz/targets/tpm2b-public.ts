/**
 * TPM2B_PUBLIC: src/crypto/tpm2-structures.ts against libtss2-mu (test/fuzz/mu-harness.c, the
 * addon's own checks). Every structure our parser accepts must be accepted by libtss2-mu with
 * the very same fields, must marshal back to the same bytes, and a public point it yields must
 * be one node:crypto accepts.
 */
import { createPublicKey } from 'node:crypto';
import {
  TPM2_ALG,
  marshalTpm2bEccPublic,
  parseTpm2bPublic,
  publicPointOf,
  type Tpm2EccPublic,
} from '../../../src/crypto/tpm2-structures';
import { spkiDerFromRaw } from '../../../src/crypto/p256';
import { FuzzFailure, typedOutcome, type Rng, type Target } from '../engine';
import { muCheck } from '../mu-oracle';
import { realPoints } from './seeds';

const hex = (b: Buffer) => (b.length ? b.toString('hex') : '-');
const h4 = (n: number) => n.toString(16).padStart(4, '0');

/** Our parse in the line format of mu-harness.c, field for field. */
export function tsLine(p: Tpm2EccPublic): string {
  const sym =
    p.symmetric.algorithm === TPM2_ALG.NULL
      ? ''
      : `,${h4(p.symmetric.keyBits!)},${h4(p.symmetric.mode!)}`;
  const sch =
    (p.scheme.hashAlg !== undefined ? `,${h4(p.scheme.hashAlg)}` : '') +
    (p.scheme.count !== undefined ? `,${h4(p.scheme.count)}` : '');
  const kdf = p.kdf.hashAlg !== undefined ? `,${h4(p.kdf.hashAlg)}` : '';
  return (
    `OK type=${h4(p.type)} nameAlg=${h4(p.nameAlg)} attrs=${p.objectAttributes.toString(16).padStart(8, '0')}` +
    ` authPolicy=${hex(p.authPolicy)} sym=${h4(p.symmetric.algorithm)}${sym}` +
    ` scheme=${h4(p.scheme.scheme)}${sch} curve=${h4(p.curveId)} kdf=${h4(p.kdf.scheme)}${kdf}` +
    ` x=${hex(p.x)} y=${hex(p.y)}`
  );
}

const ALGS = [...Object.values(TPM2_ALG), 0x0000, 0x0014, 0x0016, 0x0017, 0x0044, 0xffff];
const ATTRS = [0x00060472, 0x00060072, 0x00030472, 0x00000452, 0x00040072, 0x00070472, 0];

const u16 = (v: number) => Buffer.of((v >> 8) & 0xff, v & 0xff);
const u32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0);
  return b;
};
const tpm2b = (b: Buffer) => Buffer.concat([u16(b.length), b]);

function alg(rng: Rng, usual: number): number {
  if (rng.chance(0.6)) return usual;
  return rng.chance(0.9) ? rng.pick(ALGS) : rng.below(0x10000);
}

function coordinate(rng: Rng, real: Buffer): Buffer {
  switch (rng.below(6)) {
    case 0:
      return Buffer.alloc(0);
    case 1:
      return real.subarray(rng.below(4)); // a stored coordinate with leading zeros dropped
    case 2:
      return rng.bytes(rng.below(140));
    default:
      return real;
  }
}

/**
 * A TPMT_PUBLIC written field by field, independently of the marshaller under test: selectors
 * from the algorithm registry (or anything), union members present or not as the selector says
 * (or not), coordinates from real points or of odd sizes.
 */
export function generatePublic(rng: Rng): Buffer {
  const point = rng.pick(realPoints());
  const type = alg(rng, TPM2_ALG.ECC);
  const symAlg = alg(rng, rng.chance(0.5) ? TPM2_ALG.NULL : TPM2_ALG.AES);
  const scheme = alg(rng, rng.chance(0.5) ? TPM2_ALG.NULL : TPM2_ALG.ECDSA);
  const kdf = alg(rng, TPM2_ALG.NULL);
  const wrongUnions = rng.chance(0.1);
  const parts = [
    u16(type),
    u16(alg(rng, TPM2_ALG.SHA256)),
    u32(rng.chance(0.8) ? rng.pick(ATTRS) : rng.u32()),
    tpm2b(rng.chance(0.7) ? Buffer.alloc(0) : rng.bytes(rng.pick([20, 32, 48, 64, 65, 3]))),
    u16(symAlg),
  ];
  if ((symAlg !== TPM2_ALG.NULL) !== wrongUnions)
    parts.push(u16(rng.pick([128, 256, 0])), u16(alg(rng, TPM2_ALG.CFB)));
  parts.push(u16(scheme));
  if ((scheme !== TPM2_ALG.NULL) !== wrongUnions) parts.push(u16(alg(rng, TPM2_ALG.SHA256)));
  if (scheme === TPM2_ALG.ECDAA) parts.push(u16(rng.below(0x10000)));
  parts.push(u16(rng.chance(0.8) ? 0x0003 : rng.below(0x30)), u16(kdf));
  if ((kdf !== TPM2_ALG.NULL) !== wrongUnions) parts.push(u16(alg(rng, TPM2_ALG.SHA256)));
  parts.push(
    tpm2b(coordinate(rng, point.subarray(1, 33))),
    tpm2b(coordinate(rng, point.subarray(33))),
  );
  return tpm2b(Buffer.concat(parts));
}

/** What libtss2-mu takes and we refuse, by our reason: deliberate strictness, tallied. */
export const stricterThanMu = new Map<string, number>();

export const tpm2bPublicTarget: Target = {
  name: 'tpm2b-public',
  seeds: () => [
    Buffer.from('001a0023000b00030472000000060080004300100003001000000000', 'hex'), // H-2 SRK
    ...realPoints().map((p) =>
      marshalTpm2bEccPublic({
        nameAlg: TPM2_ALG.SHA256,
        objectAttributes: 0x00060472,
        authPolicy: Buffer.alloc(0),
        symmetric: { algorithm: TPM2_ALG.NULL },
        scheme: { scheme: TPM2_ALG.NULL },
        curveId: 0x0003,
        kdf: { scheme: TPM2_ALG.NULL },
        x: p.subarray(1, 33),
        y: p.subarray(33),
      }),
    ),
  ],
  mutate: (_input, rng) => (rng.chance(0.5) ? generatePublic(rng) : undefined),
  check(inputs) {
    const mu = muCheck(inputs.map((bytes) => ({ kind: 'public' as const, bytes })));
    return inputs.map((input, i) => checkPublic(input, mu[i]!));
  },
};

/** The oracle for one TPM2B_PUBLIC, given libtss2-mu's answer for it. */
export function checkPublic(input: Buffer, mu: string): string {
  const ours = typedOutcome(() => parseTpm2bPublic(input));
  if (!ours.ok) {
    if (mu.startsWith('OK type=0023')) {
      const why = ours.message.replace(/^(.*?(?:algorithm|scheme) 0x[0-9a-f]+).*$/, '$1');
      stricterThanMu.set(why, (stricterThanMu.get(why) ?? 0) + 1);
      return `stricter than mu: ${why}`;
    }
    return `${ours.label} | mu ${mu.split(' ').slice(0, 2).join(' ')}`;
  }
  const line = tsLine(ours.value);
  if (line !== mu) {
    throw new FuzzFailure(
      `we accept, libtss2-mu says otherwise:\n ours ${line}\n   mu ${mu}`,
      input,
    );
  }
  const again = typedOutcome(() => marshalTpm2bEccPublic(ours.value));
  if (!again.ok || !again.value.equals(input)) {
    throw new FuzzFailure(`accepted TPM2B_PUBLIC does not marshal back to its bytes`, input);
  }
  const point = typedOutcome(() => publicPointOf(ours.value));
  if (point.ok) {
    try {
      createPublicKey({ key: spkiDerFromRaw(point.value), format: 'der', type: 'spki' });
    } catch (err) {
      throw new FuzzFailure(
        `publicPointOf gave a point node:crypto refuses: ${String(err)}`,
        input,
      );
    }
    return 'accepted with a point';
  }
  return `accepted without a point: ${point.label}`;
}
