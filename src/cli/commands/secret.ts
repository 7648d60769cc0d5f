import { invalidArgument } from '../../core/errors';
import { readStdin, writeOutput } from '../io';
import { type Command, withStore, str } from '../command';

export const secret: Command = {
  options: { out: { type: 'string' } },
  positionals: 2,
  run: (ctx) =>
    withStore(ctx, async (ks) => {
      const [action, name] = ctx.positionals;
      const needName = () => {
        if (name === undefined) throw invalidArgument(`secret ${action} needs a name`);
        return name;
      };
      switch (action) {
        case 'set': {
          const value = await readStdin();
          await ks.secrets.set(needName(), value);
          value.fill(0);
          return { ok: true, json: { set: name }, text: `sealed secret "${name}"\n` };
        }
        case 'get': {
          const value = await ks.secrets.get(needName());
          if (!ctx.json) await writeOutput(str(ctx, 'out'), value, 0o600);
          return { ok: true, json: { name, value: value.toString('base64') } };
        }
        case 'list': {
          const names = await ks.secrets.list();
          return {
            ok: true,
            json: { secrets: names },
            text: names.length ? names.join('\n') + '\n' : '(no secrets)\n',
          };
        }
        case 'delete':
          await ks.secrets.delete(needName());
          return { ok: true, json: { deleted: name }, text: `deleted secret "${name}"\n` };
        default:
          throw invalidArgument('secret needs one of: set, get, list, delete');
      }
    }),
};

/** --alias A (or --key A, as sign and public-key spell it), else the identity key. */
