import { invalidArgument } from '../../core/errors';
import { readInput } from '../io';
import { choiceOf, str, type CommandContext } from '../command';

/** --nonce HEX or --nonce-file F (raw bytes): 1 to 64 bytes, exactly one of the two. */
export async function nonceOption(ctx: CommandContext): Promise<Buffer> {
  const hex = str(ctx, 'nonce');
  const file = str(ctx, 'nonce-file');
  if ((hex === undefined) === (file === undefined)) {
    throw invalidArgument('give the nonce once: --nonce <hex> or --nonce-file <file>');
  }
  const nonce =
    hex !== undefined
      ? /^(?:[0-9a-fA-F]{2}){1,64}$/.test(hex)
        ? Buffer.from(hex, 'hex')
        : undefined
      : await readInput(file);
  if (!nonce || nonce.length < 1 || nonce.length > 64) {
    throw invalidArgument(
      hex !== undefined
        ? `--nonce must be 1 to 64 bytes in hex (2 to 128 hex digits), not "${hex}"`
        : `${file} must hold the nonce as 1 to 64 raw bytes`,
      'step-ca device-attest-01: the nonce is SHA-256 of the key authorization',
    );
  }
  return nonce;
}

export function statementFormat(ctx: CommandContext): 'cbor' | 'json' {
  return choiceOf(ctx, 'format', ['cbor', 'json'] as const, 'cbor');
}

/** A statement file: JSON text (it starts with "{") or CBOR bytes. */
export function statementInput(bytes: Buffer): Buffer | string {
  const text = bytes.toString('utf8').trimStart();
  return text.startsWith('{') ? text : bytes;
}
