import { Reader, TPM2_ALG } from '../crypto/tpm2-structures';
import { attestationInvalid, type AttestationCheck } from './errors';
import { tpmHash } from './kdf';

/**
 * TPMS_ATTEST (Part 2, §10.12.12) of type TPM_ST_ATTEST_CERTIFY, and TPMT_SIGNATURE (§11.3.4)
 * for ECDSA and RSASSA: read by a flat, bounded reader. Each TPM2B has the maximum size its
 * type allows, unions are read by their selector and an unknown selector is refused, nothing
 * may follow the structure. Every failure is E_ATTESTATION_INVALID naming the check.
 */

export const TPM_GENERATED_VALUE = 0xff544347;
export const TPM_ST_ATTEST_CERTIFY = 0x8017;
/** certInfo of TPM2_Certify is ~150 bytes; anything beyond this is not one. */
export const MAX_CERT_INFO_BYTES = 1024;
/** TPMT_SIGNATURE with an RSA-4096 signature is 518 bytes. */
export const MAX_SIGNATURE_BYTES = 1024;

export interface TpmsClockInfo {
  clock: bigint;
  resetCount: number;
  restartCount: number;
  safe: boolean;
}

export interface CertifyAttestation {
  magic: number;
  type: number;
  /** Qualified Name of the key that signed (the AK). */
  qualifiedSigner: Buffer;
  /** The qualifying data (the verifier's nonce). */
  extraData: Buffer;
  clockInfo: TpmsClockInfo;
  firmwareVersion: bigint;
  /** The Name of the certified object. */
  name: Buffer;
  qualifiedName: Buffer;
}

export type TpmSignature =
  | { sigAlg: typeof TPM2_ALG.ECDSA; hashAlg: number; r: Buffer; s: Buffer }
  | { sigAlg: 0x0014; hashAlg: number; sig: Buffer };

export const TPM2_ALG_RSASSA = 0x0014;

const hex = (n: number, w: number) => '0x' + n.toString(16).padStart(w, '0');

/** The shared TPM reader, failing with E_ATTESTATION_INVALID and this check. */
function readerFor(buf: Buffer, check: AttestationCheck, what: string): Reader {
  return new Reader(buf, what, (message) => attestationInvalid(check, message));
}

function bytesOf(input: unknown, check: AttestationCheck, what: string, max: number): Buffer {
  if (!(input instanceof Uint8Array)) throw attestationInvalid(check, `${what}: expected bytes`);
  if (input.length > max)
    throw attestationInvalid(check, `${what}: ${input.length} bytes (at most ${max})`);
  return Buffer.from(input.buffer, input.byteOffset, input.length);
}

/**
 * A TPM2B_NAME's body is either a handle (4 bytes) or a hash algorithm and its digest; for a
 * certified object it must be the latter.
 */
function readName(r: Reader, field: string): Buffer {
  const name = r.tpm2b(field, 2 + 64);
  if (name.length === 4) return name; // a handle: permanent objects have these
  const hash = name.length >= 2 ? tpmHash(name.readUInt16BE(0)) : undefined;
  if (!hash || name.length !== 2 + hash.size) {
    r.fail(`${field} is neither a handle nor a hash algorithm with its digest`);
  }
  return name;
}

export function parseCertifyAttestation(input: unknown): CertifyAttestation {
  const buf = bytesOf(input, 'certInfo', 'certInfo', MAX_CERT_INFO_BYTES);
  const r = readerFor(buf, 'certInfo', 'certInfo (TPMS_ATTEST)');
  const magic = r.u32('magic');
  if (magic !== TPM_GENERATED_VALUE) {
    throw attestationInvalid(
      'magic',
      `certInfo: magic is ${hex(magic, 8)}, not TPM_GENERATED_VALUE ${hex(TPM_GENERATED_VALUE, 8)}: the TPM did not make it`,
    );
  }
  const type = r.u16('type');
  if (type !== TPM_ST_ATTEST_CERTIFY) {
    throw attestationInvalid(
      'type',
      `certInfo: type is ${hex(type, 4)}, not TPM_ST_ATTEST_CERTIFY ${hex(TPM_ST_ATTEST_CERTIFY, 4)}`,
    );
  }
  const qualifiedSigner = readName(r, 'qualifiedSigner');
  const extraData = r.tpm2b('extraData', 64); // TPM2B_DATA holds at most sizeof(TPMT_HA)
  const clock = r.u64('clockInfo.clock');
  const resetCount = r.u32('clockInfo.resetCount');
  const restartCount = r.u32('clockInfo.restartCount');
  const safeByte = r.u8('clockInfo.safe');
  if (safeByte > 1) r.fail(`clockInfo.safe is ${safeByte}, not a TPMI_YES_NO`);
  const firmwareVersion = r.u64('firmwareVersion');
  const name = readName(r, 'attested.name');
  const qualifiedName = readName(r, 'attested.qualifiedName');
  r.end();
  return {
    magic,
    type,
    qualifiedSigner,
    extraData,
    clockInfo: { clock, resetCount, restartCount, safe: safeByte === 1 },
    firmwareVersion,
    name,
    qualifiedName,
  };
}

/** TPMT_SIGNATURE with an ECDSA or RSASSA signature; other schemes are refused. */
export function parseTpmSignature(input: unknown): TpmSignature {
  const buf = bytesOf(input, 'sig', 'sig', MAX_SIGNATURE_BYTES);
  const r = readerFor(buf, 'sig', 'sig (TPMT_SIGNATURE)');
  const sigAlg = r.u16('sigAlg');
  const hashAlg = r.u16('hash');
  if (!tpmHash(hashAlg)) r.fail(`hash ${hex(hashAlg, 4)} is not a known hash algorithm`);
  let out: TpmSignature | undefined;
  if (sigAlg === TPM2_ALG.ECDSA) {
    const rr = r.tpm2b('signatureR', 66);
    const ss = r.tpm2b('signatureS', 66);
    out = { sigAlg, hashAlg, r: rr, s: ss };
  } else if (sigAlg === TPM2_ALG_RSASSA) {
    out = { sigAlg, hashAlg, sig: r.tpm2b('sig', 512) };
  } else {
    r.fail(`signature algorithm ${hex(sigAlg, 4)} is neither ECDSA nor RSASSA`);
  }
  r.end();
  return out!;
}
