import { invalidArgument } from '../../core/errors';
import { verifyKeyAttestation } from '../../attestation/verify-attestation';
import { readInput } from '../io';
import { lines, str, type Command } from '../command';
import { nonceOption, statementInput } from './attestation-input';

/** A PEM file's text, or a DER/binary file's bytes. */
async function pemOrBytes(file: string): Promise<string | Buffer> {
  const bytes = await readInput(file);
  const text = bytes.toString('utf8');
  return text.includes('-----BEGIN ') ? text : bytes;
}

export const verifyAttestation: Command = {
  options: {
    statement: { type: 'string' },
    nonce: { type: 'string' },
    'nonce-file': { type: 'string' },
    ak: { type: 'string' },
    'ak-name': { type: 'string' },
    'public-key': { type: 'string' },
    'ek-cert': { type: 'string' },
    'ek-intermediates': { type: 'string' },
    'ek-roots': { type: 'string' },
  },
  positionals: 0,
  async run(ctx) {
    const statementFile = str(ctx, 'statement');
    const akFile = str(ctx, 'ak');
    if (statementFile === undefined)
      throw invalidArgument('verify-attestation needs --statement <file>');
    if (akFile === undefined) throw invalidArgument('verify-attestation needs --ak <file>');
    const nonce = await nonceOption(ctx);
    const statement = statementInput(await readInput(statementFile));
    const akName = str(ctx, 'ak-name');
    if (akName !== undefined && !/^(?:[0-9a-fA-F]{2}){2,66}$/.test(akName)) {
      throw invalidArgument(
        '--ak-name is the AK Name in hex (000b then 64 hex digits for SHA-256)',
      );
    }
    const roots = str(ctx, 'ek-roots');
    const ekCert = str(ctx, 'ek-cert');
    if ((roots === undefined) !== (ekCert === undefined)) {
      throw invalidArgument(
        '--ek-cert and --ek-roots go together: the EK chain is checked to the roots',
      );
    }
    const intermediates = str(ctx, 'ek-intermediates');
    const publicKey = str(ctx, 'public-key');
    const v = verifyKeyAttestation(statement, {
      nonce,
      akPublic: await pemOrBytes(akFile),
      ...(akName !== undefined ? { akName: Buffer.from(akName, 'hex') } : {}),
      ...(publicKey !== undefined ? { publicKey: await pemOrBytes(publicKey) } : {}),
      ...(ekCert !== undefined ? { ekCertificate: await pemOrBytes(ekCert) } : {}),
      ...(roots !== undefined ? { ekRoots: [await pemOrBytes(roots)] } : {}),
      ...(intermediates !== undefined
        ? { ekIntermediates: [await pemOrBytes(intermediates)] }
        : {}),
    });
    const tpm = v.endorsement
      ? [v.endorsement.manufacturer, v.endorsement.model, v.endorsement.version]
          .filter(Boolean)
          .join(' ')
      : undefined;
    return {
      ok: true,
      json: {
        valid: true,
        publicKey: v.publicKey.export({ format: 'pem', type: 'spki' }),
        name: v.name.toString('hex'),
        ...(v.akName ? { akName: v.akName.toString('hex') } : {}),
        ...(v.endorsement
          ? {
              ek: {
                manufacturer: v.endorsement.manufacturer ?? null,
                model: v.endorsement.model ?? null,
                version: v.endorsement.version ?? null,
              },
            }
          : {}),
        proves: v.proves,
      },
      text: lines(
        `attestation OK: key ${v.name.toString('hex')}${tpm ? ` in a TPM (${tpm})` : ''}`,
        ...v.proves.map((p) => `  - ${p}`),
      ),
    };
  },
};

export const VERIFY_ATTESTATION_HELP = `device-keystore verify-attestation --statement <file> --nonce <hex> | --nonce-file <file>
                                   --ak <file> [--ak-name <hex>] [--public-key <file>]
                                   [--ek-cert <file> --ek-roots <file> [--ek-intermediates <file>]] [--json]
  The server's check of a key attestation (no store needed): the statement (CBOR or JSON) must
  carry the nonce, be signed by the AK (--ak: its public area, TPM2B_PUBLIC as attest --ak-out
  writes it, or its SPKI PEM; --ak-name: the Name enrollment activated), certify a P-256 key made
  in the TPM that cannot leave it (--public-key: exactly this key), and with --ek-cert/--ek-roots
  the EK certificate must validate to the roots. Exit 0 when it verifies; 1 when refused, with
  the failed check named (E_ATTESTATION_INVALID).
`;
