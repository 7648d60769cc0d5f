import { invalidArgument } from '../../core/errors';
import { type Command, withStore } from '../command';

export const del: Command = {
  options: {},
  positionals: 1,
  run: (ctx) =>
    withStore(ctx, async (ks) => {
      const alias = ctx.positionals[0];
      if (alias === undefined) throw invalidArgument('delete needs an alias');
      await ks.deleteKey(alias);
      return { ok: true, json: { deleted: alias }, text: `deleted key "${alias}"\n` };
    }),
};
