import type { JsonWebKey } from 'node:crypto';
import { invalidArgument } from '../../core/errors';
import { parsePeerPublicKey } from '../../crypto/p256';
import { readInput, writeOutput } from '../io';
import { type Command, withStore, str, encodingOf, keyFor } from '../command';

const PUBLIC_KEY_FORMATS =
  'a P-256 public key as PEM (SPKI), JWK JSON, binary SPKI DER, or a raw 65-byte uncompressed point';

/**
 * A public key file as PEM, JWK JSON, or binary SPKI DER / raw point, parsed and checked to be a
 * P-256 point; E_INVALID_ARGUMENT naming the file and the accepted formats otherwise.
 */
export async function readPublicKeyFile(file: string): Promise<Buffer> {
  const bytes = await readInput(file);
  const name = file === '-' ? 'standard input' : file;
  const text = bytes.toString('utf8');
  let input: string | Buffer | JsonWebKey = bytes;
  try {
    if (text.includes('-----BEGIN')) input = text;
    else if (text.trimStart().startsWith('{')) input = JSON.parse(text) as JsonWebKey;
    return parsePeerPublicKey(input, `the public key in ${name}`);
  } catch (err) {
    throw invalidArgument(
      `--public-key ${name} is not a usable public key (${(err as Error).message})`,
      `give ${PUBLIC_KEY_FORMATS}`,
    );
  }
}

export const publicKey: Command = {
  options: {
    key: { type: 'string' },
    format: { type: 'string' },
    out: { type: 'string' },
    encoding: { type: 'string' },
  },
  positionals: 0,
  run: (ctx) =>
    withStore(ctx, async (ks) => {
      // Check the arguments before touching the store, like sign and verify do.
      const format = str(ctx, 'format') ?? 'pem';
      if (!['pem', 'jwk', 'spki', 'raw'].includes(format)) {
        throw invalidArgument(`--format must be pem, jwk, spki or raw, not "${format}"`);
      }
      if (format === 'spki' || format === 'raw') encodingOf(ctx);
      const key = await keyFor(ks, ctx);
      if (format === 'pem') {
        const pem = key.exportPublicKey('pem');
        if (!ctx.json) await writeOutput(str(ctx, 'out'), pem);
        return { ok: true, json: { alias: key.alias, format, publicKey: pem } };
      }
      if (format === 'jwk') {
        const jwk = key.exportPublicKey('jwk');
        if (!ctx.json) await writeOutput(str(ctx, 'out'), JSON.stringify(jwk) + '\n');
        return { ok: true, json: { alias: key.alias, format, publicKey: jwk } };
      }
      if (format === 'spki' || format === 'raw') {
        const bytes = key.exportPublicKey(format);
        if (!ctx.json) {
          const encoding = encodingOf(ctx);
          await writeOutput(
            str(ctx, 'out'),
            encoding === 'base64' ? bytes.toString('base64') + '\n' : bytes,
          );
        }
        return {
          ok: true,
          json: { alias: key.alias, format, publicKey: bytes.toString('base64') },
        };
      }
      throw invalidArgument(`--format must be pem, jwk, spki or raw, not "${format}"`);
    }),
};
