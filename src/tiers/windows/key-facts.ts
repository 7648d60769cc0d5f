import { KeystoreError } from '../../core/errors';
import { parsePeerPublicKey } from '../../crypto/p256';
import { type NcryptKeyReport } from '../../addon/windows';
import type { KeyUsage } from '../../core/records';

/**
 * What an NCrypt key's BCRYPT_ECCPUBLIC_BLOB says, read in TypeScript (native/windows/ passes
 * the blob and the provider's properties on as they are).
 *
 * The blob is a BCRYPT_ECCKEY_BLOB header (dwMagic, cbKey, little-endian 32-bit each) and then
 * X and Y. A P-256 key normally carries one of the two P-256 magics. Chromium's TPM path
 * (crypto/unexportable_key_win.cc, read, not run here) notes that NCrypt sometimes returns a
 * *generic* magic even for a P-256 key, and accepts BCRYPT_ECDSA/ECDH_PUBLIC_GENERIC_MAGIC once
 * NCRYPT_ECC_CURVE_NAME_PROPERTY says nistP256; so do we. Any other magic, size or curve is
 * refused, naming what the provider gave.
 */

export const ECC_MAGICS: Readonly<Record<number, string>> = {
  0x314b4345: 'BCRYPT_ECDH_PUBLIC_P256_MAGIC',
  0x31534345: 'BCRYPT_ECDSA_PUBLIC_P256_MAGIC',
  0x504b4345: 'BCRYPT_ECDH_PUBLIC_GENERIC_MAGIC',
  0x50444345: 'BCRYPT_ECDSA_PUBLIC_GENERIC_MAGIC',
};
const P256_MAGICS = new Set([0x314b4345, 0x31534345]);
const GENERIC_MAGICS = new Set([0x504b4345, 0x50444345]);
/** BCRYPT_ECC_CURVE_NISTP256, as NCRYPT_ECC_CURVE_NAME_PROPERTY reports it. */
export const NIST_P256 = 'nistP256';
const HEADER_BYTES = 8;
const COORD_BYTES = 32;

/** NCRYPT_KEY_USAGE_PROPERTY flags (ncrypt.h). */
export const NCRYPT_ALLOW_DECRYPT_FLAG = 0x1;
export const NCRYPT_ALLOW_SIGNING_FLAG = 0x2;
export const NCRYPT_ALLOW_KEY_AGREEMENT_FLAG = 0x4;
/** NCRYPT_PCP_KEY_USAGE_POLICY_PROPERTY flags (ncrypt.h). */
export const NCRYPT_PCP_SIGNATURE_KEY = 0x1;
export const NCRYPT_PCP_ENCRYPTION_KEY = 0x2;

/**
 * What a key's own usage properties say it is for: 'general' when any of them lets it decrypt
 * or agree, 'certify' when they let it sign and nothing else, undefined when the provider
 * reports neither (then only the record says). On the PCP these properties are the TPM
 * object's sign and decrypt attributes, which the TPM fixes at creation.
 */
export function usageOfKey(report: NcryptKeyReport): KeyUsage | undefined {
  const { usage, pcpUsagePolicy: policy } = report;
  const more = NCRYPT_ALLOW_DECRYPT_FLAG | NCRYPT_ALLOW_KEY_AGREEMENT_FLAG;
  if (
    (usage !== undefined && usage & more) ||
    (policy !== undefined && policy & NCRYPT_PCP_ENCRYPTION_KEY)
  ) {
    return 'general';
  }
  if (
    (usage !== undefined && usage & NCRYPT_ALLOW_SIGNING_FLAG) ||
    (policy !== undefined && policy & NCRYPT_PCP_SIGNATURE_KEY)
  ) {
    return 'certify';
  }
  return undefined;
}

/** What the addon reports about a key besides its handle (native/windows/win_ncrypt.h NewKey). */

/** The report's facts in words, for doctor and scripts/windows/pcp-report.cjs. */
export interface NcryptKeyFacts {
  /** e.g. "BCRYPT_ECDSA_PUBLIC_GENERIC_MAGIC (0x50444345)". */
  magic: string;
  curveName: string | null;
  algorithm: string | null;
  usage: number | null;
}

const hex = (n: number) => `0x${(n >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;

function magicName(magic: number): string {
  return `${ECC_MAGICS[magic] ?? 'an unknown magic'} (${hex(magic)})`;
}

export function keyFacts(report: NcryptKeyReport): NcryptKeyFacts {
  const blob = report.publicBlob;
  return {
    magic: blob.length >= HEADER_BYTES ? magicName(blob.readUInt32LE(0)) : 'none (short blob)',
    curveName: report.curveName ?? null,
    algorithm: report.algorithm ?? null,
    usage: report.usage ?? null,
  };
}

function refused(what: string): KeystoreError {
  return new KeystoreError(
    'E_WINDOWS',
    `the provider's public key blob is not a P-256 point: ${what}`,
    {
      hint: 'the provider made or returned a key device-keystore cannot use; run device-keystore doctor and report its output',
    },
  );
}

/** The 65-byte uncompressed point of a key the provider reported, or E_WINDOWS saying why not. */
export function publicPointOf(report: NcryptKeyReport): Buffer {
  const blob = report.publicBlob;
  if (!Buffer.isBuffer(blob) || blob.length < HEADER_BYTES) {
    throw refused(`it is ${Buffer.isBuffer(blob) ? blob.length : 0} bytes`);
  }
  const magic = blob.readUInt32LE(0);
  const cbKey = blob.readUInt32LE(4);
  if (GENERIC_MAGICS.has(magic)) {
    if (report.curveName !== NIST_P256) {
      throw refused(
        `it has ${magicName(magic)} and the key's curve is ${report.curveName === undefined ? 'not reported' : JSON.stringify(report.curveName)}, not ${NIST_P256}`,
      );
    }
  } else if (!P256_MAGICS.has(magic)) {
    throw refused(`it has ${magicName(magic)}`);
  }
  if (cbKey !== COORD_BYTES || blob.length !== HEADER_BYTES + 2 * COORD_BYTES) {
    throw refused(`cbKey is ${cbKey} and the blob ${blob.length} bytes (P-256: 32 and 72)`);
  }
  const point = Buffer.concat([Buffer.from([0x04]), blob.subarray(HEADER_BYTES)]);
  try {
    return parsePeerPublicKey(point, "the provider's public key");
  } catch {
    throw refused('its X, Y are not a point on P-256');
  }
}

/** A BCRYPT_ECCPUBLIC_BLOB for a 65-byte point, with the given magic (tests, scripted providers). */
export function eccPublicBlob(point: Buffer, magic = 0x314b4345): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt32LE(magic, 0);
  header.writeUInt32LE(COORD_BYTES, 4);
  return Buffer.concat([header, point.subarray(1)]);
}
