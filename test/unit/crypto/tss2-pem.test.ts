import { execFileSync } from 'node:child_process';
import { createHash, createPublicKey, generateKeyPairSync, randomBytes, verify } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Swtpm } from '../../helpers/swtpm';
import { WINDOWS } from '../../helpers/windows-skips';
import { isKeystoreError, type ErrorCode } from '../../../src/core/errors';
import { spkiDerFromRaw } from '../../../src/crypto/p256';
import {
  H2_SRK_ATTRIBUTES,
  H2_SRK_TEMPLATE,
  KEY_ATTRIBUTES,
  PEER_KEY_ATTRIBUTES,
  SEAL_ATTRIBUTES,
  TPM2_ALG,
  TPM2_ECC_NIST_P256,
  TPMA_OBJECT,
  marshalEccKeyTemplate,
  marshalSealTemplate,
  marshalTpm2bEccPublic,
  parseTpm2bPublic,
  publicPointOf,
  type Tpm2EccPublicFields,
} from '../../../src/crypto/tpm2-structures';
import {
  decodeTss2Der,
  decodeTss2Pem,
  encodeTss2Der,
  encodeTss2Pem,
  type DecodedTss2Key,
} from '../../../src/crypto/tss2-pem';

// ---------------------------------------------------------------------------------------------
// Helpers (test-only; the DER builder is written independently of the encoder under test)

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'tss2');
const FIXTURE_PEM = readFileSync(join(FIXTURES, 'tpm2-openssl-p256.pem'), 'utf8');
const FIXTURE_PUB_PEM = readFileSync(join(FIXTURES, 'tpm2-openssl-p256.pub.pem'), 'utf8');

function errorOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

function expectCode(fn: () => unknown, code: ErrorCode, pattern?: RegExp): void {
  const err = errorOf(fn);
  expect(isKeystoreError(err, code), `expected ${code}, got ${String(err)}`).toBe(true);
  if (pattern) expect((err as Error).message).toMatch(pattern);
}

const expectCorrupt = (fn: () => unknown, pattern?: RegExp) => expectCode(fn, 'E_CORRUPT', pattern);
const expectInvalid = (fn: () => unknown, pattern?: RegExp) =>
  expectCode(fn, 'E_INVALID_ARGUMENT', pattern);

function derLen(n: number): Buffer {
  if (n < 0x80) return Buffer.of(n);
  if (n < 0x100) return Buffer.of(0x81, n);
  return Buffer.of(0x82, n >> 8, n & 0xff);
}

function tlv(tag: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.of(tag), derLen(body.length), body]);
}

function toPem(der: Buffer, label = 'TSS2 PRIVATE KEY'): string {
  const lines = der.toString('base64').match(/.{1,64}/g)!;
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

function tpm2b(body: Buffer): Buffer {
  const size = Buffer.alloc(2);
  size.writeUInt16BE(body.length);
  return Buffer.concat([size, body]);
}

const OID_LOADABLE = tlv(0x06, hex('6781050a0103'));
const OID_LEGACY = tlv(0x06, hex('6781050a02'));
const EMPTY_AUTH_01 = tlv(0xa0, tlv(0x01, hex('01')));
const PARENT_OWNER = tlv(0x02, hex('40000001'));
const PUB = tpm2b(randomBytes(86));
const PRIV = tpm2b(randomBytes(126));

/** A TPMKey SEQUENCE from ready-made elements; defaults give a valid loadable key. */
function keyDer(
  opts: {
    oid?: Buffer;
    optional?: Buffer[];
    parent?: Buffer;
    pub?: Buffer;
    priv?: Buffer;
    tail?: Buffer[];
  } = {},
): Buffer {
  return tlv(
    0x30,
    opts.oid ?? OID_LOADABLE,
    ...(opts.optional ?? [EMPTY_AUTH_01]),
    opts.parent ?? PARENT_OWNER,
    tlv(0x04, opts.pub ?? PUB),
    tlv(0x04, opts.priv ?? PRIV),
    ...(opts.tail ?? []),
  );
}

// The optional fields ssh-tpm-agent / go-tpm-keyfiles / openssl_tpm2_engine may write.
const TPM_POLICY = (cc: number, policy: Buffer) =>
  tlv(
    0x30,
    tlv(0xa0, tlv(0x02, Buffer.from(cc.toString(16).padStart(4, '0'), 'hex'))), // minimal for 0x100..0x7fff
    tlv(0xa1, tlv(0x04, policy)),
  );
const OPT_POLICY = tlv(0xa1, tlv(0x30, TPM_POLICY(0x16b, randomBytes(32)))); // PolicyPCR-like
const OPT_SECRET = tlv(0xa2, tlv(0x04, tpm2b(randomBytes(66))));
const OPT_AUTH_POLICY = tlv(
  0xa3,
  tlv(
    0x30,
    tlv(
      0x30,
      tlv(0xa0, tlv(0x0c, Buffer.from('pin'))),
      tlv(0xa1, tlv(0x30, TPM_POLICY(0x16b, randomBytes(32)))),
    ),
  ),
);
const OPT_DESCRIPTION = tlv(0xa4, tlv(0x0c, Buffer.from('ssh key – laptop', 'utf8')));
const OPT_RSA_PARENT = tlv(0xa5, tlv(0x01, hex('ff')));

// ---------------------------------------------------------------------------------------------
// TPM 2.0 structures

describe('TPM 2.0 structure templates', () => {
  it('H2_SRK_TEMPLATE is exactly the 26-byte H-2 template of DESIGN §4a, as a TPM2B', () => {
    expect(H2_SRK_TEMPLATE.toString('hex')).toBe(
      hex('001a 0023 000B 00030472 0000 0006 0080 0043 0010 0003 0010 0000 0000').toString('hex'),
    );
    const parsed = parseTpm2bPublic(H2_SRK_TEMPLATE);
    expect(parsed.symmetric).toEqual({ algorithm: TPM2_ALG.AES, keyBits: 128, mode: TPM2_ALG.CFB });
    expect(parsed.objectAttributes).toBe(H2_SRK_ATTRIBUTES);
    expect(parsed.x.length + parsed.y.length).toBe(0);
  });

  it('marshalEccKeyTemplate writes type ECC, SHA-256, the attributes, NULL unions, P-256, empty unique', () => {
    expect(marshalEccKeyTemplate(KEY_ATTRIBUTES).toString('hex')).toBe(
      hex('0016 0023 000b 00060472 0000 0010 0010 0003 0010 0000 0000').toString('hex'),
    );
    expect(marshalEccKeyTemplate(PEER_KEY_ATTRIBUTES).subarray(6, 10).toString('hex')).toBe(
      '00060072',
    );
    expectInvalid(() => marshalEccKeyTemplate(-1));
    expectInvalid(() => marshalEccKeyTemplate(2 ** 32));
    expectInvalid(() => marshalEccKeyTemplate(1.5));
  });

  it('marshalSealTemplate writes a KEYEDHASH sealed-data template with attributes 0x452', () => {
    expect(marshalSealTemplate().toString('hex')).toBe(
      hex('000e 0008 000b 00000452 0000 0010 0000').toString('hex'),
    );
  });

  it('attribute constants are built from the TPMA_OBJECT bit positions of Part 2', () => {
    expect(TPMA_OBJECT).toEqual({
      fixedTPM: 2 ** 1,
      stClear: 2 ** 2,
      fixedParent: 2 ** 4,
      sensitiveDataOrigin: 2 ** 5,
      userWithAuth: 2 ** 6,
      adminWithPolicy: 2 ** 7,
      noDA: 2 ** 10,
      encryptedDuplication: 2 ** 11,
      restricted: 2 ** 16,
      decrypt: 2 ** 17,
      sign: 2 ** 18,
    });
    const a = TPMA_OBJECT;
    const common = a.fixedTPM | a.fixedParent | a.sensitiveDataOrigin | a.userWithAuth;
    expect(PEER_KEY_ATTRIBUTES).toBe(common | a.sign | a.decrypt);
    expect(KEY_ATTRIBUTES).toBe(common | a.sign | a.decrypt | a.noDA);
    expect(H2_SRK_ATTRIBUTES).toBe(common | a.restricted | a.decrypt | a.noDA);
    expect(SEAL_ATTRIBUTES).toBe(a.fixedTPM | a.fixedParent | a.userWithAuth | a.noDA);
    expect(SEAL_ATTRIBUTES & a.sensitiveDataOrigin).toBe(0);
    expect(SEAL_ATTRIBUTES & (a.sign | a.decrypt | a.restricted)).toBe(0);
  });
});

describe('parseTpm2bPublic / publicPointOf', () => {
  const fixture = decodeTss2Pem(FIXTURE_PEM, 'fixture');
  const fixturePub = parseTpm2bPublic(fixture.publicBlob);

  it('parses the public area of a key written by tpm2-openssl', () => {
    expect(fixturePub.type).toBe(TPM2_ALG.ECC);
    expect(fixturePub.nameAlg).toBe(TPM2_ALG.SHA256);
    expect(fixturePub.objectAttributes).toBe(PEER_KEY_ATTRIBUTES);
    expect(fixturePub.authPolicy.length).toBe(0);
    expect(fixturePub.symmetric).toEqual({ algorithm: TPM2_ALG.NULL });
    expect(fixturePub.scheme).toEqual({ scheme: TPM2_ALG.NULL });
    expect(fixturePub.curveId).toBe(TPM2_ECC_NIST_P256);
    expect(fixturePub.kdf).toEqual({ scheme: TPM2_ALG.NULL });
    expect(fixturePub.raw.equals(fixture.publicBlob.subarray(2))).toBe(true);
    expect(marshalTpm2bEccPublic(fixturePub).equals(fixture.publicBlob)).toBe(true);
  });

  it('publicPointOf gives the same key tpm2-openssl printed', () => {
    const expected = createPublicKey(FIXTURE_PUB_PEM).export({ format: 'der', type: 'spki' });
    expect(spkiDerFromRaw(publicPointOf(fixturePub)).equals(expected)).toBe(true);
  });

  it('reads every union member: AES-CFB symmetric, ECDSA/ECDAA schemes, KDF hash, authPolicy', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const base: Tpm2EccPublicFields = {
      nameAlg: TPM2_ALG.SHA256,
      objectAttributes: 0x80060472, // bit 31 set: must stay an unsigned number
      authPolicy: randomBytes(32),
      symmetric: { algorithm: TPM2_ALG.AES, keyBits: 256, mode: TPM2_ALG.CFB },
      scheme: { scheme: TPM2_ALG.ECDSA, hashAlg: TPM2_ALG.SHA256 },
      curveId: TPM2_ECC_NIST_P256,
      kdf: { scheme: TPM2_ALG.KDF1_SP800_56A, hashAlg: TPM2_ALG.SHA384 },
      x: Buffer.from(jwk.x!, 'base64url'),
      y: Buffer.from(jwk.y!, 'base64url'),
    };
    const variants: Tpm2EccPublicFields[] = [
      base,
      { ...base, scheme: { scheme: TPM2_ALG.ECDH, hashAlg: TPM2_ALG.SHA256 } },
      { ...base, scheme: { scheme: TPM2_ALG.ECDAA, hashAlg: TPM2_ALG.SHA256, count: 7 } },
      { ...base, kdf: { scheme: TPM2_ALG.MGF1, hashAlg: TPM2_ALG.SHA1 } },
      { ...base, symmetric: { algorithm: TPM2_ALG.NULL }, kdf: { scheme: TPM2_ALG.NULL } },
    ];
    for (const v of variants) {
      const blob = marshalTpm2bEccPublic(v);
      const parsed = parseTpm2bPublic(blob);
      const { type, raw, ...fields } = parsed;
      expect(type).toBe(TPM2_ALG.ECC);
      expect(fields).toEqual(v);
      expect(raw.equals(blob.subarray(2))).toBe(true);
      expect(marshalTpm2bEccPublic(parsed).equals(blob)).toBe(true);
      expect(publicPointOf(parsed).equals(Buffer.concat([Buffer.of(4), v.x, v.y]))).toBe(true);
    }
    // The byte layout of the first variant, field by field.
    const blob = marshalTpm2bEccPublic(base);
    expect(blob.subarray(2, 12).toString('hex')).toBe('0023000b800604720020');
    expect(blob.subarray(44, 62).toString('hex')).toBe('0006010000430018000b00030020000c0020');
  });

  it('refuses union members that do not match their selector when marshalling', () => {
    const t = parseTpm2bPublic(H2_SRK_TEMPLATE);
    expectInvalid(() => marshalTpm2bEccPublic({ ...t, symmetric: { algorithm: TPM2_ALG.AES } }));
    expectInvalid(() =>
      marshalTpm2bEccPublic({ ...t, symmetric: { algorithm: TPM2_ALG.NULL, keyBits: 128 } }),
    );
    expectInvalid(() => marshalTpm2bEccPublic({ ...t, scheme: { scheme: TPM2_ALG.ECDSA } }));
    expectInvalid(() =>
      marshalTpm2bEccPublic({ ...t, scheme: { scheme: TPM2_ALG.ECDSA, hashAlg: 11, count: 1 } }),
    );
    expectInvalid(() => marshalTpm2bEccPublic({ ...t, kdf: { scheme: 0x0777, hashAlg: 11 } }));
    expectInvalid(() => marshalTpm2bEccPublic({ ...t, nameAlg: 0x10000 }));
  });

  it('left-pads short coordinates to 32 bytes', () => {
    // Find a key whose x starts with a zero byte; a TPM stores such an x in 31 bytes.
    let jwk;
    do {
      jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
    } while (Buffer.from(jwk.x!, 'base64url')[0] !== 0);
    const x = Buffer.from(jwk.x!, 'base64url');
    const y = Buffer.from(jwk.y!, 'base64url');
    const pub = parseTpm2bPublic(
      marshalTpm2bEccPublic({ ...parseTpm2bPublic(marshalEccKeyTemplate(0)), x: x.subarray(1), y }),
    );
    expect(pub.x.length).toBe(31);
    expect(publicPointOf(pub).equals(Buffer.concat([Buffer.of(4), x, y]))).toBe(true);
  });

  it('publicPointOf refuses templates, other curves, long coordinates and off-curve points', () => {
    expectInvalid(() => publicPointOf(parseTpm2bPublic(H2_SRK_TEMPLATE)), /no public point/);
    expectInvalid(() => publicPointOf({ ...fixturePub, curveId: 0x0004 }), /not NIST P-256/);
    expectInvalid(
      () => publicPointOf({ ...fixturePub, x: Buffer.concat([Buffer.of(0), fixturePub.x]) }),
      /longer than 32/,
    );
    const y = Buffer.from(fixturePub.y);
    y[31] ^= 1;
    expectInvalid(() => publicPointOf({ ...fixturePub, y }), /not on the P-256 curve/);
  });

  it('is strict: size prefix, truncation, trailing bytes, non-ECC types, unknown selectors', () => {
    const blob = fixture.publicBlob;
    const body = blob.subarray(2);
    // Size prefix off by one either way, or no prefix at all.
    expectInvalid(() => parseTpm2bPublic(Buffer.concat([blob, Buffer.of(0)])), /size prefix/);
    expectInvalid(() => parseTpm2bPublic(blob.subarray(0, blob.length - 1)), /size prefix/);
    expectInvalid(() => parseTpm2bPublic(body), /size prefix/);
    expectInvalid(() => parseTpm2bPublic(Buffer.of(0)), /shorter/);
    expectInvalid(() => parseTpm2bPublic(hex('0000')), /empty/);
    // Every truncation of the TPMT_PUBLIC, with a size prefix that matches the truncated body.
    for (let n = 1; n < body.length; n++) {
      expectInvalid(() => parseTpm2bPublic(tpm2b(body.subarray(0, n))), /truncated/);
    }
    // A byte after unique.y that the size prefix covers.
    expectInvalid(
      () => parseTpm2bPublic(tpm2b(Buffer.concat([body, Buffer.of(0)]))),
      /1 trailing bytes/,
    );
    // Other object types.
    expectInvalid(() => parseTpm2bPublic(marshalSealTemplate()), /type 0x0008 is not ECC/);
    const rsa = Buffer.from(body);
    rsa.writeUInt16BE(TPM2_ALG.RSA, 0);
    expectInvalid(() => parseTpm2bPublic(tpm2b(rsa)), /type 0x0001 is not ECC/);
    // Unknown union selectors (their payload size is unknown, so nothing after them can be read).
    const t = H2_SRK_TEMPLATE.subarray(2);
    const withU16 = (offset: number, v: number) => {
      const b = Buffer.from(t);
      b.writeUInt16BE(v, offset);
      return tpm2b(b);
    };
    expectInvalid(() => parseTpm2bPublic(withU16(10, 0x0025)), /symmetric algorithm 0x0025/);
    expectInvalid(() => parseTpm2bPublic(withU16(16, 0x0014)), /ECC scheme 0x0014/);
    expectInvalid(() => parseTpm2bPublic(withU16(20, 0x0001)), /KDF scheme 0x0001/);
    // authPolicy longer than any digest.
    const longPolicy = Buffer.concat([t.subarray(0, 8), tpm2b(Buffer.alloc(65)), t.subarray(10)]);
    expectInvalid(() => parseTpm2bPublic(tpm2b(longPolicy)), /authPolicy is 65 bytes/);
  });
});

// ---------------------------------------------------------------------------------------------
// TSS2 PRIVATE KEY PEM

describe('encodeTss2Pem', () => {
  const fields = { parent: 0x40000001, publicBlob: PUB, privateBlob: PRIV, emptyAuth: true };

  it('writes exactly SEQUENCE { OID, [0] TRUE, INTEGER parent, OCTET STRING pub, OCTET STRING priv }', () => {
    const der = encodeTss2Der(fields);
    const expected = tlv(
      0x30,
      OID_LOADABLE,
      tlv(0xa0, tlv(0x01, hex('ff'))),
      PARENT_OWNER,
      tlv(0x04, PUB),
      tlv(0x04, PRIV),
    );
    expect(der.toString('hex')).toBe(expected.toString('hex'));
    expect(encodeTss2Pem(fields)).toBe(toPem(expected));
  });

  it('lays the PEM out in 64-character base64 lines under the TSS2 PRIVATE KEY label', () => {
    const pem = encodeTss2Pem(fields);
    const lines = pem.split('\n');
    expect(lines[0]).toBe('-----BEGIN TSS2 PRIVATE KEY-----');
    expect(lines.at(-2)).toBe('-----END TSS2 PRIVATE KEY-----');
    expect(lines.at(-1)).toBe('');
    const body = lines.slice(1, -2);
    expect(body.slice(0, -1).every((l) => l.length === 64)).toBe(true);
    expect(body.at(-1)!.length).toBeGreaterThan(0);
    expect(body.at(-1)!.length).toBeLessThanOrEqual(64);
  });

  it('omits [0] when emptyAuth is false', () => {
    const der = encodeTss2Der({ ...fields, emptyAuth: false });
    expect(der.equals(keyDer({ optional: [] }))).toBe(true);
  });

  it('writes the parent as an unsigned, minimal INTEGER (0x81000001 gets a leading 00)', () => {
    const parentTlv = (parent: number) => {
      const der = encodeTss2Der({ ...fields, emptyAuth: false, parent });
      const oidEnd = 2 + OID_LOADABLE.length + (der[1]! & 0x80 ? der[1]! & 0x7f : 0);
      return der.subarray(oidEnd, oidEnd + 2 + der[oidEnd + 1]!).toString('hex');
    };
    expect(parentTlv(0x81000001)).toBe('02050081000001');
    expect(parentTlv(0x40000001)).toBe('020440000001');
    expect(parentTlv(0xffffffff)).toBe('020500ffffffff');
    expect(parentTlv(0x80)).toBe('02020080');
    expect(parentTlv(0x7f)).toBe('02017f');
    expect(parentTlv(0)).toBe('020100');
  });

  it('round-trips through decodeTss2Pem', () => {
    for (const parent of [0x40000001, 0x81000001, 0x81000100, 0, 0xffffffff]) {
      for (const emptyAuth of [true, false]) {
        const decoded = decodeTss2Pem(encodeTss2Pem({ ...fields, parent, emptyAuth }));
        expect(decoded).toEqual({
          oid: 'loadableKey',
          parent,
          emptyAuth,
          publicBlob: PUB,
          privateBlob: PRIV,
          rsaParent: false,
          optionalTags: [],
        });
      }
    }
    // Long-form lengths everywhere (blobs over 127 and 255 bytes, outer SEQUENCE over 255).
    const big = {
      ...fields,
      publicBlob: tpm2b(randomBytes(300)),
      privateBlob: tpm2b(randomBytes(200)),
    };
    const d = decodeTss2Pem(Buffer.from(encodeTss2Pem(big)));
    expect(d.publicBlob.equals(big.publicBlob)).toBe(true);
    expect(d.privateBlob.equals(big.privateBlob)).toBe(true);
  });

  it('refuses bad input with E_INVALID_ARGUMENT', () => {
    for (const parent of [-1, 2 ** 32, 1.5, NaN]) {
      expectInvalid(() => encodeTss2Pem({ ...fields, parent }), /parent/);
    }
    expectInvalid(() => encodeTss2Pem({ ...fields, publicBlob: PUB.subarray(2) }), /size prefix/);
    expectInvalid(() => encodeTss2Pem({ ...fields, privateBlob: hex('0000') }), /empty/);
    expectInvalid(() => encodeTss2Pem({ ...fields, emptyAuth: 1 as unknown as boolean }));
  });
});

describe('decodeTss2Pem', () => {
  const decode = (der: Buffer) => decodeTss2Pem(toPem(der), 'k.pem');

  it('reads the key tpm2-openssl wrote (BOOLEAN 0x01, parent 0x40000001)', () => {
    const d = decodeTss2Pem(FIXTURE_PEM);
    expect(d.oid).toBe('loadableKey');
    expect(d.emptyAuth).toBe(true);
    expect(d.parent).toBe(0x40000001);
    expect(d.optionalTags).toEqual([]);
    expect(d.publicBlob.readUInt16BE(0)).toBe(d.publicBlob.length - 2);
    expect(d.privateBlob.readUInt16BE(0)).toBe(d.privateBlob.length - 2);
    // Our writer gives the same DER except for the BOOLEAN byte (0xFF, DER's TRUE).
    const original = Buffer.from(FIXTURE_PEM.split('\n').slice(1, -2).join(''), 'base64');
    const ours = encodeTss2Der(d);
    expect(ours.length).toBe(original.length);
    const diff = [...ours.keys()].filter((i) => ours[i] !== original[i]);
    expect(diff.map((i) => [original[i], ours[i]])).toEqual([[0x01, 0xff]]);
    // CRLF line endings and surrounding whitespace are fine.
    expect(decodeTss2Pem(`\n${FIXTURE_PEM.replace(/\n/g, '\r\n')}\n`)).toEqual(d);
  });

  it('accepts BOOLEAN 0x01 and 0xFF as TRUE, and an explicit FALSE', () => {
    for (const [byte, value] of [
      ['01', true],
      ['ff', true],
      ['00', false],
    ] as const) {
      const d = decode(keyDer({ optional: [tlv(0xa0, tlv(0x01, hex(byte)))] }));
      expect(d.emptyAuth).toBe(value);
    }
    expect(decode(keyDer({ optional: [] })).emptyAuth).toBe(false);
  });

  it('skips each optional field [1]..[5] that ssh-tpm-agent and others write', () => {
    const cases: [Buffer, number][] = [
      [OPT_POLICY, 1],
      [OPT_SECRET, 2],
      [OPT_AUTH_POLICY, 3],
      [OPT_DESCRIPTION, 4],
      [OPT_RSA_PARENT, 5],
    ];
    for (const [field, tag] of cases) {
      for (const optional of [[field], [EMPTY_AUTH_01, field]]) {
        const d = decode(keyDer({ optional }));
        expect(d.optionalTags).toEqual([tag]);
        expect(d.parent).toBe(0x40000001);
        expect(d.publicBlob.equals(PUB) && d.privateBlob.equals(PRIV)).toBe(true);
        expect(d.emptyAuth).toBe(optional.length === 2);
      }
    }
    const all = decode(
      keyDer({
        optional: [
          EMPTY_AUTH_01,
          OPT_POLICY,
          OPT_SECRET,
          OPT_AUTH_POLICY,
          OPT_DESCRIPTION,
          OPT_RSA_PARENT,
        ],
      }),
    );
    expect(all.optionalTags).toEqual([1, 2, 3, 4, 5]);
    expect(all.description).toBe('ssh key – laptop');
    expect(all.rsaParent).toBe(true);
    expect(all.emptyAuth).toBe(true);
    expect(decode(keyDer()).rsaParent).toBe(false);
    expect(decode(keyDer()).description).toBeUndefined();
  });

  it('refuses optional fields that are out of order, repeated, unknown or malformed', () => {
    const bad: [Buffer[], RegExp][] = [
      [[OPT_SECRET, OPT_POLICY], /out of order/],
      [[OPT_POLICY, EMPTY_AUTH_01], /out of order/],
      [[EMPTY_AUTH_01, EMPTY_AUTH_01], /repeated/],
      [[tlv(0xa6, tlv(0x01, hex('ff')))], /unknown optional field \[6\]/],
      [[tlv(0xa0, tlv(0x01, hex('02')))], /BOOLEAN value/],
      [[tlv(0xa0, tlv(0x01, hex('ffff')))], /one byte/],
      [[tlv(0xa0, tlv(0x02, hex('01')))], /emptyAuth is not a BOOLEAN/],
      [[tlv(0xa0, tlv(0x01, hex('ff')), tlv(0x05, Buffer.alloc(0)))], /extra bytes/],
      [[tlv(0xa4, tlv(0x04, Buffer.from('x')))], /description does not hold/],
      [[tlv(0xa4, tlv(0x0c, hex('c328')))], /not valid UTF-8/],
      [[tlv(0xa2, tlv(0x04, hex('00')), tlv(0x04, hex('00')))], /secret: extra bytes/],
      [[tlv(0xa1, tlv(0x30, tlv(0x02, hex('0001'))))], /not minimally encoded/],
      [[tlv(0xa1, tlv(0x30, hex('3003')))], /truncated/],
      [[tlv(0xa5, tlv(0x01, hex('07')))], /BOOLEAN value/],
    ];
    for (const [optional, pattern] of bad)
      expectCorrupt(() => decode(keyDer({ optional })), pattern);
  });

  it('reads the parent as unsigned 32-bit, including the negative encodings of old writers', () => {
    const withParent = (body: string) => decode(keyDer({ parent: tlv(0x02, hex(body)) })).parent;
    expect(withParent('0081000001')).toBe(0x81000001);
    expect(withParent('81000001')).toBe(0x81000001); // -2130706431 from a signed 32-bit long
    expect(withParent('c0000001')).toBe(0xc0000001);
    expect(withParent('40000001')).toBe(0x40000001);
    expect(withParent('00ffffffff')).toBe(0xffffffff);
    expect(withParent('ff')).toBe(0xffffffff); // -1
    expect(withParent('80000000')).toBe(0x80000000); // -2^31
    expect(withParent('00')).toBe(0);
    expectCorrupt(() => withParent('ff81000001'), /not minimally encoded/);
    expectCorrupt(() => withParent('000040000001'), /not minimally encoded/);
    expectCorrupt(() => withParent('0100000000'), /not a 32-bit TPM handle/);
    expectCorrupt(() => withParent('ff7fffffff'), /not a 32-bit TPM handle/); // -2^31 - 1
    expectCorrupt(() => withParent(''), /empty INTEGER/);
    expectCorrupt(() => withParent('000000000001'), /not minimally encoded/);
  });

  it('accepts the old OID 2.23.133.10.2', () => {
    const d = decode(keyDer({ oid: OID_LEGACY }));
    expect(d.oid).toBe('legacy');
    expect(d.publicBlob.equals(PUB)).toBe(true);
  });

  it('puts the source label into the message', () => {
    expectCorrupt(
      () => decodeTss2Pem('nope', '/keys/a.pem'),
      /^\/keys\/a\.pem: TSS2 PRIVATE KEY is corrupt/,
    );
    const err = errorOf(() => decodeTss2Pem('nope')) as Error;
    expect(err.message).toMatch(/^TSS2 PRIVATE KEY is corrupt/);
  });

  it('refuses every corruption with E_CORRUPT', () => {
    const good = keyDer();
    const cases: [string, () => unknown, RegExp][] = [
      // Type OID.
      [
        'importableKey OID',
        () => decode(keyDer({ oid: tlv(0x06, hex('6781050a0104')) })),
        /type is not/,
      ],
      [
        'sealedKey OID',
        () => decode(keyDer({ oid: tlv(0x06, hex('6781050a0105')) })),
        /type is not/,
      ],
      ['ecPublicKey OID', () => decode(keyDer({ oid: tlv(0x06, hex('2a8648ce3d0201')) })), /type/],
      [
        'OID as OCTET STRING',
        () => decode(keyDer({ oid: tlv(0x04, hex('6781050a0103')) })),
        /OBJECT IDENTIFIER/,
      ],
      // Structure.
      [
        'not a SEQUENCE',
        () => decode(Buffer.concat([Buffer.of(0x31), good.subarray(1)])),
        /not a SEQUENCE/,
      ],
      ['trailing bytes', () => decode(Buffer.concat([good, hex('0500')])), /trailing bytes/],
      [
        'extra field after privkey',
        () => decode(keyDer({ tail: [tlv(0x04, PRIV)] })),
        /after privkey/,
      ],
      [
        'missing privkey',
        () => decode(tlv(0x30, OID_LOADABLE, EMPTY_AUTH_01, PARENT_OWNER, tlv(0x04, PUB))),
        /privkey/,
      ],
      [
        'missing parent',
        () => decode(tlv(0x30, OID_LOADABLE, EMPTY_AUTH_01, tlv(0x04, PUB), tlv(0x04, PRIV))),
        /parent is not an INTEGER/,
      ],
      [
        'parent as [1] EXPLICIT (TSS2 KEY BLOB layout)',
        () => decode(keyDer({ parent: tlv(0xa1, PARENT_OWNER) })),
        /\[1\] policy does not hold/,
      ],
      [
        'constructed OCTET STRING',
        () =>
          decode(tlv(0x30, OID_LOADABLE, PARENT_OWNER, tlv(0x24, tlv(0x04, PUB)), tlv(0x04, PRIV))),
        /pubkey is not an OCTET STRING/,
      ],
      // TPM2B size prefixes.
      [
        'pub prefix too big',
        () => decode(keyDer({ pub: Buffer.concat([hex('0057'), PUB.subarray(2)]) })),
        /pubkey .* size prefix says 87/,
      ],
      [
        'pub prefix too small',
        () => decode(keyDer({ pub: Buffer.concat([hex('0055'), PUB.subarray(2)]) })),
        /pubkey .* size prefix/,
      ],
      [
        'priv prefix wrong',
        () => decode(keyDer({ priv: Buffer.concat([PRIV, hex('00')]) })),
        /privkey .* size prefix/,
      ],
      ['pub without prefix', () => decode(keyDer({ pub: hex('00') })), /shorter than its 2-byte/],
      ['empty pub TPM2B', () => decode(keyDer({ pub: hex('0000') })), /pubkey .* is empty/],
      ['empty priv TPM2B', () => decode(keyDer({ priv: hex('0000') })), /privkey .* is empty/],
      // DER length encodings.
      ['non-minimal short length', () => decode(nonMinimalInner()), /shortest form/],
      [
        'non-minimal long length',
        () => decode(Buffer.concat([hex('308200'), good.subarray(2)])), // 30 82 00 f0
        /shortest form/,
      ],
      [
        'indefinite length',
        () => decode(Buffer.concat([hex('3080'), good.subarray(3), hex('0000')])),
        /indefinite/,
      ],
      [
        'length longer than data',
        () => decode(Buffer.concat([Buffer.of(0x30, 0x81, good[2]! + 1), good.subarray(3)])),
        /truncated/,
      ],
      [
        'multi-byte tag',
        () =>
          decode(
            tlv(
              0x30,
              OID_LOADABLE,
              tlv(0xbf, hex('1f00')),
              PARENT_OWNER,
              tlv(0x04, PUB),
              tlv(0x04, PRIV),
            ),
          ),
        /multi-byte/,
      ],
      // PEM armour.
      ['wrong label', () => decodeTss2Pem(toPem(good, 'PRIVATE KEY')), /BEGIN TSS2 PRIVATE KEY/],
      [
        'old TSS2 KEY BLOB label',
        () => decodeTss2Pem(toPem(good, 'TSS2 KEY BLOB')),
        /BEGIN TSS2 PRIVATE KEY/,
      ],
      ['two blocks', () => decodeTss2Pem(toPem(good) + toPem(good)), /exactly one/],
      ['text before the block', () => decodeTss2Pem('comment\n' + toPem(good)), /exactly one/],
      ['no END line', () => decodeTss2Pem(toPem(good).replace(/-----END.*\n$/, '')), /exactly one/],
      ['junk in base64', () => decodeTss2Pem(toPem(good).replace(/\n(.)/, '\n*$1')), /exactly one/],
      [
        'misplaced padding',
        () => decodeTss2Pem(toPem(good).replace(/\n(.)/, '\n=$1')),
        /canonical base64/,
      ],
      ['empty string', () => decodeTss2Pem(''), /exactly one/],
    ];
    for (const [name, fn, pattern] of cases) {
      const err = errorOf(fn);
      expect(isKeystoreError(err, 'E_CORRUPT'), `${name}: ${String(err)}`).toBe(true);
      expect((err as Error).message, name).toMatch(pattern);
    }
  });

  it('refuses every truncation of a real key file', () => {
    const der = Buffer.from(FIXTURE_PEM.split('\n').slice(1, -2).join(''), 'base64');
    for (let n = 0; n < der.length; n++) {
      expectCorrupt(() => decodeTss2Der(der.subarray(0, n)));
      if (n > 0) expectCorrupt(() => decode(der.subarray(0, n)));
    }
    // Also a truncated outer length that still frames the (shorter) content.
    const inner = der.subarray(3, der.length - 1);
    expectCorrupt(() => decode(tlv(0x30, inner)));
  });
});

function nonMinimalInner(): Buffer {
  // OID element with a long-form length for a 6-byte body: 06 81 06 ...
  return tlv(
    0x30,
    Buffer.concat([hex('068106'), hex('6781050a0103')]),
    EMPTY_AUTH_01,
    PARENT_OWNER,
    tlv(0x04, PUB),
    tlv(0x04, PRIV),
  );
}

// ---------------------------------------------------------------------------------------------
// Live: swtpm + tpm2-openssl (the outside implementation) + a raw TPM 2.0 client

/**
 * A minimal TPM 2.0 command client over swtpm's raw TCP data channel, with password sessions.
 * It exists only to drive the TPM with our own template bytes, byte for byte.
 */
class RawTpm {
  private buffered = Buffer.alloc(0);
  private waiter: (() => void) | null = null;

  private constructor(private readonly sock: net.Socket) {
    sock.on('data', (d: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, d]);
      this.waiter?.();
    });
    sock.on('close', () => this.waiter?.());
  }

  static async connect(port: number): Promise<RawTpm> {
    const sock = net.connect(port, '127.0.0.1');
    await once(sock, 'connect');
    return new RawTpm(sock);
  }

  async close(): Promise<void> {
    const closed = once(this.sock, 'close');
    this.sock.end();
    await closed;
  }

  private async read(n: number): Promise<Buffer> {
    while (this.buffered.length < n) {
      if (this.sock.destroyed) throw new Error('swtpm closed the connection');
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
    const out = this.buffered.subarray(0, n);
    this.buffered = this.buffered.subarray(n);
    return out;
  }

  /** Sends a command; `authHandles` of the `handles` get an empty password session each. */
  async command(
    cc: number,
    handles: number[],
    authHandles: number,
    params: Buffer,
    outHandles: number,
  ): Promise<{ rc: number; handles: number[]; params: Buffer }> {
    const u32 = (v: number) => {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(v >>> 0);
      return b;
    };
    const pwSession = hex('40000009 0000 00 0000');
    const auth =
      authHandles > 0
        ? [u32(pwSession.length * authHandles), ...Array(authHandles).fill(pwSession)]
        : [];
    const body = Buffer.concat([...handles.map(u32), ...auth, params]);
    const header = Buffer.alloc(10);
    header.writeUInt16BE(authHandles > 0 ? 0x8002 : 0x8001, 0);
    header.writeUInt32BE(10 + body.length, 2);
    header.writeUInt32BE(cc, 6);
    this.sock.write(Buffer.concat([header, body]));

    const rh = await this.read(10);
    const size = rh.readUInt32BE(2);
    const rest = await this.read(size - 10);
    const rc = rh.readUInt32BE(6);
    if (rc !== 0) return { rc, handles: [], params: Buffer.alloc(0) };
    const outH = Array.from({ length: outHandles }, (_, i) => rest.readUInt32BE(i * 4));
    let p = rest.subarray(outHandles * 4);
    if (rh.readUInt16BE(0) === 0x8002) p = p.subarray(4, 4 + p.readUInt32BE(0));
    return { rc, handles: outH, params: p };
  }
}

const OWNER = 0x40000001;
const u32be = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v);
  return b;
};
/** Reads consecutive TPM2B values from a response parameter area. */
function tpm2bs(params: Buffer, count: number): Buffer[] {
  const out: Buffer[] = [];
  let off = 0;
  for (let i = 0; i < count; i++) {
    const size = params.readUInt16BE(off);
    out.push(params.subarray(off, off + 2 + size));
    off += 2 + size;
  }
  return out;
}
/** TPM2B_SENSITIVE_CREATE with an empty userAuth and the given data. */
const sensitiveCreate = (data: Buffer = Buffer.alloc(0)) =>
  tpm2b(Buffer.concat([hex('0000'), tpm2b(data)]));
const NO_OUTSIDE_INFO_NO_PCRS = hex('0000 00000000');

async function createPrimary(tpm: RawTpm, template: Buffer) {
  const r = await tpm.command(
    0x131,
    [OWNER],
    1,
    Buffer.concat([sensitiveCreate(), template, NO_OUTSIDE_INFO_NO_PCRS]),
    1,
  );
  return {
    rc: r.rc,
    handle: r.handles[0]!,
    publicBlob: r.rc ? Buffer.alloc(0) : tpm2bs(r.params, 1)[0]!,
  };
}

async function create(tpm: RawTpm, parent: number, template: Buffer, data?: Buffer) {
  const r = await tpm.command(
    0x153,
    [parent],
    1,
    Buffer.concat([sensitiveCreate(data), template, NO_OUTSIDE_INFO_NO_PCRS]),
    0,
  );
  const [privateBlob, publicBlob] = r.rc ? [] : tpm2bs(r.params, 2);
  return { rc: r.rc, privateBlob: privateBlob!, publicBlob: publicBlob! };
}

async function load(tpm: RawTpm, parent: number, privateBlob: Buffer, publicBlob: Buffer) {
  const r = await tpm.command(0x157, [parent], 1, Buffer.concat([privateBlob, publicBlob]), 1);
  return { rc: r.rc, handle: r.handles[0]! };
}

async function unseal(tpm: RawTpm, handle: number): Promise<Buffer> {
  const r = await tpm.command(0x15e, [handle], 1, Buffer.alloc(0), 0);
  expect(r.rc).toBe(0);
  return tpm2bs(r.params, 1)[0]!.subarray(2);
}

async function flush(tpm: RawTpm, handle: number): Promise<void> {
  expect((await tpm.command(0x165, [], 0, u32be(handle), 0)).rc).toBe(0);
}

async function evictControl(tpm: RawTpm, handle: number, persistent: number): Promise<void> {
  expect((await tpm.command(0x120, [OWNER, handle], 1, u32be(persistent), 0)).rc).toBe(0);
}

/** The format-one error number of a TPM_RC, without its handle/parameter/session index. */
const fmt1 = (rc: number) => {
  expect(rc & 0x80).toBe(0x80);
  return rc & 0xbf;
};
const TPM_RC_INTEGRITY = 0x09f;
const TPM_RC_ATTRIBUTES = 0x082;

describe.skipIf(WINDOWS)('live swtpm + tpm2-openssl', () => {
  let swtpm: Swtpm;
  let work: string;

  beforeAll(async () => {
    swtpm = await Swtpm.start();
    work = mkdtempSync(join(tmpdir(), 'tss2-pem-'));
  });

  afterAll(async () => {
    await swtpm?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const openssl = (...args: string[]) =>
    execFileSync('openssl', args, {
      cwd: work,
      env: { ...process.env, TPM2OPENSSL_TCTI: swtpm.tcti },
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
    });
  const pubout = (file: string) =>
    openssl('pkey', '-provider', 'tpm2', '-provider', 'base', '-in', file, '-pubout');

  /** Signs a digest with tpm2-openssl and checks it with node:crypto against `point`. */
  function checkSignsFor(file: string, point: Buffer): void {
    const msg = randomBytes(40);
    writeFileSync(join(work, 'digest.bin'), createHash('sha256').update(msg).digest());
    openssl(
      'pkeyutl',
      '-provider',
      'tpm2',
      '-provider',
      'base',
      '-sign',
      '-inkey',
      file,
      '-in',
      'digest.bin',
      '-out',
      'sig.der',
    );
    const sig = readFileSync(join(work, 'sig.der'));
    const key = createPublicKey({ key: spkiDerFromRaw(point), format: 'der', type: 'spki' });
    expect(verify('sha256', msg, { key, dsaEncoding: 'der' }, sig)).toBe(true);
    expect(verify('sha256', randomBytes(40), { key, dsaEncoding: 'der' }, sig)).toBe(false);
  }

  const spkiOf = (pem: string) => createPublicKey(pem).export({ format: 'der', type: 'spki' });

  let peer: DecodedTss2Key;
  let peerPoint: Buffer;

  it('decodes a key tpm2-openssl just generated, and tpm2-openssl accepts our re-encoding', () => {
    openssl(
      'genpkey',
      '-provider',
      'tpm2',
      '-provider',
      'base',
      '-algorithm',
      'EC',
      '-pkeyopt',
      'group:P-256',
      '-out',
      'k.pem',
    );
    const pem = readFileSync(join(work, 'k.pem'), 'utf8');
    peer = decodeTss2Pem(pem, 'k.pem');
    expect(peer.oid).toBe('loadableKey');
    expect(peer.emptyAuth).toBe(true);
    expect(peer.parent).toBe(OWNER);
    const pub = parseTpm2bPublic(peer.publicBlob);
    expect(pub.nameAlg).toBe(TPM2_ALG.SHA256);
    expect(pub.curveId).toBe(TPM2_ECC_NIST_P256);
    expect(pub.objectAttributes).toBe(0x00060072);
    peerPoint = publicPointOf(pub);
    expect(spkiDerFromRaw(peerPoint).equals(spkiOf(pubout('k.pem')))).toBe(true);

    writeFileSync(join(work, 'reencoded.pem'), encodeTss2Pem(peer));
    expect(spkiDerFromRaw(peerPoint).equals(spkiOf(pubout('reencoded.pem')))).toBe(true);
    checkSignsFor('reencoded.pem', peerPoint);
  });

  it('CreatePrimary with H2_SRK_TEMPLATE recreates the parent tpm2-openssl used', async () => {
    const tpm = await RawTpm.connect(swtpm.port);
    try {
      const srk = await createPrimary(tpm, H2_SRK_TEMPLATE);
      expect(srk.rc).toBe(0);
      const srkPub = parseTpm2bPublic(srk.publicBlob);
      expect(srkPub.objectAttributes).toBe(H2_SRK_ATTRIBUTES);
      expect(publicPointOf(srkPub)).toHaveLength(65); // on the curve
      const loaded = await load(tpm, srk.handle, peer.privateBlob, peer.publicBlob);
      expect(loaded.rc).toBe(0);
      await flush(tpm, loaded.handle);
      await flush(tpm, srk.handle);

      // Control: without noDA it is a different SRK, and the load fails its integrity check.
      const noNoDa = marshalTpm2bEccPublic({
        ...parseTpm2bPublic(H2_SRK_TEMPLATE),
        objectAttributes: H2_SRK_ATTRIBUTES & ~TPMA_OBJECT.noDA,
      });
      const other = await createPrimary(tpm, noNoDa);
      expect(other.rc).toBe(0);
      const refused = await load(tpm, other.handle, peer.privateBlob, peer.publicBlob);
      expect(fmt1(refused.rc)).toBe(TPM_RC_INTEGRITY);
      await flush(tpm, other.handle);
    } finally {
      await tpm.close();
    }
  });

  it('a key made from marshalEccKeyTemplate and written by encodeTss2Pem works in tpm2-openssl', async () => {
    const tpm = await RawTpm.connect(swtpm.port);
    let made: Awaited<ReturnType<typeof create>>;
    try {
      const srk = await createPrimary(tpm, H2_SRK_TEMPLATE);
      expect(srk.rc).toBe(0);
      made = await create(tpm, srk.handle, marshalEccKeyTemplate(KEY_ATTRIBUTES));
      expect(made.rc).toBe(0);
      await flush(tpm, srk.handle);
    } finally {
      await tpm.close();
    }
    const pub = parseTpm2bPublic(made.publicBlob);
    expect(pub.objectAttributes).toBe(KEY_ATTRIBUTES);
    expect(pub.scheme).toEqual({ scheme: TPM2_ALG.NULL });
    const point = publicPointOf(pub);

    const pem = encodeTss2Pem({
      parent: OWNER,
      publicBlob: made.publicBlob,
      privateBlob: made.privateBlob,
      emptyAuth: true,
    });
    writeFileSync(join(work, 'ours.pem'), pem);
    expect(spkiDerFromRaw(point).equals(spkiOf(pubout('ours.pem')))).toBe(true);
    checkSignsFor('ours.pem', point);
  });

  it('a sealed object from marshalSealTemplate unseals; sensitiveDataOrigin would be refused', async () => {
    const tpm = await RawTpm.connect(swtpm.port);
    try {
      const srk = await createPrimary(tpm, H2_SRK_TEMPLATE);
      expect(srk.rc).toBe(0);
      const secret = randomBytes(48);
      const sealed = await create(tpm, srk.handle, marshalSealTemplate(), secret);
      expect(sealed.rc).toBe(0);
      const loaded = await load(tpm, srk.handle, sealed.privateBlob, sealed.publicBlob);
      expect(loaded.rc).toBe(0);
      expect((await unseal(tpm, loaded.handle)).equals(secret)).toBe(true);
      await flush(tpm, loaded.handle);

      const withOrigin = Buffer.from(marshalSealTemplate());
      withOrigin.writeUInt32BE(SEAL_ATTRIBUTES | TPMA_OBJECT.sensitiveDataOrigin, 6);
      const refused = await create(tpm, srk.handle, withOrigin, secret);
      expect(fmt1(refused.rc)).toBe(TPM_RC_ATTRIBUTES);
      await flush(tpm, srk.handle);
    } finally {
      await tpm.close();
    }
  });

  it('tpm2-openssl reads our parent 0x81000001 (written with a leading 00)', async () => {
    const tpm = await RawTpm.connect(swtpm.port);
    try {
      const srk = await createPrimary(tpm, H2_SRK_TEMPLATE);
      expect(srk.rc).toBe(0);
      await evictControl(tpm, srk.handle, 0x81000001);
      await flush(tpm, srk.handle);
    } finally {
      await tpm.close();
    }
    const pem = encodeTss2Pem({ ...peer, parent: 0x81000001 });
    expect(decodeTss2Pem(pem).parent).toBe(0x81000001);
    writeFileSync(join(work, 'persistent.pem'), pem);
    expect(spkiDerFromRaw(peerPoint).equals(spkiOf(pubout('persistent.pem')))).toBe(true);
    checkSignsFor('persistent.pem', peerPoint);
  });
});
