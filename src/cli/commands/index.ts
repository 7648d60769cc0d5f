import type { Command } from '../command';
import { ATTESTATION_COMMANDS } from './attestation';
import { certificate } from './certificate';
import { changePassphrase } from './change-passphrase';
import { createKey } from './create-key';
import { delegate } from './delegate';
import { del } from './delete';
import { withProductionChecklist } from './doctor-production';
import { exportIdentity } from './export-identity';
import { info } from './info';
import { init } from './init';
import { list } from './list';
import { publicKey } from './public-key';
import { secret } from './secret';
import { sign } from './sign';
import { verifyCommand } from './verify';

/** Every command, by the name the CLI takes; each lives in its own file beside this one. */
export const COMMANDS: Record<string, Command> = {
  init,
  info,
  doctor: withProductionChecklist(info),
  list,
  'create-key': createKey,
  delete: del,
  sign,
  verify: verifyCommand,
  'public-key': publicKey,
  'export-identity': exportIdentity,
  'change-passphrase': changePassphrase,
  secret,
  certificate,
  delegate,
  ...ATTESTATION_COMMANDS,
};
