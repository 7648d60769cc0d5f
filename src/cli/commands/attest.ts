import { readInput, readPin, writeOutput } from '../io';
import { keyByAlias, lines, str, withStore, type Command } from '../command';
import { nonceOption, statementFormat } from './attestation-input';
import { choiceOf } from '../command';

export const attest: Command = {
  // Not ALIAS_OPTIONS: commands.ts imports this module while it loads, so its constants are not
  // there yet (its functions are, by the time a command runs).
  options: {
    alias: { type: 'string' },
    key: { type: 'string' },
    nonce: { type: 'string' },
    'nonce-file': { type: 'string' },
    format: { type: 'string' },
    out: { type: 'string' },
    'ak-out': { type: 'string' },
    'ek-out': { type: 'string' },
    x5c: { type: 'string' },
    'ak-algorithm': { type: 'string' },
    pin: { type: 'boolean' },
    'pin-file': { type: 'string' },
  },
  positionals: 0,
  async run(ctx) {
    const nonce = await nonceOption(ctx);
    const format = statementFormat(ctx);
    const akAlgorithm = choiceOf(
      ctx,
      'ak-algorithm',
      ['ecc-p256', 'rsa-2048'] as const,
      'ecc-p256',
    );
    const x5cFile = str(ctx, 'x5c');
    const x5c = x5cFile === undefined ? undefined : pemCertificates(await readInput(x5cFile));
    return withStore(ctx, async (ks) => {
      const key = await keyByAlias(ks, ctx);
      const pin = await readPin({
        ...(str(ctx, 'pin-file') !== undefined ? { file: str(ctx, 'pin-file') } : {}),
        stdin: false,
        prompt: ctx.values.pin === true,
        again: false,
      });
      const att = await key
        .attest({
          nonce,
          ...(pin ? { pin } : {}),
          ...(x5c ? { x5c } : {}),
          ak: akAlgorithm,
        })
        .finally(() => pin?.fill(0));
      const encoded = att.encode(format);
      const out = str(ctx, 'out');
      if (!ctx.json || out !== undefined) await writeOutput(out, encoded);
      const akOut = str(ctx, 'ak-out');
      if (akOut !== undefined) await writeOutput(akOut, att.akPublicArea);
      const ekOut = str(ctx, 'ek-out');
      if (ekOut !== undefined) await writeOutput(ekOut, att.ekCertificates.join(''));
      return {
        ok: true,
        json: {
          alias: key.alias,
          format,
          statement: typeof encoded === 'string' ? JSON.parse(encoded) : encoded.toString('base64'),
          nonce: nonce.toString('hex'),
          akPublic: att.akPublic,
          akPublicArea: att.akPublicArea.toString('base64'),
          akName: att.akName.toString('hex'),
          ekCertificates: att.ekCertificates,
        },
        // The statement went to stdout when there is no --out: nothing else may follow it.
        ...(out === undefined
          ? { text: '' }
          : {
              text: lines(
                `wrote a ${format} TPM attestation of key "${key.alias}" to ${out}`,
                `  AK Name: ${att.akName.toString('hex')}`,
                `  EK certificates: ${att.ekCertificates.length || 'none in the TPM'}`,
              ),
            }),
      };
    });
  },
};

function pemCertificates(bytes: Buffer): Buffer[] {
  const blocks = bytes
    .toString('utf8')
    .match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g);
  if (!blocks) return [bytes]; // one DER certificate
  return blocks.map((b) => Buffer.from(b.replace(/-----[^-]+-----|\s/g, ''), 'base64'));
}

export const ATTEST_HELP = `device-keystore attest [--alias <alias>] --nonce <hex> | --nonce-file <file>
                       [--format cbor|json] [--out <file>] [--ak-out <file>] [--ek-out <file>]
                       [--x5c <file>] [--ak-algorithm ecc-p256|rsa-2048]
                       [--pin | --pin-file <file>] [--json]
  TPM2_Certify of the key (default: the identity key) by the store's attestation key, the
  server's nonce (1-64 bytes) as qualifying data: the WebAuthn/ACME "tpm" statement, as CBOR
  (default, binary) or JSON (base64url fields), to --out or stdout. --ak-out: the AK's public
  area (TPM2B_PUBLIC), what verify-attestation --ak takes. --ek-out: the EK certificate chain
  (PEM). --x5c: your AK certificate chain (PEM or DER) to put in the statement.
  --ak-algorithm rsa-2048: the store's RSA AK (step-ca and go-attestation take only RSA AKs).
  tpm2 keys only.
`;
