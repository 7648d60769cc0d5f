import {
  createECDH,
  createHash,
  createPrivateKey,
  diffieHellman,
  type KeyObject,
} from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  type EcdhVector,
  type WycheproofResult,
  ecdhAccepted,
  loadVectors,
} from '../../helpers/wycheproof';
import { isKeystoreError } from '../../../src/core/errors';
import {
  encodeDerSignature,
  encodeP1363Signature,
  finishSignature,
  lowS,
  P256_N,
  parseSignature,
  verifySignature,
} from '../../../src/crypto/ecdsa';
import { type SignatureFormat } from '../../../src/core/inputs';
import { parsePeerPublicKey, publicKeyObjectFromRaw } from '../../../src/crypto/p256';

type Result = WycheproofResult;

interface EcdsaTest {
  tcId: number;
  msg: string;
  sig: string;
  result: Result;
  flags: string[];
}
interface EcdsaGroup {
  publicKey: { uncompressed: string };
  publicKeyDer: string;
  tests: EcdsaTest[];
}

const hex = (s: string) => Buffer.from(s, 'hex');
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest();

function tally(): Record<Result, number> {
  return { valid: 0, invalid: 0, acceptable: 0 };
}

function groupKey(group: EcdsaGroup): KeyObject {
  const fromSpki = parsePeerPublicKey(hex(group.publicKeyDer));
  expect(parsePeerPublicKey(hex(group.publicKey.uncompressed))).toEqual(fromSpki);
  return publicKeyObjectFromRaw(fromSpki);
}

function verifiesAny(key: KeyObject, msg: Buffer, r: bigint, s: bigint): boolean {
  const der = encodeDerSignature(r, s);
  const p1363 = encodeP1363Signature(r, s);
  return (
    verifySignature(key, msg, der, { format: 'der' }) ||
    verifySignature(key, msg, p1363, { format: 'p1363' }) ||
    verifySignature(key, sha256(msg), p1363, { format: 'p1363', prehashed: true })
  );
}

/** Conversions must never turn an invalid signature into a valid one. */
function expectConversionsStayInvalid(key: KeyObject, msg: Buffer, r: bigint, s: bigint): void {
  const low = lowS(r, s);
  const p1363 = encodeP1363Signature(r, s);
  expect(verifiesAny(key, msg, r, s)).toBe(false);
  expect(verifiesAny(key, msg, low.r, low.s)).toBe(false);
  for (const format of ['der', 'p1363'] as const) {
    expect(verifySignature(key, msg, finishSignature(p1363, format), { format })).toBe(false);
  }
}

/** finishSignature's output is low-S and still verifies, in both encodings. */
function expectFinishedStillValid(key: KeyObject, msg: Buffer, r: bigint, s: bigint): void {
  const p1363 = encodeP1363Signature(r, s);
  for (const format of ['der', 'p1363'] as const) {
    const finished = finishSignature(p1363, format);
    expect(parseSignature(finished, format).s <= P256_N / 2n).toBe(true);
    expect(verifySignature(key, msg, finished, { format })).toBe(true);
  }
}

function runEcdsaFile(file: string, format: SignatureFormat) {
  const counts = tally();
  let invalidButParsed = 0;
  for (const group of loadVectors<EcdsaGroup>(file).testGroups) {
    const key = groupKey(group);
    for (const t of group.tests) {
      const msg = hex(t.msg);
      const sig = hex(t.sig);
      const valid = t.result === 'valid';
      const label = `${file} tcId ${t.tcId} (${t.flags.join(',')})`;
      // Neither file has `acceptable` ECDSA cases; the count assertion below fails if one appears.
      expect(verifySignature(key, msg, sig, { format }), label).toBe(valid);
      expect(
        verifySignature(key, sha256(msg), sig, { format, prehashed: true }),
        `${label} prehashed`,
      ).toBe(valid);
      const parsed = tryParse(sig, format);
      if (valid) {
        expect(parsed, label).toBeDefined();
        expectFinishedStillValid(key, msg, parsed!.r, parsed!.s);
      } else if (parsed) {
        invalidButParsed++;
        expectConversionsStayInvalid(key, msg, parsed.r, parsed.s);
      }
      counts[t.result]++;
    }
  }
  return { counts, invalidButParsed };
}

function tryParse(sig: Buffer, format: SignatureFormat) {
  try {
    return parseSignature(sig, format);
  } catch {
    return undefined;
  }
}

describe('Wycheproof ECDSA P-256 / SHA-256', () => {
  it('DER signatures: valid verify, invalid do not, conversions preserve the verdict', () => {
    const { counts, invalidButParsed } = runEcdsaFile('ecdsa_secp256r1_sha256_test.json', 'der');
    expect(counts).toEqual({ valid: 174, invalid: 310, acceptable: 0 });
    // Invalid signatures that are strict DER with in-range r, s: wrong values, not bad encodings.
    // (Counted independently of our parser when the test was written.)
    expect(invalidButParsed).toBe(23);
  });

  it('P1363 signatures: valid verify, invalid do not, conversions preserve the verdict', () => {
    const { counts, invalidButParsed } = runEcdsaFile(
      'ecdsa_secp256r1_sha256_p1363_test.json',
      'p1363',
    );
    expect(counts).toEqual({ valid: 173, invalid: 89, acceptable: 0 });
    expect(invalidButParsed).toBe(18);
  });
});

/** Wycheproof private scalars may carry a leading 00 or be shorter than 32 bytes. */
function privateKeyFromHex(privateHex: string): KeyObject {
  const d = Buffer.from(
    BigInt('0x' + privateHex)
      .toString(16)
      .padStart(64, '0'),
    'hex',
  );
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(d);
  const pub = ecdh.getPublicKey();
  return createPrivateKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      d: d.toString('base64url'),
      x: pub.subarray(1, 33).toString('base64url'),
      y: pub.subarray(33).toString('base64url'),
    },
    format: 'jwk',
  });
}

function expectRejected(input: Buffer, label: string): void {
  let error: unknown;
  try {
    parsePeerPublicKey(input);
  } catch (e) {
    error = e;
  }
  expect(isKeystoreError(error, 'E_INVALID_ARGUMENT'), `${label}: ${String(error)}`).toBe(true);
}

function expectSharedSecret(t: EcdhVector, label: string): void {
  const peer = publicKeyObjectFromRaw(parsePeerPublicKey(hex(t.public)));
  const secret = diffieHellman({ privateKey: privateKeyFromHex(t.private), publicKey: peer });
  expect(secret.toString('hex'), label).toBe(t.shared);
}

function runEcdhFile(file: string) {
  const counts = tally();
  let acceptedAcceptable = 0;
  for (const group of loadVectors<{ tests: EcdhVector[] }>(file).testGroups) {
    for (const t of group.tests) {
      const label = `${file} tcId ${t.tcId} (${t.flags.join(',')})`;
      const accept = ecdhAccepted(t);
      if (accept) expectSharedSecret(t, label);
      else expectRejected(hex(t.public), label);
      if (t.result === 'acceptable' && accept) acceptedAcceptable++;
      counts[t.result]++;
    }
  }
  return { counts, acceptedAcceptable };
}

describe('Wycheproof ECDH P-256 peer public keys', () => {
  it('SPKI: invalid keys refused before use, valid keys give the expected secret', () => {
    const { counts, acceptedAcceptable } = runEcdhFile('ecdh_secp256r1_test.json');
    expect(counts).toEqual({ valid: 330, invalid: 52, acceptable: 230 });
    // Only the compressed-point case; the other 229 acceptable (lax ASN.1, unnamed curves) refused.
    expect(acceptedAcceptable).toBe(1);
  });

  it('raw EC points: invalid points refused before use, valid points give the expected secret', () => {
    const { counts, acceptedAcceptable } = runEcdhFile('ecdh_secp256r1_ecpoint_test.json');
    expect(counts).toEqual({ valid: 330, invalid: 24, acceptable: 1 });
    expect(acceptedAcceptable).toBe(1);
  });
});
