import {
  ECDH,
  createECDH,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  exportPublicKey,
  jwkFromRaw,
  parsePeerPublicKey,
  pemFromRaw,
  publicKeyObjectFromRaw,
  rawFromPublicKeyObject,
  spkiDerFromRaw,
} from '../../../src/crypto/p256';
import { expectInvalid, hex } from '../../helpers/crypto';

const P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;

const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const spki = publicKey.export({ format: 'der', type: 'spki' });
const raw = Buffer.from(spki.subarray(spki.length - 65));

const coord = (v: bigint) => Buffer.from(v.toString(16).padStart(64, '0'), 'hex');

describe('parsePeerPublicKey accepts every supported encoding of the same key', () => {
  it('KeyObject, SPKI DER, PEM, JWK, raw uncompressed', () => {
    const pem = publicKey.export({ format: 'pem', type: 'spki' }) as string;
    const jwk = publicKey.export({ format: 'jwk' });
    for (const input of [publicKey, spki, pem, jwk, raw]) {
      expect(parsePeerPublicKey(input)).toEqual(raw);
    }
  });

  // Choice: compressed points are accepted and decompressed (Wycheproof marks them acceptable).
  it('decompresses compressed points like OpenSSL does', () => {
    for (let i = 0; i < 20; i++) {
      const ecdh = createECDH('prime256v1');
      ecdh.generateKeys();
      const compressed = ecdh.getPublicKey(undefined, 'compressed');
      expect(parsePeerPublicKey(compressed)).toEqual(ecdh.getPublicKey());
      const key = createPublicKey({ key: jwkFromRaw(ecdh.getPublicKey()), format: 'jwk' });
      const compressedSpki = Buffer.concat([
        hex('3039301306072a8648ce3d020106082a8648ce3d030107032200'),
        compressed,
      ]);
      expect(parsePeerPublicKey(compressedSpki)).toEqual(rawFromPublicKeyObject(key));
    }
  });
});

describe('parsePeerPublicKey refuses', () => {
  it('points off the curve, out of range, at infinity or badly encoded', () => {
    const offCurve = Buffer.from(raw);
    offCurve[64] ^= 1;
    expectInvalid(() => parsePeerPublicKey(offCurve), /not on the P-256 curve/);
    const bigX = Buffer.concat([Buffer.of(4), coord(P), raw.subarray(33)]);
    expectInvalid(() => parsePeerPublicKey(bigX), /below the field prime/);
    expectInvalid(() => parsePeerPublicKey(Buffer.of(0)), /infinity/);
    expectInvalid(
      () => parsePeerPublicKey(Buffer.concat([Buffer.of(6), raw.subarray(1)])),
      /65 bytes/,
    );
    expectInvalid(() => parsePeerPublicKey(raw.subarray(0, 64)), /65 bytes/);
    expectInvalid(() => parsePeerPublicKey(Buffer.concat([raw, Buffer.of(0)])), /65 bytes/);
  });

  it('compressed x values with no point on the curve', () => {
    // x = 1 gives y² = b − 2, which is not a square mod p; OpenSSL agrees.
    const noPoint = Buffer.concat([Buffer.of(2), coord(1n)]);
    expect(() => ECDH.convertKey(noPoint, 'prime256v1')).toThrow();
    expectInvalid(() => parsePeerPublicKey(noPoint), /no point/);
    expectInvalid(() => parsePeerPublicKey(Buffer.concat([Buffer.of(3), coord(P)])), /below/);
  });

  it('other curves and algorithms', () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey;
    const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey;
    const ed = generateKeyPairSync('ed25519').publicKey;
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
    for (const key of [p384, k1, ed, rsa]) {
      expectInvalid(() => parsePeerPublicKey(key), /prime256v1/);
    }
    const der = (k: KeyObject) => k.export({ format: 'der', type: 'spki' });
    expectInvalid(() => parsePeerPublicKey(der(k1)), /named curve prime256v1/);
    expectInvalid(() => parsePeerPublicKey(der(p384)), /named curve prime256v1/);
    expectInvalid(() => parsePeerPublicKey(der(ed)), /id-ecPublicKey/);
    expectInvalid(() => parsePeerPublicKey(der(rsa)), /id-ecPublicKey/);
  });

  it('private keys in any form', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expectInvalid(() => parsePeerPublicKey(privateKey), /public key/);
    expectInvalid(() => parsePeerPublicKey(privateKey.export({ format: 'jwk' })), /"d"/);
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
    expectInvalid(() => parsePeerPublicKey(pem), /BEGIN PUBLIC KEY/);
  });

  it('SPKI that is not strict DER or not a named-curve key', () => {
    expectInvalid(() => parsePeerPublicKey(Buffer.concat([spki, Buffer.of(0)])), /trailing/);
    const longForm = Buffer.concat([hex('308159'), spki.subarray(2)]);
    expectInvalid(() => parsePeerPublicKey(longForm), /shortest form/);
    const unusedBits = Buffer.from(spki);
    unusedBits[spki.length - 66] = 1;
    expectInvalid(() => parsePeerPublicKey(unusedBits), /unused bits/);
    // Same structure, parameters replaced by an (empty) explicit-parameters SEQUENCE.
    const explicit = hex('3051300b06072a8648ce3d02013000 034200');
    expectInvalid(() => parsePeerPublicKey(Buffer.concat([explicit, raw])), /explicit/);
    const truncated = spki.subarray(0, spki.length - 1);
    expectInvalid(() => parsePeerPublicKey(truncated), /truncated/);
  });

  it('malformed JWKs and PEMs', () => {
    const jwk = publicKey.export({ format: 'jwk' });
    expectInvalid(() => parsePeerPublicKey({ ...jwk, crv: 'P-384' }), /crv/);
    expectInvalid(() => parsePeerPublicKey({ ...jwk, kty: 'OKP' }), /kty/);
    expectInvalid(() => parsePeerPublicKey({ ...jwk, x: jwk.x + '=' }), /base64url/);
    expectInvalid(() => parsePeerPublicKey({ ...jwk, x: jwk.x!.slice(1) }), /32 bytes/);
    expectInvalid(() => parsePeerPublicKey({ ...jwk, y: undefined }), /JWK y/);
    const pem = publicKey.export({ format: 'pem', type: 'spki' }) as string;
    expectInvalid(() => parsePeerPublicKey(pem.replace('M', 'M!')), /PEM/);
    expectInvalid(() => parsePeerPublicKey(pem + pem), /PEM/);
    expectInvalid(() => parsePeerPublicKey(raw.toString('hex')), /PEM/);
    expectInvalid(() => parsePeerPublicKey(42 as never), /KeyObject/);
  });
});

describe('public key export round trips', () => {
  it('spki, pem, jwk and raw re-import with node:crypto to the same key', () => {
    expect(exportPublicKey(raw, 'spki')).toEqual(spki);
    expect(exportPublicKey(raw, 'pem')).toBe(publicKey.export({ format: 'pem', type: 'spki' }));
    expect(exportPublicKey(raw, 'jwk')).toEqual(publicKey.export({ format: 'jwk' }));
    expect(exportPublicKey(raw, 'raw')).toEqual(raw);

    const imports = [
      createPublicKey({ key: exportPublicKey(raw, 'spki'), format: 'der', type: 'spki' }),
      createPublicKey(exportPublicKey(raw, 'pem')),
      createPublicKey({ key: exportPublicKey(raw, 'jwk'), format: 'jwk' }),
      publicKeyObjectFromRaw(exportPublicKey(raw, 'raw')),
    ];
    for (const key of imports) expect(key.equals(publicKey)).toBe(true);
    expect(rawFromPublicKeyObject(publicKey)).toEqual(raw);
  });

  it('helpers agree with exportPublicKey and each other', () => {
    expect(spkiDerFromRaw(raw)).toEqual(exportPublicKey(raw, 'spki'));
    expect(pemFromRaw(raw)).toBe(exportPublicKey(raw, 'pem'));
    expect(parsePeerPublicKey(pemFromRaw(raw))).toEqual(raw);
    expect(parsePeerPublicKey(jwkFromRaw(raw))).toEqual(raw);
  });

  it('refuses to export anything but a valid uncompressed point', () => {
    const compressed = createECDH('prime256v1');
    compressed.generateKeys();
    expectInvalid(
      () => spkiDerFromRaw(compressed.getPublicKey(undefined, 'compressed')),
      /65-byte/,
    );
    const offCurve = Buffer.from(raw);
    offCurve[64] ^= 1;
    expectInvalid(() => publicKeyObjectFromRaw(offCurve), /not on the P-256 curve/);
    expectInvalid(() => exportPublicKey(raw, 'ssh' as never), /unknown public key format/);
  });
});
