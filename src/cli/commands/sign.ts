import { readInput, readPin, writeOutput } from '../io';
import { type Command, withStore, formatOf, encodingOf, keyFor, str } from '../command';

export const sign: Command = {
  options: {
    key: { type: 'string' },
    in: { type: 'string' },
    out: { type: 'string' },
    format: { type: 'string' },
    encoding: { type: 'string' },
    prehashed: { type: 'boolean' },
    // Names the key's certifying key, which refuses (E_KEY_USAGE): it signs only certificates.
    certifying: { type: 'boolean' },
    pin: { type: 'boolean' },
    'pin-file': { type: 'string' },
  },
  positionals: 0,
  run: (ctx) =>
    withStore(ctx, async (ks) => {
      const format = formatOf(ctx);
      const encoding = encodingOf(ctx);
      const named = await keyFor(ks, ctx);
      const key = ctx.values.certifying === true ? await named.certifyingKey() : named;
      // Standard input may be the data: the PIN comes from a file or a prompt only.
      const pin = await readPin({
        ...(str(ctx, 'pin-file') !== undefined ? { file: str(ctx, 'pin-file') } : {}),
        stdin: false,
        prompt: ctx.values.pin === true,
        again: false,
      });
      const data = await readInput(str(ctx, 'in'));
      const signature = await key
        .sign(data, { format, prehashed: ctx.values.prehashed === true, ...(pin ? { pin } : {}) })
        .finally(() => pin?.fill(0));
      const b64 = signature.toString('base64');
      // With --json the signature is in the JSON; a file is still written when --out names one.
      if (!ctx.json || str(ctx, 'out') !== undefined) {
        await writeOutput(str(ctx, 'out'), encoding === 'base64' ? b64 + '\n' : signature);
      }
      return { ok: true, json: { alias: key.alias, format, signature: b64 } };
    }),
};
