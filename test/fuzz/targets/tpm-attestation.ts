/**
 * The TPM key attestation statement: decodeTpmStatement (CBOR via the `cbor` package, or JSON), the
 * TPMS_ATTEST, TPMT_SIGNATURE and TPMT_PUBLIC parsers, and verifyKeyAttestation behind them.
 *
 * An input is one tag byte (0 = CBOR bytes, 1 = JSON text) and the statement. The corpus holds
 * real swtpm statements (tpm2_certify by an AK under an EK with a certificate). Mutations work on
 * the fields (bytes of certInfo, pubArea, sig, or a whole field swapped) and often sign certInfo
 * again with the fuzzers' fixed key, which then stands in for the AK: so inputs get past the
 * signature check and reach the nonce, Name, attribute, curve and point checks.
 */
import { sign } from 'node:crypto';
import {
  decodeTpmStatement,
  encodeTpmStatement,
  verifyKeyAttestation,
  type TpmAttestationStatement,
} from '../../../src/attestation/index';
import { TPMA_OBJECT } from '../../../src/crypto/tpm2-structures';
import {
  FuzzFailure,
  corpusFiles,
  mutateBytes,
  typedOutcome,
  type Rng,
  type Target,
} from '../engine';
import { signingKey } from './seeds';

export const ATTESTATION_NONCE = Buffer.from('00ff55aa', 'hex'); // what tpm2_certify 5.4 passes

/** A TPMT_SIGNATURE (ECDSA, SHA-256) over certInfo by the fuzzers' key. */
function signCertInfo(certInfo: Buffer): Buffer {
  const p1363 = sign('sha256', certInfo, {
    key: signingKey().privateKey,
    dsaEncoding: 'ieee-p1363',
  });
  const tpm2b = (b: Buffer) => Buffer.concat([Buffer.of(b.length >> 8, b.length & 0xff), b]);
  return Buffer.concat([
    Buffer.from('0018000b', 'hex'),
    tpm2b(p1363.subarray(0, 32)),
    tpm2b(p1363.subarray(32)),
  ]);
}

function decode(input: Buffer): unknown {
  if (input.length === 0) return input;
  return input[0] === 1 ? input.subarray(1).toString('utf8') : input.subarray(1);
}

function encode(s: TpmAttestationStatement, json: boolean): Buffer {
  const body = encodeTpmStatement(s, json ? 'json' : 'cbor');
  return Buffer.concat([Buffer.of(json ? 1 : 0), Buffer.from(body)]);
}

const FIELDS = ['certInfo', 'pubArea', 'sig'] as const;

function mutate(input: Buffer, rng: Rng, pool: readonly Buffer[]): Buffer | undefined {
  if (rng.chance(0.2)) return undefined; // byte mutations of the encoding itself
  const parsed = typedOutcome(() => decodeTpmStatement(decode(input)));
  if (!parsed.ok) return undefined;
  const s = parsed.value;
  const att = { ...s.attStmt };
  const field = rng.pick(FIELDS);
  if (rng.chance(0.3) && pool.length > 0) {
    const other = typedOutcome(() => decodeTpmStatement(decode(rng.pick(pool))));
    if (other.ok) att[field] = other.value.attStmt[field];
  } else {
    att[field] = mutateBytes(att[field], rng, pool);
  }
  if (rng.chance(0.7)) att.sig = signCertInfo(att.certInfo);
  const out = { fmt: 'tpm' as const, attStmt: att };
  return typedOutcome(() => encode(out, rng.chance(0.3))).ok
    ? encode(out, rng.chance(0.3))
    : undefined;
}

/** The oracle for one input. */
export function checkAttestation(input: Buffer): string {
  const decoded = typedOutcome(() => decodeTpmStatement(decode(input)));
  if (!decoded.ok) return decoded.label;
  // An accepted statement encodes back, both ways, to one that decodes to the same fields.
  for (const json of [false, true]) {
    const again = typedOutcome(() => decodeTpmStatement(decode(encode(decoded.value, json))));
    if (!again.ok || JSON.stringify(again.value) !== JSON.stringify(decoded.value)) {
      throw new FuzzFailure(
        `an accepted statement does not round-trip through ${json ? 'JSON' : 'CBOR'}`,
        input,
      );
    }
  }
  const verified = typedOutcome(() =>
    verifyKeyAttestation(decoded.value, {
      nonce: ATTESTATION_NONCE,
      akPublic: signingKey().publicKey,
    }),
  );
  if (!verified.ok) return verified.label;
  const v = verified.value;
  const must =
    TPMA_OBJECT.fixedTPM |
    TPMA_OBJECT.fixedParent |
    TPMA_OBJECT.sensitiveDataOrigin |
    TPMA_OBJECT.sign;
  if ((v.objectAttributes & must) !== must || v.objectAttributes & TPMA_OBJECT.restricted) {
    throw new FuzzFailure('a statement with the wrong attributes was accepted', input);
  }
  if (v.publicKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new FuzzFailure('an accepted statement yields a key that is not P-256', input);
  }
  return 'accepted';
}

/** The committed swtpm statements, signed again by the fuzzers' key: the accepting path. */
function reSignedSeeds(): Buffer[] {
  return corpusFiles('tpm-attestation')
    .filter((c) => c.file.includes('seed-'))
    .flatMap(({ bytes }) => {
      const s = typedOutcome(() => decodeTpmStatement(decode(bytes)));
      if (!s.ok) return [];
      const att = { ...s.value.attStmt, sig: signCertInfo(s.value.attStmt.certInfo) };
      return [encode({ fmt: 'tpm', attStmt: att }, false)];
    });
}

export const tpmAttestationTarget: Target = {
  name: 'tpm-attestation',
  seeds: reSignedSeeds,
  mutate,
  check: (inputs) => inputs.map(checkAttestation),
};
