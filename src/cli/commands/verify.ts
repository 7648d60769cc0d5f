import { invalidArgument } from '../../core/errors';
import { verify } from '../../verify';
import { parseSignature } from '../../crypto/ecdsa';
import { decodeText, readInput } from '../io';
import { type Command, formatOf, encodingOf, str, withStore, keyFor } from '../command';
import { readPublicKeyFile } from './public-key';

export const verifyCommand: Command = {
  options: {
    key: { type: 'string' },
    'public-key': { type: 'string' },
    in: { type: 'string' },
    signature: { type: 'string' },
    format: { type: 'string' },
    encoding: { type: 'string' },
    prehashed: { type: 'boolean' },
  },
  positionals: 0,
  async run(ctx) {
    const format = formatOf(ctx);
    const encoding = encodingOf(ctx);
    const sigFile = str(ctx, 'signature');
    if (sigFile === undefined) throw invalidArgument('verify needs --signature <file>');
    if (sigFile === '-' && (str(ctx, 'in') ?? '-') === '-') {
      throw invalidArgument('the signature and the data cannot both come from standard input');
    }
    const sigName = sigFile === '-' ? 'standard input' : sigFile;
    const signature = decodeText(await readInput(sigFile), encoding, `the signature in ${sigName}`);
    // Bytes that are no signature at all are a usage error (exit 2), not "signature INVALID".
    try {
      parseSignature(signature, format);
    } catch (err) {
      throw invalidArgument(
        `${sigName} does not hold a ${format === 'der' ? 'DER' : 'P1363 (r‖s, 64-byte)'} ECDSA P-256 signature: ${(err as Error).message}`,
        'check --format (der or p1363) and --encoding (base64 or binary) against how it was signed',
      );
    }
    const pubFile = str(ctx, 'public-key');
    const publicKey = pubFile === undefined ? undefined : await readPublicKeyFile(pubFile);
    const data = await readInput(str(ctx, 'in'));
    const prehashed = ctx.values.prehashed === true;
    let valid: boolean;
    let against: string;
    if (pubFile !== undefined && publicKey !== undefined) {
      valid = verify(publicKey, data, signature, { format, prehashed });
      against = pubFile;
    } else {
      ({ valid, against } = await withStore(ctx, async (ks) => {
        const key = await keyFor(ks, ctx);
        return {
          valid: key.verify(data, signature, { format, prehashed }),
          against: `key "${key.alias}"`,
        };
      }));
    }
    return {
      ok: valid,
      json: { valid },
      text: valid ? `signature OK (${against})\n` : `signature INVALID (${against})\n`,
    };
  },
};
