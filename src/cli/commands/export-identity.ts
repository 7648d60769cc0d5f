import { writeOutput } from '../io';
import { type Command, withStore, str } from '../command';

export const exportIdentity: Command = {
  options: { out: { type: 'string' } },
  positionals: 0,
  run: (ctx) =>
    withStore(ctx, async (ks) => {
      const identity = await ks.exportIdentity();
      if (!ctx.json) await writeOutput(str(ctx, 'out'), JSON.stringify(identity, null, 2) + '\n');
      return { ok: true, json: { identity } };
    }),
};
