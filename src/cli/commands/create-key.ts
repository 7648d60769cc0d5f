import { invalidArgument } from '../../core/errors';
import { readPin } from '../io';
import { type Command, withStore, str } from '../command';

export const createKey: Command = {
  options: {
    pin: { type: 'boolean' },
    'pin-file': { type: 'string' },
    'pin-stdin': { type: 'boolean' },
  },
  positionals: 1,
  run: (ctx) =>
    withStore(ctx, async (ks) => {
      const alias = ctx.positionals[0];
      if (alias === undefined) throw invalidArgument('create-key needs an alias');
      const pin = await readPin({
        again: true,
        ...(str(ctx, 'pin-file') !== undefined ? { file: str(ctx, 'pin-file') } : {}),
        stdin: ctx.values['pin-stdin'] === true,
        prompt: ctx.values.pin === true,
      });
      const key = await ks.createKey(alias, pin ? { pin } : {}).finally(() => pin?.fill(0));
      return {
        ok: true,
        json: { key: key.toJSON() },
        text: `created key "${alias}" in the ${key.tier} tier\n`,
      };
    }),
};
