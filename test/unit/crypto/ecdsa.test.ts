import {
  createHash,
  generateKeyPairSync,
  randomBytes,
  sign,
  verify,
  webcrypto,
  type KeyObject,
} from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  encodeDerSignature,
  encodeP1363Signature,
  finishSignature,
  lowS,
  P256_N,
  parseDerSignature,
  parseP1363Signature,
  parseSignature,
  signDigestWithScalar,
  verifySignature,
} from '../../../src/crypto/ecdsa';
import { expectInvalid, hex } from '../../helpers/crypto';

const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const message = Buffer.from('device-keystore test message');
const digest = createHash('sha256').update(message).digest();

/** A DER signature with r = 1 and s = 2; small enough to write out by hand. */
const SMALL = '3006 020101 020102';

describe('parseDerSignature', () => {
  it('parses a minimal signature', () => {
    expect(parseDerSignature(hex(SMALL))).toEqual({ r: 1n, s: 2n });
  });

  it('requires a leading zero exactly when the top bit is set', () => {
    expect(parseDerSignature(hex('3007 02020080 020102'))).toEqual({ r: 0x80n, s: 2n });
    expectInvalid(() => parseDerSignature(hex('3006 020180 020102')), /negative/);
    expectInvalid(() => parseDerSignature(hex('3007 02020001 020102')), /leading zero/);
    expectInvalid(() => parseDerSignature(hex('3008 0203000080 020102')), /leading zero/);
  });

  it('refuses long-form and indefinite lengths where the short form fits', () => {
    expectInvalid(() => parseDerSignature(hex('308106 020101 020102')), /shortest form/);
    expectInvalid(() => parseDerSignature(hex('3007 02810101 020102')), /shortest form/);
    expectInvalid(() => parseDerSignature(hex('3080 020101 020102 0000')), /indefinite/);
  });

  it('refuses trailing bytes, extra fields and truncation', () => {
    expectInvalid(() => parseDerSignature(hex(SMALL + '00')), /trailing/);
    expectInvalid(() => parseDerSignature(hex('3009 020101 020102 020103')), /extra fields/);
    expectInvalid(() => parseDerSignature(hex('3006 020101 0201')), /truncated/);
    expectInvalid(() => parseDerSignature(hex('3003 020101')), /truncated/);
    expectInvalid(() => parseDerSignature(new Uint8Array(0)), /truncated/);
  });

  it('refuses wrong tags and empty integers', () => {
    expectInvalid(() => parseDerSignature(hex('3106 020101 020102')), /SEQUENCE/);
    expectInvalid(() => parseDerSignature(hex('3006 030101 020102')), /INTEGER/);
    expectInvalid(() => parseDerSignature(hex('3005 0200 020102')), /empty/);
  });

  it('refuses r or s outside [1, n-1]', () => {
    expectInvalid(() => parseDerSignature(hex('3006 020100 020102')), /\[1, n-1\]/);
    const n = encodeDerInteger(P256_N);
    const sig = Buffer.concat([hex('30'), Buffer.of(3 + n.length), hex('020101'), n]);
    expectInvalid(() => parseDerSignature(sig), /\[1, n-1\]/);
  });
});

/** Test-side DER INTEGER, independent of the one under test. */
function encodeDerInteger(v: bigint): Buffer {
  const body = Buffer.from(v.toString(16).padStart(66, '0'), 'hex');
  let i = 0;
  while (i < body.length - 1 && body[i] === 0 && !(body[i + 1] & 0x80)) i++;
  return Buffer.concat([Buffer.of(0x02, body.length - i), body.subarray(i)]);
}

describe('P1363 encoding', () => {
  it('requires exactly 64 bytes', () => {
    expectInvalid(() => parseP1363Signature(new Uint8Array(63).fill(1)), /64 bytes/);
    expectInvalid(() => parseP1363Signature(new Uint8Array(65).fill(1)), /64 bytes/);
  });

  it('refuses r or s outside [1, n-1]', () => {
    expectInvalid(() => parseP1363Signature(new Uint8Array(64)), /\[1, n-1\]/);
    expectInvalid(() => encodeP1363Signature(1n, P256_N), /\[1, n-1\]/);
    expectInvalid(() => encodeDerSignature(0n, 1n), /\[1, n-1\]/);
  });

  it('round-trips through DER for boundary values', () => {
    for (const [r, s] of [
      [1n, 1n],
      [0x7fn, 0x80n],
      [P256_N - 1n, P256_N / 2n],
    ] as const) {
      const der = encodeDerSignature(r, s);
      expect(parseDerSignature(der)).toEqual({ r, s });
      expect(parseP1363Signature(encodeP1363Signature(r, s))).toEqual({ r, s });
    }
  });

  it('parseSignature refuses an unknown format', () => {
    expectInvalid(() => parseSignature(hex(SMALL), 'jose' as never), /'der' or 'p1363'/);
  });
});

describe('lowS', () => {
  it('folds s above n/2 and leaves the rest', () => {
    const half = P256_N / 2n;
    expect(lowS(5n, half)).toEqual({ r: 5n, s: half });
    expect(lowS(5n, half + 1n)).toEqual({ r: 5n, s: half });
    expect(lowS(5n, P256_N - 1n)).toEqual({ r: 5n, s: 1n });
    expect(lowS(5n, 1n)).toEqual({ r: 5n, s: 1n });
  });
});

/** A signature from node:crypto forced into its high-S twin, which ECDSA also accepts. */
function highSSignature(): { r: bigint; s: bigint } {
  const { r, s } = parseP1363Signature(
    sign('sha256', message, { key: privateKey, dsaEncoding: 'ieee-p1363' }),
  );
  return { r, s: s > P256_N / 2n ? s : P256_N - s };
}

async function webcryptoVerify(key: KeyObject, sig: Uint8Array): Promise<boolean> {
  const spki = key.export({ format: 'der', type: 'spki' });
  const imported = await webcrypto.subtle.importKey(
    'spki',
    spki,
    { name: 'ECDSA', namedCurve: 'P-256' },
    false,
    ['verify'],
  );
  return webcrypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, imported, sig, message);
}

describe('format round trips against node:crypto and WebCrypto', () => {
  it('converts node DER signatures to P1363 and back', async () => {
    for (let i = 0; i < 20; i++) {
      const der = sign('sha256', message, privateKey);
      const { r, s } = parseDerSignature(der);
      expect(encodeDerSignature(r, s)).toEqual(der);
      const p1363 = encodeP1363Signature(r, s);
      expect(verify('sha256', message, { key: publicKey, dsaEncoding: 'ieee-p1363' }, p1363)).toBe(
        true,
      );
      expect(await webcryptoVerify(publicKey, p1363)).toBe(true);
    }
  });

  it('converts node P1363 signatures to DER and back', () => {
    for (let i = 0; i < 20; i++) {
      const p1363 = sign('sha256', message, { key: privateKey, dsaEncoding: 'ieee-p1363' });
      const { r, s } = parseP1363Signature(p1363);
      expect(encodeP1363Signature(r, s)).toEqual(p1363);
      expect(verify('sha256', message, publicKey, encodeDerSignature(r, s))).toBe(true);
    }
  });
});

describe('finishSignature', () => {
  it('emits low-S in both formats, verifiable by node:crypto and WebCrypto', async () => {
    const high = highSSignature();
    const raw = encodeP1363Signature(high.r, high.s);
    const der = finishSignature(raw, 'der');
    const p1363 = finishSignature(raw, 'p1363');
    expect(parseDerSignature(der)).toEqual(lowS(high.r, high.s));
    expect(parseP1363Signature(p1363).s <= P256_N / 2n).toBe(true);
    expect(verify('sha256', message, publicKey, der)).toBe(true);
    expect(await webcryptoVerify(publicKey, p1363)).toBe(true);
  });

  it('refuses a malformed backend signature', () => {
    expectInvalid(() => finishSignature(new Uint8Array(64), 'der'), /\[1, n-1\]/);
    expectInvalid(() => finishSignature(new Uint8Array(70).fill(1), 'p1363'), /64 bytes/);
  });
});

describe('verifySignature', () => {
  const der = sign('sha256', message, privateKey);
  const p1363 = sign('sha256', message, { key: privateKey, dsaEncoding: 'ieee-p1363' });

  it('verifies messages and digests in both formats', () => {
    for (const [sig, format] of [
      [der, 'der'],
      [p1363, 'p1363'],
    ] as const) {
      expect(verifySignature(publicKey, message, sig, { format })).toBe(true);
      expect(verifySignature(publicKey, digest, sig, { format, prehashed: true })).toBe(true);
      expect(verifySignature(publicKey, Buffer.from('other'), sig, { format })).toBe(false);
    }
  });

  it('accepts high-S signatures, as ECDSA does', () => {
    const { r, s } = highSSignature();
    const high = encodeP1363Signature(r, s);
    expect(verifySignature(publicKey, message, high, { format: 'p1363' })).toBe(true);
    expect(verifySignature(publicKey, digest, high, { format: 'p1363', prehashed: true })).toBe(
      true,
    );
  });

  it('returns false, without throwing, for malformed signatures', () => {
    const malformed = [
      Buffer.concat([der, Buffer.of(0)]),
      p1363,
      new Uint8Array(0),
      new Uint8Array(64),
      'not bytes' as unknown as Uint8Array,
    ];
    for (const sig of malformed) {
      expect(verifySignature(publicKey, message, sig, { format: 'der' })).toBe(false);
    }
    expect(verifySignature(publicKey, message, der, { format: 'p1363' })).toBe(false);
  });

  it('throws for bad keys, data and options', () => {
    const ed = generateKeyPairSync('ed25519').publicKey;
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey;
    expectInvalid(() => verifySignature(ed, message, der, { format: 'der' }), /prime256v1/);
    expectInvalid(() => verifySignature(p384, message, der, { format: 'der' }), /prime256v1/);
    expectInvalid(() => verifySignature(privateKey, message, der, { format: 'der' }), /public/);
    expectInvalid(
      () => verifySignature({} as KeyObject, message, der, { format: 'der' }),
      /KeyObject/,
    );
    expectInvalid(
      () => verifySignature(publicKey, 'text' as never, der, { format: 'der' }),
      /Uint8Array/,
    );
    expectInvalid(
      () => verifySignature(publicKey, message, der, { format: 'der', prehashed: true }),
      /32-byte/,
    );
    expectInvalid(() => verifySignature(publicKey, message, der, { format: 'x' as never }), /der/);
  });
});

describe('signDigestWithScalar', () => {
  const d = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url');

  it('produces low-S r‖s that node:crypto verifies against the message', () => {
    for (let i = 0; i < 10; i++) {
      const m = Buffer.from(`message ${i}`);
      const sig = signDigestWithScalar(createHash('sha256').update(m).digest(), d);
      expect(sig.length).toBe(64);
      expect(parseP1363Signature(sig).s <= P256_N / 2n).toBe(true);
      expect(verify('sha256', m, { key: publicKey, dsaEncoding: 'ieee-p1363' }, sig)).toBe(true);
    }
  });

  it('refuses bad digests and scalars', () => {
    expectInvalid(() => signDigestWithScalar(new Uint8Array(31), d), /32-byte/);
    expectInvalid(() => signDigestWithScalar(digest, new Uint8Array(31)), /32 bytes/);
    expectInvalid(() => signDigestWithScalar(digest, new Uint8Array(32)), /\[1, n-1\]/);
    const n = Buffer.from(P256_N.toString(16), 'hex');
    expectInvalid(() => signDigestWithScalar(digest, n), /\[1, n-1\]/);
  });
});

describe('finishSignature byte path agrees with the bigint path', () => {
  const n = P256_N;
  const half = n >> 1n;
  const edge = [
    1n,
    2n,
    0x7fn,
    0x80n,
    0xffn,
    half - 1n,
    half,
    half + 1n,
    n - 2n,
    n - 1n,
    1n << 248n,
    (1n << 255n) - 1n,
    1n << 255n,
  ];
  const toBytes32 = (v: bigint) => Buffer.from(v.toString(16).padStart(64, '0'), 'hex');

  it('matches parse + lowS + encode for edge and random scalars, in both formats', () => {
    const values = [...edge];
    for (let i = 0; i < 2000; i++) {
      const v = BigInt('0x' + randomBytes(32).toString('hex')) % n;
      // Random values with leading zero bytes exercise the minimal-DER trimming.
      values.push(v === 0n ? 1n : i % 4 === 0 ? (v >> 64n) + 1n : v);
    }
    for (let i = 0; i < values.length; i++) {
      const r = values[i]!;
      const s = values[(i * 7 + 3) % values.length]!;
      const sig = Buffer.concat([toBytes32(r), toBytes32(s)]);
      const low = lowS(r, s);
      expect(finishSignature(sig, 'der')).toEqual(encodeDerSignature(low.r, low.s));
      expect(finishSignature(sig, 'p1363')).toEqual(encodeP1363Signature(low.r, low.s));
    }
  });

  it('refuses r or s of 0 or >= n', () => {
    for (const [r, s] of [
      [0n, 1n],
      [1n, 0n],
      [n, 1n],
      [1n, n],
    ] as const) {
      const sig = Buffer.concat([toBytes32(r), toBytes32(s)]);
      expect(() => finishSignature(sig, 'der')).toThrow(/\[1, n-1\]/);
    }
  });
});
