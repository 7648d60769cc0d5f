import { readInput, writeOutput } from '../io';
import {
  type Command,
  withStore,
  formatOf,
  encodingOf,
  keyFor,
  str,
  keyPin,
  PIN_OPTIONS,
} from '../command';

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
    // Standard input may be the data: the PIN comes from a file or a prompt only.
    pin: PIN_OPTIONS.pin,
    'pin-file': PIN_OPTIONS['pin-file'],
  },
  positionals: 0,
  run: (ctx) =>
    withStore(ctx, async (ks) => {
      const format = formatOf(ctx);
      const encoding = encodingOf(ctx);
      const named = await keyFor(ks, ctx);
      const pin = await keyPin(ctx);
      let signature: Buffer;
      try {
        // A PIN key's certifying key is made with its PIN on first use, so it takes the PIN too.
        const key =
          ctx.values.certifying === true ? await named.certifyingKey(pin ? { pin } : {}) : named;
        const data = await readInput(str(ctx, 'in'));
        const prehashed = ctx.values.prehashed === true;
        signature = await key.sign(data, { format, prehashed, ...(pin ? { pin } : {}) });
      } finally {
        pin?.fill(0);
      }
      const b64 = signature.toString('base64');
      // With --json the signature is in the JSON; a file is still written when --out names one.
      if (!ctx.json || str(ctx, 'out') !== undefined) {
        await writeOutput(str(ctx, 'out'), encoding === 'base64' ? b64 + '\n' : signature);
      }
      return { ok: true, json: { alias: named.alias, format, signature: b64 } };
    }),
};
