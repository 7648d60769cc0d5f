/**
 * P-256 public keys in every form parsePeerPublicKey takes (SPKI DER, PEM, raw uncompressed and
 * compressed points, JWK, KeyObject), against crypto.createPublicKey. A key we accept must be
 * one node:crypto accepts as the same P-256 point; a canonical SPKI node accepts must be one we
 * accept; and an accepted key must survive every export format and back.
 *
 * Input: one byte form (0 bytes, 1 PEM string, 2 JWK as JSON, 3 KeyObject made by node from
 * the bytes), then the material.
 */
import { ECDH, createPublicKey, type KeyObject } from 'node:crypto';
import { exportPublicKey, parsePeerPublicKey } from '../../../src/crypto/p256';
import { FuzzFailure, typedOutcome, type Rng, type Target } from '../engine';
import { realPoints } from './seeds';

const SPKI_PREFIX = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex');
const ALGORITHM = Buffer.from('301306072a8648ce3d020106082a8648ce3d030107', 'hex');
const P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;

function der(tag: number, body: Buffer): Buffer {
  const n = body.length;
  const len =
    n < 0x80 ? Buffer.of(n) : n < 0x100 ? Buffer.of(0x81, n) : Buffer.of(0x82, n >> 8, n & 0xff);
  return Buffer.concat([Buffer.of(tag), len, body]);
}

/** An SPKI around any point, with the P-256 algorithm identifier or another. */
function spkiOf(point: Buffer, algorithm = ALGORITHM, unused = 0): Buffer {
  return der(
    0x30,
    Buffer.concat([algorithm, der(0x03, Buffer.concat([Buffer.of(unused), point]))]),
  );
}

function pemOf(spki: Buffer, rng: Rng): string {
  const label = rng.chance(0.9)
    ? 'PUBLIC KEY'
    : rng.pick(['EC PUBLIC KEY', 'CERTIFICATE', 'PRIVATE KEY']);
  const eol = rng.chance(0.9) ? '\n' : '\r\n';
  const b64 = spki.toString('base64');
  const body = (b64.match(rng.chance(0.9) ? /.{1,64}/g : /.{1,76}/g) ?? []).join(eol);
  return `${rng.chance(0.95) ? '' : ' \n'}-----BEGIN ${label}-----${eol}${body}${eol}-----END ${label}-----${eol}`;
}

const OTHER_ALGORITHMS = [
  '301306072a8648ce3d020106082a8648ce3d030101', // P-192
  '301006072a8648ce3d020106052b81040022', // P-384
  '301006072a8648ce3d020106052b8104000a', // secp256k1
  '300d06092a864886f70d0101010500', // RSA
  '300506032b6570', // Ed25519
  '300906072a8648ce3d0201', // EC without a curve
  '301506072a8648ce3d020106082a8648ce3d0301070500', // an extra NULL
].map((h) => Buffer.from(h, 'hex'));

function point(rng: Rng): Buffer {
  const p = Buffer.from(rng.pick(realPoints()));
  switch (rng.below(9)) {
    case 0: // compressed
      return Buffer.concat([Buffer.of(0x02 | (p[64]! & 1)), p.subarray(1, 33)]);
    case 1: // compressed with the wrong parity: the other, still valid point
      return Buffer.concat([Buffer.of(0x03 ^ (p[64]! & 1)), p.subarray(1, 33)]);
    case 2: // hybrid
      return Buffer.concat([Buffer.of(0x06 | (p[64]! & 1)), p.subarray(1)]);
    case 3: // off the curve
      p[1 + rng.below(64)]! ^= 1 << rng.below(8);
      return p;
    case 4: {
      // a coordinate pushed to p or above (x + p, or y = p)
      const at = rng.chance(0.5) ? 1 : 33;
      const v = BigInt('0x' + p.subarray(at, at + 32).toString('hex')) + (rng.chance(0.5) ? P : 0n);
      const hex = (v % 2n ** 256n).toString(16).padStart(64, '0');
      Buffer.from(rng.chance(0.5) ? hex : P.toString(16), 'hex').copy(p, at);
      return p;
    }
    case 5:
      return rng.pick([
        Buffer.alloc(0),
        Buffer.of(0),
        Buffer.alloc(65),
        Buffer.concat([Buffer.of(4), Buffer.alloc(64)]),
      ]);
    default:
      return p;
  }
}

/** A structured key in one of the forms, from a real point. */
function generate(rng: Rng): Buffer {
  const form = rng.below(4);
  const pt = point(rng);
  if (form === 2) {
    const raw = pt.length === 65 && pt[0] === 4 ? pt : rng.pick(realPoints());
    const jwk: Record<string, unknown> = {
      kty: rng.chance(0.9) ? 'EC' : rng.pick(['RSA', 'OKP', 'ec', 1]),
      crv: rng.chance(0.9) ? 'P-256' : rng.pick(['P-384', 'secp256k1', 'p-256', null]),
      x: raw.subarray(1, 33).toString('base64url'),
      y: raw.subarray(33).toString('base64url'),
    };
    if (rng.chance(0.1))
      jwk.x = raw.subarray(rng.below(2), 33).toString(rng.chance(0.5) ? 'base64' : 'base64url');
    if (rng.chance(0.05)) jwk.d = raw.subarray(1, 33).toString('base64url');
    if (rng.chance(0.05)) delete jwk[rng.pick(['kty', 'crv', 'x', 'y'])];
    if (rng.chance(0.05)) jwk.ext = true;
    return Buffer.concat([Buffer.of(2), Buffer.from(JSON.stringify(jwk))]);
  }
  const shape = rng.below(4);
  const material =
    shape === 0 && form === 0
      ? pt
      : spkiOf(
          pt,
          rng.chance(0.85) ? ALGORITHM : rng.pick(OTHER_ALGORITHMS),
          rng.chance(0.95) ? 0 : 1,
        );
  const bytes =
    form === 1 || (form === 0 && shape === 1) ? Buffer.from(pemOf(material, rng)) : material;
  return Buffer.concat([Buffer.of(form), bytes]);
}

/** What node:crypto makes of the material: its P-256 point (uncompressed), or why not. */
function nodeView(input: Buffer): { key?: KeyObject; point?: Buffer; why?: string } {
  const form = input[0];
  const m = input.subarray(1);
  let key: KeyObject;
  try {
    if (form === 2) key = createPublicKey({ key: JSON.parse(m.toString('utf8')), format: 'jwk' });
    else if (form === 1 || m[0] === 0x2d) key = createPublicKey(m.toString('latin1'));
    else if (m[0] === 0x30) key = createPublicKey({ key: m, format: 'der', type: 'spki' });
    else key = createPublicKey({ key: spkiOf(m), format: 'der', type: 'spki' });
  } catch (err) {
    return { why: (err as { code?: string }).code ?? 'error' };
  }
  // Never asymmetricKeyDetails or a JWK export: node aborts on those for an empty EC point.
  if (key.type !== 'public' || key.asymmetricKeyType !== 'ec')
    return { key, why: `${key.type} ${key.asymmetricKeyType}` };
  let spki: Buffer;
  try {
    spki = key.export({ format: 'der', type: 'spki' });
  } catch (err) {
    return { key, why: `EC, but its export fails (${(err as Error).message})` };
  }
  const prefix = spki.subarray(0, spki.length - 65);
  if (spki.length === SPKI_PREFIX.length + 65 && prefix.equals(SPKI_PREFIX))
    return { key, point: spki.subarray(prefix.length) };
  const compressedPrefix = Buffer.from(
    '3039301306072a8648ce3d020106082a8648ce3d030107032200',
    'hex',
  );
  if (
    spki.length === compressedPrefix.length + 33 &&
    spki.subarray(0, compressedPrefix.length).equals(compressedPrefix)
  ) {
    const c = spki.subarray(compressedPrefix.length);
    return {
      key,
      point: ECDH.convertKey(c, 'prime256v1', undefined, undefined, 'uncompressed') as Buffer,
    };
  }
  return { key, why: `EC but not an uncompressed P-256 SPKI (${spki.length} bytes)` };
}

function ourInput(input: Buffer, node: { key?: KeyObject }): unknown {
  const m = input.subarray(1);
  switch (input[0]) {
    case 1:
      return m.toString('latin1');
    case 2:
      try {
        return JSON.parse(m.toString('utf8'));
      } catch {
        return m.toString('utf8'); // not JSON: handed over as the string it is
      }
    case 3:
      return node.key ?? m;
    default:
      return m;
  }
}

export const p256PublicKeyTarget: Target = {
  name: 'p256-public-key',
  seeds: () =>
    realPoints().flatMap((p) => [
      Buffer.concat([Buffer.of(0), Buffer.concat([SPKI_PREFIX, p])]),
      Buffer.concat([Buffer.of(0), p]),
      Buffer.concat([Buffer.of(1), Buffer.from(exportPublicKey(p, 'pem'))]),
      Buffer.concat([Buffer.of(2), Buffer.from(JSON.stringify(exportPublicKey(p, 'jwk')))]),
      Buffer.concat([Buffer.of(3), Buffer.concat([SPKI_PREFIX, p])]),
    ]),
  mutate: (_input, rng) => (rng.chance(0.6) ? generate(rng) : undefined),
  check: (inputs) => inputs.map(checkPublicKey),
};

export function checkPublicKey(input: Buffer): string {
  if (input.length === 0 || input[0]! > 3) return 'no form';
  const node = nodeView(input);
  const ours = typedOutcome(() =>
    parsePeerPublicKey(ourInput(input, node) as Buffer, 'fuzzed key'),
  );
  const nodeSays = node.point ? 'node: P-256 point' : `node: ${node.why}`;
  if (!ours.ok) {
    const m = input.subarray(1);
    // Uncompressed (0x04): hybrid points (0x06, 0x07) are refused on purpose.
    const canonical =
      m.length === SPKI_PREFIX.length + 65 &&
      m.subarray(0, SPKI_PREFIX.length).equals(SPKI_PREFIX) &&
      m[SPKI_PREFIX.length] === 0x04;
    if (node.point && (input[0] === 0 || input[0] === 3) && canonical) {
      throw new FuzzFailure(`node accepts a canonical P-256 SPKI we refuse: ${ours.label}`, input);
    }
    return `${ours.label} | ${nodeSays}`;
  }
  if (!node.point || !node.point.equals(ours.value)) {
    throw new FuzzFailure(`we accept a key node:crypto reads otherwise (${nodeSays})`, input);
  }
  for (const format of ['spki', 'pem', 'jwk', 'raw'] as const) {
    const again = typedOutcome(() =>
      parsePeerPublicKey(exportPublicKey(ours.value, format) as Buffer),
    );
    if (!again.ok || !again.value.equals(ours.value)) {
      throw new FuzzFailure(`an accepted key does not round-trip through ${format}`, input);
    }
  }
  return `accepted (form ${input[0]})`;
}
