import { type Command, withStore } from '../command';

export const list: Command = {
  options: {},
  positionals: 0,
  run: (ctx) =>
    withStore(ctx, async (ks) => {
      const keys = await ks.listKeys();
      const text = keys.length
        ? keys
            .map(
              (k) =>
                `${k.alias}\t${k.tier}\t${k.hardwareBacked ? 'hardware' : 'software'}\t${k.createdAt}`,
            )
            .join('\n') + '\n'
        : '(no keys)\n';
      // KeyInfo.publicKey is a KeyObject; the JSON form carries it as SPKI PEM.
      return { ok: true, json: { keys: keys.map((k) => k.toJSON()) }, text };
    }),
};
