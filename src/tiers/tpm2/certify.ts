import { invalidArgument } from '../../core/errors';
import type { NativeTpmConnection, TpmKeyArgs } from '../../addon/load';
import {
  buildTpmStatement,
  encodeTpmStatement,
  type StatementEncoding,
  type TpmAttestationStatement,
} from '../../attestation/statement';
import type { LoadedAttestationKey } from './attestation-key';

/** What key.attest() returns: the statement and what a server needs to check it. */
export interface KeyAttestation {
  /** The WebAuthn / ACME `tpm` statement: { fmt: 'tpm', attStmt: { ver, alg, sig, certInfo, pubArea } }. */
  statement: TpmAttestationStatement;
  /** The nonce the TPM signed in (certInfo's extraData). */
  nonce: Buffer;
  /** The AK: SPKI PEM, its TPM2B_PUBLIC and its Name (what enrollment activated). */
  akPublic: string;
  akPublicArea: Buffer;
  akName: Buffer;
  /** The EK certificate then the chain the TPM stores, PEM; empty when the TPM holds none. */
  ekCertificates: string[];
  /** The statement as CBOR (Buffer) or JSON (string, binary fields base64url). */
  encode(format?: StatementEncoding): Buffer | string;
}

/** The nonce as bytes: 1 to 64 of them (a TPM2B_DATA of a SHA-512 TPM). */
export function nonceBytes(nonce: unknown): Buffer {
  if (!(nonce instanceof Uint8Array)) {
    throw invalidArgument('nonce must be a Buffer or Uint8Array', 'pass the bytes the server sent');
  }
  if (nonce.length < 1 || nonce.length > 64) {
    throw invalidArgument(
      `the nonce must be 1 to 64 bytes, not ${nonce.length}`,
      "a server's nonce is usually 32 bytes (step-ca: SHA-256 of the key authorization)",
    );
  }
  return Buffer.from(nonce);
}

/**
 * TPM2_Certify of `key` by the AK, `nonce` as qualifying data: the TPM signs, with the AK, that
 * an object with this Name is loaded in it. pubArea is the key's TPMT_PUBLIC as stored.
 */
export async function certifyKey(
  conn: NativeTpmConnection,
  key: TpmKeyArgs,
  pin: Buffer | undefined,
  ak: LoadedAttestationKey,
  nonce: Buffer,
  ekCertificates: string[],
): Promise<KeyAttestation> {
  const { certInfo, signature } = await conn.certify(
    ...key,
    ak.parent,
    ak.publicArea,
    ak.privateBlob,
    nonce,
    pin,
  );
  const statement = buildTpmStatement({ certInfo, sig: signature, pubArea: key[1].subarray(2) });
  return {
    statement,
    nonce,
    akPublic: ak.publicKey,
    akPublicArea: ak.publicArea,
    akName: ak.name,
    ekCertificates,
    encode: (format = 'cbor') => encodeTpmStatement(statement, format),
  };
}
