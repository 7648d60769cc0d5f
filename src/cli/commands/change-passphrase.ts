import { invalidArgument } from '../../core/errors';
import { PASSPHRASE_ENV } from '../../store/passphrase';
import { promptNewPassphrase, readStdin } from '../io';
import { type Command, withStore, NEW_PASSPHRASE_ENV } from '../command';

export const changePassphrase: Command = {
  options: { 'new-passphrase-stdin': { type: 'boolean' } },
  positionals: 0,
  run: (ctx) =>
    withStore(ctx, async (ks) => {
      let next: Buffer | string | undefined;
      if (ctx.values['new-passphrase-stdin'] === true && process.stdin.isTTY) {
        // A person at a terminal: a prompt, no echo, typed twice.
        next = await promptNewPassphrase();
      } else if (ctx.values['new-passphrase-stdin'] === true) {
        const raw = await readStdin();
        next = raw.subarray(0, raw.length - (raw.at(-1) === 0x0a ? 1 : 0));
        if (next.length === 0)
          throw invalidArgument('the new passphrase on standard input is empty');
      } else if (process.env[NEW_PASSPHRASE_ENV]) {
        next = process.env[NEW_PASSPHRASE_ENV];
      }
      const change = await ks.changePassphrase(next === undefined ? {} : { newPassphrase: next });
      if (Buffer.isBuffer(next)) next.fill(0);
      const where =
        change.storedIn === 'passphrase-file'
          ? 'the new passphrase is in the passphrase file'
          : `the new passphrase is stored nowhere: update ${PASSPHRASE_ENV} (or your own store) now`;
      return {
        ok: true,
        json: { ...change },
        text: `passphrase changed${change.generated ? ' to a new random 256-bit one' : ''}; ${where}\n`,
      };
    }),
};
