import { invalidArgument } from '../../core/errors';
import { ephemeralStorageWarning, storageFacts } from '../../store/persistence';
import { type Command, withStore, str, lines } from '../command';

export const init: Command = {
  options: { name: { type: 'string' }, force: { type: 'boolean' } },
  positionals: 0,
  run: (ctx) =>
    withStore(ctx, async (ks) => {
      const name = str(ctx, 'name');
      if (name === undefined) throw invalidArgument('init needs --name <name>');
      const identity = await ks.init({ name, force: ctx.values.force === true });
      // Said now rather than discovered after the next reboot or redeploy.
      const storage = ephemeralStorageWarning(await storageFacts(ks.dir));
      if (storage) {
        ctx.warnings.push(storage);
        if (!ctx.json) process.stderr.write(`warning: ${storage}\n`);
      }
      const d = await ks.describe();
      return {
        ok: true,
        json: {
          identity,
          tier: d.tier,
          hardwareBacked: d.hardwareBacked,
          extractable: d.extractable,
          extractableBy: d.extractableBy,
        },
        text: lines(
          `created identity "${identity.name}" in ${ks.dir}`,
          `  deviceId:       ${identity.deviceId}`,
          `  tier:           ${identity.tier} (hardware-backed: ${d.hardwareBacked ? 'yes' : 'no'}, extractable by: ${d.extractableBy})`,
          `  key alias:      ${identity.keyAlias}`,
        ),
      };
    }),
};
