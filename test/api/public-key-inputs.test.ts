/**
 * The public API shaped like node:crypto: every entry that takes a public key (verify(),
 * DeviceKey.ecdh(), the CLI's verify --public-key) accepts what node's prepareAsymmetricKey
 * accepts plus our DeviceKey, and names what it got when it refuses; sign/verify take
 * `dsaEncoding` and any ArrayBufferView; DeviceKey answers like a KeyObject and hands out a
 * CryptoKey; KeyInfo.publicKey is a KeyObject. Results are checked with node:crypto and
 * WebCrypto, never with our own code.
 *
 * The SPKI with an empty EC point aborts node 20 (a C++ assertion) when its KeyObject's
 * asymmetricKeyDetails or JWK export is read. It goes through every entry in a child process,
 * so an abort shows as SIGABRT instead of killing the test runner.
 */
import {
  ECDH,
  KeyObject,
  createPublicKey,
  createSecretKey,
  diffieHellman,
  generateKeyPairSync,
  sign as nodeSign,
  verify as nodeVerify,
  webcrypto,
  type JsonWebKey,
} from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceKey, Keystore, verify } from '../../src/index';
import { signOptions } from '../../src/core/inputs';
import { expectCode, makeTempDir, removeDir } from '../helpers/api';
import { isolateEnv } from '../helpers/file';
import { describeResult, jsonOf, runCli, runFixture, type ProcResult } from '../helpers/proc';

const subtle = webcrypto.subtle;
const PASS = 'public-key-inputs: Gannet-Moraine-3307-pylons';
const msg = Buffer.from('public key inputs test message');
const EMPTY_POINT_SPKI = Buffer.from(
  '3019301306072a8648ce3d020106082a8648ce3d03010703020000',
  'hex',
);

let dir: string;
let ks: Keystore;
let key: DeviceKey;
let other: DeviceKey;
let restoreEnv: () => void;

beforeAll(async () => {
  restoreEnv = isolateEnv();
  dir = await makeTempDir('pubkeys');
  ks = await Keystore.open({ dir, passphrase: PASS, backend: 'encrypted-file' });
  key = await ks.createKey('ecdh');
  other = await ks.createKey('other');
});

afterAll(async () => {
  await ks?.close();
  await removeDir(dir);
  restoreEnv?.();
});

/** A P-256 pair made by node, and the same public key in every form we accept. */
async function peerForms() {
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = pair.publicKey.export({ type: 'spki', format: 'der' });
  const pem = pair.publicKey.export({ type: 'spki', format: 'pem' }) as string;
  const raw = Buffer.from(spki.subarray(spki.length - 65));
  const ecdsaKey = await subtle.importKey(
    'spki',
    spki,
    { name: 'ECDSA', namedCurve: 'P-256' },
    true,
    ['verify'],
  );
  const ecdhKey = await subtle.importKey(
    'spki',
    spki,
    { name: 'ECDH', namedCurve: 'P-256' },
    false,
    [],
  );
  const offset = Buffer.alloc(spki.length + 7);
  spki.copy(offset, 3);
  const forms: [string, unknown][] = [
    ['KeyObject', pair.publicKey],
    ['CryptoKey (ECDSA)', ecdsaKey],
    ['CryptoKey (ECDH, not extractable)', ecdhKey],
    ['PEM string', pem],
    ['PEM Buffer', Buffer.from(pem)],
    ['JWK', pair.publicKey.export({ format: 'jwk' })],
    ['SPKI DER Buffer', spki],
    ['SPKI DER Uint8Array', new Uint8Array(spki)],
    ['SPKI DER ArrayBuffer', new Uint8Array(spki).buffer],
    [
      'SPKI DER DataView at an offset',
      new DataView(offset.buffer, offset.byteOffset + 3, spki.length),
    ],
    ['raw point', raw],
    ['raw point DataView', new DataView(new Uint8Array(raw).buffer)],
    ['compressed point', ECDH.convertKey(raw, 'prime256v1', undefined, undefined, 'compressed')],
  ];
  return { pair, forms };
}

/** The same refusal through both entries that take a key in-process. */
async function expectRefusedEverywhere(input: unknown, pattern: RegExp, label: string) {
  const sig = Buffer.alloc(64, 1);
  const viaVerify = await expectCode(
    () => verify(input as never, msg, sig, { dsaEncoding: 'ieee-p1363' }),
    'E_INVALID_ARGUMENT',
    `verify: ${label}`,
  );
  expect(viaVerify.message, label).toMatch(/^public key must be|^public key: /);
  expect(viaVerify.message, label).toMatch(pattern);
  const viaEcdh = await expectCode(() => key.ecdh(input as never), 'E_INVALID_ARGUMENT', label);
  expect(viaEcdh.message, label).toMatch(/^the peer public key/);
  expect(viaEcdh.message, label).toMatch(pattern);
  return viaVerify;
}

describe('every entry that takes a public key accepts every form', () => {
  it('verify(): node-made signatures verify with the key in any form', async () => {
    const { pair, forms } = await peerForms();
    const der = nodeSign('sha256', msg, pair.privateKey);
    const p1363 = nodeSign('sha256', msg, { key: pair.privateKey, dsaEncoding: 'ieee-p1363' });
    for (const [label, form] of forms) {
      expect(verify(form as never, msg, der), label).toBe(true);
      expect(verify(form as never, msg, p1363, { dsaEncoding: 'ieee-p1363' }), label).toBe(true);
      expect(verify(form as never, Buffer.from('other'), der), label).toBe(false);
    }
  });

  it('verify() takes a DeviceKey and its CryptoKey; node verifies the same signatures', async () => {
    const sig = await key.sign(msg);
    expect(nodeVerify('sha256', msg, key.publicKey, sig)).toBe(true);
    expect(verify(key, msg, sig)).toBe(true);
    expect(verify(other, msg, sig)).toBe(false);
    expect(verify(await key.publicCryptoKey(), msg, sig)).toBe(true);
    expect(verify(await key.publicCryptoKey({ algorithm: 'ECDH' }), msg, sig)).toBe(true);
  });

  it('DeviceKey.ecdh(): the shared secret matches node:crypto for the peer in any form', async () => {
    const { pair, forms } = await peerForms();
    const expected = diffieHellman({ privateKey: pair.privateKey, publicKey: key.publicKey });
    expect(expected).toHaveLength(32);
    for (const [label, form] of forms) {
      expect((await key.ecdh(form as never)).toString('hex'), label).toBe(expected.toString('hex'));
    }
  });

  it('DeviceKey.ecdh() with another DeviceKey, its KeyObject and its CryptoKey', async () => {
    const ab = await key.ecdh(other);
    expect(await other.ecdh(key)).toEqual(ab);
    expect(await key.ecdh(other.publicKey)).toEqual(ab);
    expect(await key.ecdh(await other.publicCryptoKey({ algorithm: 'ECDH' }))).toEqual(ab);
    expect(await key.ecdh(await other.publicCryptoKey())).toEqual(ab);
    // WebCrypto agrees: a node-made private key against our key's CryptoKey.
    const peer = (await subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, [
      'deriveBits',
    ])) as webcrypto.CryptoKeyPair;
    const theirs = await subtle.deriveBits(
      { name: 'ECDH', public: await key.publicCryptoKey({ algorithm: 'ECDH' }) },
      peer.privateKey,
      256,
    );
    expect(await key.ecdh(peer.publicKey)).toEqual(Buffer.from(theirs));
  });
});

describe('refusals name what they got', () => {
  it('KeyObjects of the wrong kind', async () => {
    const cases: [string, unknown, RegExp][] = [
      [
        'RSA',
        generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey,
        /got an RSA KeyObject$/,
      ],
      [
        'RSA-PSS',
        generateKeyPairSync('rsa-pss', { modulusLength: 1024 }).publicKey,
        /got an RSA-PSS KeyObject$/,
      ],
      [
        'DSA',
        generateKeyPairSync('dsa', { modulusLength: 1024, divisorLength: 160 }).publicKey,
        /got a DSA KeyObject$/,
      ],
      ['Ed25519', generateKeyPairSync('ed25519').publicKey, /got an Ed25519 KeyObject$/],
      ['X25519', generateKeyPairSync('x25519').publicKey, /got an X25519 KeyObject$/],
      [
        'P-384',
        generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey,
        /got an EC KeyObject on secp384r1 \(P-384\)$/,
      ],
      [
        'secp256k1',
        generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey,
        /got an EC KeyObject on secp256k1$/,
      ],
      ['secret', createSecretKey(Buffer.alloc(32, 7)), /got a secret KeyObject$/],
    ];
    for (const [label, input, pattern] of cases) {
      const err = await expectRefusedEverywhere(input, pattern, label);
      expect(err.message).toContain('EC P-256 public key (id-ecPublicKey on the named curve');
    }
  });

  it('private keys in every form, with a hint to pass the public half', async () => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const web = (await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
      'sign',
      'verify',
    ])) as webcrypto.CryptoKeyPair;
    const cases: [string, unknown, RegExp][] = [
      ['private KeyObject', pair.privateKey, /got a private KeyObject \(pass only the public half/],
      ['private CryptoKey', web.privateKey, /got a private CryptoKey \(ECDSA P-256\)/],
      [
        'private JWK',
        pair.privateKey.export({ format: 'jwk' }),
        /got a private JWK \(it contains "d"\)/,
      ],
      [
        'PKCS#8 PEM',
        pair.privateKey.export({ type: 'pkcs8', format: 'pem' }),
        /got a "PRIVATE KEY" block$/,
      ],
      [
        'SEC1 PEM',
        pair.privateKey.export({ type: 'sec1', format: 'pem' }),
        /got a "EC PRIVATE KEY" block$/,
      ],
    ];
    for (const [label, input, pattern] of cases) {
      const err = await expectRefusedEverywhere(input, pattern, label);
      for (const secret of [pair.privateKey.export({ format: 'jwk' }).d!]) {
        expect(err.message).not.toContain(secret);
      }
    }
  });

  it('CryptoKeys of the wrong kind', async () => {
    const hmac = await subtle.generateKey({ name: 'HMAC', hash: 'SHA-256' }, true, ['sign']);
    const p384 = (await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-384' }, true, [
      'sign',
      'verify',
    ])) as webcrypto.CryptoKeyPair;
    const ecdh521 = (await subtle.generateKey({ name: 'ECDH', namedCurve: 'P-521' }, true, [
      'deriveBits',
    ])) as webcrypto.CryptoKeyPair;
    const rsa = (await subtle.generateKey(
      {
        name: 'RSA-PSS',
        modulusLength: 1024,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: 'SHA-256',
      },
      true,
      ['sign', 'verify'],
    )) as webcrypto.CryptoKeyPair;
    const ed = (await subtle.generateKey({ name: 'Ed25519' }, true, [
      'sign',
      'verify',
    ])) as webcrypto.CryptoKeyPair;
    const cases: [string, unknown, RegExp][] = [
      ['HMAC', hmac, /got a secret CryptoKey \(HMAC\)$/],
      ['ECDSA P-384', p384.publicKey, /got an ECDSA P-384 CryptoKey$/],
      ['ECDH P-521', ecdh521.publicKey, /got an ECDH P-521 CryptoKey$/],
      ['RSA-PSS', rsa.publicKey, /got an RSA-PSS CryptoKey$/],
      ['Ed25519', ed.publicKey, /got an Ed25519 CryptoKey$/],
    ];
    for (const [label, input, pattern] of cases)
      await expectRefusedEverywhere(input, pattern, label);
  });

  it('JWKs, SPKI DER and PEM of other algorithms and curves', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
    const ed = generateKeyPairSync('ed25519').publicKey;
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey;
    const der = (k: KeyObject) => k.export({ type: 'spki', format: 'der' });
    const pem = (k: KeyObject) => k.export({ type: 'spki', format: 'pem' });
    const cases: [string, unknown, RegExp][] = [
      ['P-384 JWK', p384.export({ format: 'jwk' }), /got an EC JWK with crv "P-384"$/],
      ['RSA JWK', rsa.export({ format: 'jwk' }), /got a JWK with kty "RSA"$/],
      ['Ed25519 JWK', ed.export({ format: 'jwk' }), /got a JWK with kty "OKP" and crv "Ed25519"$/],
      ['oct JWK', { kty: 'oct', k: 'AAAA' } satisfies JsonWebKey, /got a JWK with kty "oct"$/],
      ['RSA SPKI', der(rsa), /got an RSA SPKI$/],
      ['Ed25519 SPKI', der(ed), /got an Ed25519 SPKI$/],
      ['P-384 SPKI', der(p384), /got an EC SPKI on secp384r1 \(P-384\)$/],
      ['RSA PEM', pem(rsa), /got an RSA PEM key$/],
      ['P-384 PEM as bytes', Buffer.from(pem(p384)), /got an EC PEM key on secp384r1 \(P-384\)$/],
    ];
    for (const [label, input, pattern] of cases)
      await expectRefusedEverywhere(input, pattern, label);
    const cert = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const err = await expectRefusedEverywhere(cert, /got a "CERTIFICATE" block/, 'certificate');
    expect(err.hint).toMatch(/X509Certificate/);
  });

  it('values that are no key at all, in the words of ERR_INVALID_ARG_TYPE', async () => {
    class Thing {}
    const cases: [string, unknown, RegExp][] = [
      ['number', 42, /Received type number$/],
      ['boolean', true, /Received type boolean$/],
      ['null', null, /Received null$/],
      ['undefined', undefined, /Received undefined$/],
      ['Map', new Map(), /Received an instance of Map$/],
      ['array', [1, 2, 3], /Received an instance of Array$/],
      ['class instance', new Thing(), /Received an instance of Thing$/],
      ['hex text', key.exportPublicKey('raw').toString('hex'), /got a string that is not PEM$/],
      ['JWK with a bigint kty', { kty: 1n }, /got a JWK with kty a value of type bigint$/],
    ];
    for (const [label, input, pattern] of cases)
      await expectRefusedEverywhere(input, pattern, label);
  });
});

describe('the empty-point SPKI through every entry, in child processes', () => {
  // Both entries, each form; a SIGABRT here is the bug itself (issue 9 item 14).
  const FORMS = ['der', 'pem', 'keyobject-der', 'keyobject-pem', 'cryptokey'] as const;

  async function child(form: string, entry: string): Promise<ProcResult> {
    return runFixture('empty-point.cjs', [form, entry, dir], {
      env: { DEVICE_KEYSTORE_PASSPHRASE: PASS },
    });
  }

  it('the control: reading asymmetricKeyDetails of that KeyObject aborts node', async () => {
    expect(createPublicKey({ key: EMPTY_POINT_SPKI, format: 'der', type: 'spki' }).type).toBe(
      'public',
    );
    const r = await child('keyobject-der', 'details');
    // On a node that has fixed the assertion this would print; either way the harness can tell.
    // Windows has no signals: node's abort() there exits with code 134.
    const aborted = r.signal === 'SIGABRT' || (process.platform === 'win32' && r.code === 134);
    if (r.signal !== null || r.code === 134) expect(aborted, describeResult(r)).toBe(true);
    else expect(r.code, describeResult(r)).toBe(0);
  });

  it('verify() and DeviceKey.ecdh() refuse it with E_INVALID_ARGUMENT, no abort', async () => {
    const runs = await Promise.all(
      FORMS.flatMap((form) =>
        ['verify', 'ecdh'].map(async (entry) => ({ form, entry, r: await child(form, entry) })),
      ),
    );
    for (const { form, entry, r } of runs) {
      const label = `${form} via ${entry}: ${describeResult(r)}`;
      expect(r.signal, label).toBe(null);
      expect(r.code, label).toBe(0);
      const out = jsonOf(r);
      if (form === 'cryptokey' && out.skipped) {
        // WebCrypto refuses to import the empty point, so no such CryptoKey can exist.
        expect(out.skipped, label).toMatch(/^DataError/);
        continue;
      }
      expect(out.error, label).toMatchObject({ name: 'KeystoreError', code: 'E_INVALID_ARGUMENT' });
      expect(out.error.message, label).toMatch(/point|SPKI|cannot export/);
    }
  });

  it('the CLI (verify --public-key) refuses it as DER and as PEM, no abort', async () => {
    const work = await makeTempDir('empty-point-cli');
    try {
      const files = {
        der: EMPTY_POINT_SPKI,
        pem: `-----BEGIN PUBLIC KEY-----\n${EMPTY_POINT_SPKI.toString('base64')}\n-----END PUBLIC KEY-----\n`,
      };
      await fsp.writeFile(path.join(work, 'msg'), msg);
      await fsp.writeFile(path.join(work, 'sig'), Buffer.alloc(64, 1).toString('base64') + '\n');
      for (const [ext, data] of Object.entries(files)) {
        const pub = path.join(work, `empty.${ext}`);
        await fsp.writeFile(pub, data);
        const r = await runCli([
          'verify',
          '--json',
          '--public-key',
          pub,
          '--in',
          path.join(work, 'msg'),
          '--signature',
          path.join(work, 'sig'),
          '--format',
          'p1363',
        ]);
        expect(r.signal, describeResult(r)).toBe(null);
        expect(r.code, describeResult(r)).toBe(2);
        expect(jsonOf(r).error.code, describeResult(r)).toBe('E_INVALID_ARGUMENT');
      }
    } finally {
      await removeDir(work);
    }
  });
});

describe('sign and verify options: dsaEncoding, and data as any ArrayBufferView', () => {
  it('dsaEncoding is node’s spelling of format; both agree with node:crypto and WebCrypto', async () => {
    const der = await key.sign(msg, { dsaEncoding: 'der' });
    expect(nodeVerify('sha256', msg, { key: key.publicKey, dsaEncoding: 'der' }, der)).toBe(true);
    const p1363 = await key.sign(msg, { dsaEncoding: 'ieee-p1363' });
    expect(p1363).toHaveLength(64);
    expect(
      await subtle.verify(
        { name: 'ECDSA', hash: 'SHA-256' },
        await key.publicCryptoKey(),
        p1363,
        msg,
      ),
    ).toBe(true);
    const same = await key.sign(msg, { format: 'p1363', dsaEncoding: 'ieee-p1363' });
    expect(same).toHaveLength(64);
    for (const check of [
      (s: Buffer, o: object) => verify(key.publicKey, msg, s, o),
      (s: Buffer, o: object) => key.verify(msg, s, o),
    ]) {
      expect(check(p1363, { dsaEncoding: 'ieee-p1363' })).toBe(true);
      expect(check(p1363, { format: 'p1363' })).toBe(true);
      expect(check(der, { dsaEncoding: 'der' })).toBe(true);
      expect(check(der, { dsaEncoding: 'ieee-p1363' })).toBe(false);
    }
  });

  it('resolving options allocates nothing: the same frozen object for the same choice', () => {
    expect(signOptions(undefined)).toBe(signOptions({}));
    expect(signOptions({ dsaEncoding: 'ieee-p1363' })).toBe(signOptions({ format: 'p1363' }));
    expect(signOptions({ dsaEncoding: 'der', prehashed: true })).toBe(
      signOptions({ format: 'der', prehashed: true }),
    );
    expect(Object.isFrozen(signOptions({ format: 'p1363' }))).toBe(true);
  });

  it('conflicting, misspelt and unknown options are E_INVALID_ARGUMENT, named', async () => {
    const sig = await key.sign(msg);
    const cases: [object, RegExp][] = [
      [{ format: 'der', dsaEncoding: 'ieee-p1363' }, /format "der" and dsaEncoding "ieee-p1363"/],
      [{ format: 'p1363', dsaEncoding: 'der' }, /format "p1363" and dsaEncoding "der"/],
      [{ dsaEncoding: 'p1363' }, /dsaEncoding must be "der" or "ieee-p1363", not "p1363"/],
      [{ format: 'ieee-p1363' }, /format must be "der" or "p1363", not "ieee-p1363"/],
      [{ encoding: 'der' }, /unknown sign option "encoding"/],
      [{ dsaEncoding: 'der', hash: 'sha512' }, /unknown sign option "hash"/],
      // Values JSON.stringify cannot print still give a KeystoreError.
      [{ format: 1n }, /format must be "der" or "p1363", not a value of type bigint/],
      [{ dsaEncoding: Symbol('der') }, /not a value of type symbol/],
    ];
    for (const [opts, pattern] of cases) {
      for (const run of [
        () => key.sign(msg, opts as never),
        () => key.verify(msg, sig, opts as never),
        () => verify(key, msg, sig, opts as never),
      ]) {
        const err = await expectCode(run, 'E_INVALID_ARGUMENT', inspect(opts));
        expect(err.message).toMatch(pattern);
      }
    }
    const conflict = await expectCode(
      () => key.sign(msg, { format: 'der', dsaEncoding: 'ieee-p1363' }),
      'E_INVALID_ARGUMENT',
    );
    expect(conflict.hint).toMatch(/only one/);
  });

  it('data as string, Buffer, any TypedArray, DataView or ArrayBuffer signs those bytes', async () => {
    const bytes = Buffer.from('0123456789abcdef'); // 16 bytes: every element size divides it
    const padded = Buffer.alloc(bytes.length + 8);
    bytes.copy(padded, 4);
    const ab = new Uint8Array(bytes).buffer;
    const inputs: [string, unknown][] = [
      ['string', bytes.toString('latin1')],
      ['Buffer', bytes],
      ['Uint8Array', new Uint8Array(bytes)],
      ['Uint8ClampedArray', new Uint8ClampedArray(bytes)],
      ['Int8Array', new Int8Array(ab.slice(0))],
      ['Uint16Array', new Uint16Array(ab.slice(0))],
      ['Int32Array', new Int32Array(ab.slice(0))],
      ['Float64Array', new Float64Array(ab.slice(0))],
      ['BigUint64Array', new BigUint64Array(ab.slice(0))],
      ['DataView', new DataView(ab.slice(0))],
      ['DataView at an offset', new DataView(padded.buffer, padded.byteOffset + 4, bytes.length)],
      ['Uint16Array at an offset', new Uint16Array(padded.buffer, padded.byteOffset + 4, 8)],
      ['ArrayBuffer', ab.slice(0)],
    ];
    for (const [label, data] of inputs) {
      const sig = await key.sign(data as never);
      expect(nodeVerify('sha256', bytes, key.publicKey, sig), label).toBe(true);
      expect(verify(key, data as never, sig), label).toBe(true);
      expect(key.verify(data as never, sig), label).toBe(true);
      // The signature may come in any of these shapes too.
      expect(verify(key, bytes, new DataView(new Uint8Array(sig).buffer)), label).toBe(true);
    }
  });

  it('anything else is E_INVALID_ARGUMENT naming the type received', async () => {
    const sig = await key.sign(msg);
    const cases: [unknown, RegExp][] = [
      [42, /Received type number$/],
      [null, /Received null$/],
      [undefined, /Received undefined$/],
      [{}, /Received an instance of Object$/],
      [[1, 2], /Received an instance of Array$/],
      [Symbol('s'), /Received type symbol$/],
    ];
    for (const [data, pattern] of cases) {
      for (const run of [
        () => key.sign(data as never),
        () => key.verify(data as never, sig),
        () => verify(key, data as never, sig),
      ]) {
        const err = await expectCode(run, 'E_INVALID_ARGUMENT', String(pattern));
        expect(err.message).toMatch(
          /^data must be a string or an instance of Buffer, TypedArray, DataView or ArrayBuffer\./,
        );
        expect(err.message).toMatch(pattern);
      }
    }
    // A signature is bytes, never text: a base64 string by mistake is refused, not "false".
    const err = await expectCode(
      () => verify(key, msg, sig.toString('base64') as never),
      'E_INVALID_ARGUMENT',
    );
    expect(err.message).toMatch(/^signature must be an instance of Buffer.*Received type string$/);
  });
});

describe('DeviceKey answers like a KeyObject', () => {
  it('asymmetricKeyType and asymmetricKeyDetails are what node reports for P-256', () => {
    const nodeKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    expect(key.asymmetricKeyType).toBe(nodeKey.asymmetricKeyType);
    expect(key.asymmetricKeyType).toBe(key.publicKey.asymmetricKeyType);
    expect(key.asymmetricKeyDetails).toEqual(nodeKey.asymmetricKeyDetails);
    expect(key.asymmetricKeyDetails).toEqual(key.publicKey.asymmetricKeyDetails);
    // A copy each time: a caller cannot change what the next one sees.
    (key.asymmetricKeyDetails as { namedCurve: string }).namedCurve = 'x';
    expect(key.asymmetricKeyDetails).toEqual({ namedCurve: 'prime256v1' });
  });

  it('publicCryptoKey(): ECDSA for verify by default, ECDH on request, the same public key', async () => {
    const ecdsa = await key.publicCryptoKey();
    expect(ecdsa.type).toBe('public');
    expect(ecdsa.extractable).toBe(true);
    expect(ecdsa.usages).toEqual(['verify']);
    expect(ecdsa.algorithm).toEqual({ name: 'ECDSA', namedCurve: 'P-256' });
    expect(Buffer.from(await subtle.exportKey('spki', ecdsa))).toEqual(key.exportPublicKey('spki'));
    expect(KeyObject.from(ecdsa).equals(key.publicKey)).toBe(true);
    const sig = await key.sign(msg, { dsaEncoding: 'ieee-p1363' });
    expect(await subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, ecdsa, sig, msg)).toBe(true);

    const ecdh = await key.publicCryptoKey({ algorithm: 'ECDH' });
    expect(ecdh.algorithm).toEqual({ name: 'ECDH', namedCurve: 'P-256' });
    expect(ecdh.usages).toEqual([]);
    expect(Buffer.from(await subtle.exportKey('raw', ecdh))).toEqual(key.exportPublicKey('raw'));

    await expectCode(
      () => key.publicCryptoKey({ algorithm: 'ECDHE' } as never),
      'E_INVALID_ARGUMENT',
    );
    const unknown = await expectCode(
      () => key.publicCryptoKey({ usages: ['verify'] } as never),
      'E_INVALID_ARGUMENT',
    );
    expect(unknown.message).toMatch(/unknown publicCryptoKey option "usages"/);
  });
});

describe('KeyInfo.publicKey is a KeyObject; JSON carries PEM', () => {
  it('info() and listKeys() give KeyObjects equal to the key’s; toJSON and JSON.stringify give PEM', async () => {
    const listed = (await ks.listKeys()).find((k) => k.alias === key.alias)!;
    for (const info of [key.info(), listed]) {
      expect(info.publicKey).toBeInstanceOf(KeyObject);
      expect(info.publicKey.type).toBe('public');
      expect(info.publicKey.equals(key.publicKey)).toBe(true);
      const json = JSON.parse(JSON.stringify(info));
      expect(Object.keys(json).sort()).toEqual([
        'algorithm',
        'alias',
        'createdAt',
        'extractable',
        'extractableBy',
        'hardwareBacked',
        'publicKey',
        'tier',
        'userPresence',
      ]);
      expect(json.publicKey).toBe(key.publicKey.export({ type: 'spki', format: 'pem' }));
      expect(createPublicKey(json.publicKey).equals(key.publicKey)).toBe(true);
      expect(info.toJSON()).toEqual(json);
      // A KeyInfo's key verifies like any other.
      expect(verify(info.publicKey, msg, await key.sign(msg))).toBe(true);
    }
    expect(JSON.parse(JSON.stringify(key))).toEqual(listed.toJSON());
    const described = (await ks.describe()).keys.find((k) => k.alias === key.alias)!;
    expect(described.publicKey.equals(key.publicKey)).toBe(true);
  });
});
