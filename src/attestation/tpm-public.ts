import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { isKeystoreError } from '../core/errors';
import {
  TPM2_ALG,
  parseTpmtPublic,
  unwrapTpm2b,
  type Tpm2EccPublic,
  type Tpm2RsaPublic,
} from '../crypto/tpm2-structures';
import { attestationInvalid, type AttestationCheck } from './errors';
import { tpmHash } from './kdf';

export type TpmPublic = Tpm2EccPublic | Tpm2RsaPublic;

/** TPM_ECC_CURVE → node's curve name and coordinate size. */
const CURVES: ReadonlyMap<number, { jwk: string; size: number }> = new Map([
  [0x0003, { jwk: 'P-256', size: 32 }],
  [0x0004, { jwk: 'P-384', size: 48 }],
  [0x0005, { jwk: 'P-521', size: 66 }],
]);

export function curveOf(curveId: number): { jwk: string; size: number } | undefined {
  return CURVES.get(curveId);
}

/**
 * Reads a TPM public area given as TPMT_PUBLIC or as TPM2B_PUBLIC (what tpm2_readpublic and
 * tpm2_createak write): a leading size that accounts for every other byte is taken as a TPM2B.
 * A parse failure is E_ATTESTATION_INVALID with `check` set to `check`.
 */
export function readTpmPublic(bytes: Uint8Array, check: AttestationCheck, what: string): TpmPublic {
  if (!(bytes instanceof Uint8Array)) throw attestationInvalid(check, `${what}: expected bytes`);
  let body: Uint8Array = bytes;
  if (bytes.length >= 2 && ((bytes[0]! << 8) | bytes[1]!) === bytes.length - 2) {
    // TPMT_PUBLIC starts with its type (0x0001 or 0x0023), never a size equal to the rest.
    body = unwrapTpm2b(bytes);
  }
  try {
    return parseTpmtPublic(body);
  } catch (err) {
    if (isKeystoreError(err)) throw attestationInvalid(check, `${what}: ${err.message}`);
    throw err;
  }
}

/** The object's Name: nameAlg ‖ H_nameAlg(TPMT_PUBLIC) (Part 1, §16). */
export function nameOf(pub: TpmPublic, check: AttestationCheck, what: string): Buffer {
  const hash = tpmHash(pub.nameAlg);
  if (!hash) {
    throw attestationInvalid(check, `${what}: nameAlg 0x${pub.nameAlg.toString(16)} is unknown`);
  }
  const alg = Buffer.alloc(2);
  alg.writeUInt16BE(pub.nameAlg);
  return Buffer.concat([alg, createHash(hash.name).update(pub.raw).digest()]);
}

function b64u(b: Buffer): string {
  return b.toString('base64url');
}

/** Left-pads an ECC coordinate to the curve's size; longer is refused. */
export function padCoordinate(c: Buffer, size: number): Buffer | undefined {
  if (c.length === 0 || c.length > size) return undefined;
  return Buffer.concat([Buffer.alloc(size - c.length), c]);
}

/**
 * The public key of an ECC (P-256, P-384, P-521) or RSA public area as a node KeyObject. Through
 * JWK, whose coordinates node checks against the curve, so a point off the curve is refused
 * before anything reads the key (DESIGN §8: some malformed keys abort node when inspected).
 */
export function keyObjectOf(pub: TpmPublic, check: AttestationCheck, what: string): KeyObject {
  try {
    if (pub.type === TPM2_ALG.RSA) {
      if (pub.modulus.length === 0) throw new Error('the modulus is empty (a template?)');
      if (pub.modulus.length * 8 !== pub.keyBits)
        throw new Error(
          `the modulus is ${pub.modulus.length * 8} bits, keyBits says ${pub.keyBits}`,
        );
      const e = Buffer.alloc(4);
      e.writeUInt32BE(pub.exponent === 0 ? 65537 : pub.exponent);
      const exp = e.subarray(e.findIndex((x) => x !== 0));
      return createPublicKey({
        key: { kty: 'RSA', n: b64u(pub.modulus), e: b64u(exp) },
        format: 'jwk',
      });
    }
    const curve = curveOf(pub.curveId);
    if (!curve) throw new Error(`curve 0x${pub.curveId.toString(16)} is not a NIST curve`);
    const x = padCoordinate(pub.x, curve.size);
    const y = padCoordinate(pub.y, curve.size);
    if (!x || !y) throw new Error('the public point is empty or longer than the curve');
    return createPublicKey({
      key: { kty: 'EC', crv: curve.jwk, x: b64u(x), y: b64u(y) },
      format: 'jwk',
    });
  } catch (err) {
    throw attestationInvalid(check, `${what}: ${(err as Error).message}`);
  }
}
