import { parseArgs, type ParseArgsConfig } from 'node:util';
import { Keystore } from '../keystore';
import { type OpenOptions } from '../keystore-options';
import { KeystoreError } from '../core/errors';
import { TIERS, type TierName } from '../core/tiers';
import { CLI_ONLY_CODES, EXIT, exitCodeFor } from './exit-codes';
import { UsageError, progressReporter } from './io';
import { COMMANDS } from './commands';
import { type CommandContext } from './command';
import { HELP, commandHelp } from './help';

type Options = NonNullable<ParseArgsConfig['options']>;

const GLOBAL_OPTIONS: Options = {
  dir: { type: 'string' },
  backend: { type: 'string' },
  'require-hardware': { type: 'boolean' },
  json: { type: 'boolean' },
  'lock-timeout': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

/** Run the CLI with argv (without node and script). Resolves to the exit code. */
export async function run(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  try {
    return await dispatch(argv, json);
  } catch (err) {
    return report(err, json);
  }
}

/**
 * The command and everything else: global options may come before the command
 * (`--dir X init`) as well as after it. What comes before it must be a global option.
 */
function splitCommand(argv: string[]): { name: string | undefined; rest: string[]; help: boolean } {
  if (argv[0] === '--version' || argv[0] === '-v') return { name: argv[0], rest: [], help: false };
  const before: string[] = [];
  let help = false;
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('-') || arg === '-') break;
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    const option = arg.startsWith('--') ? GLOBAL_OPTIONS[arg.slice(2).split('=')[0]!] : undefined;
    if (!option) {
      throw new UsageError(
        `unknown option "${arg}" before the command; only global options (--dir, --backend, --require-hardware, --json, --lock-timeout) may come first`,
      );
    }
    before.push(arg);
    if (option.type === 'string' && !arg.includes('=')) {
      const value = argv[i + 1];
      if (value === undefined) throw new UsageError(`${arg} needs a value`);
      before.push(value);
      i++;
    }
  }
  const [name, ...after] = argv.slice(i);
  return { name, rest: [...before, ...(help ? ['--help'] : []), ...after], help };
}

async function dispatch(argv: string[], json: boolean): Promise<number> {
  const { name, rest, help } = splitCommand(argv);
  if (name === undefined || name === 'help') {
    process.stdout.write(HELP);
    return name === undefined && !help ? EXIT.USAGE : EXIT.OK;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write(`${require('../../package.json').version}\n`);
    return EXIT.OK;
  }
  const command = COMMANDS[name];
  if (!command) throw new UsageError(`unknown command "${name}"; run device-keystore --help`);
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      options: { ...GLOBAL_OPTIONS, ...command.options },
      allowPositionals: command.positionals > 0,
      strict: true,
    });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}; run device-keystore ${name} --help`);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help) {
    process.stdout.write(commandHelp(name));
    return EXIT.OK;
  }
  if (parsed.positionals.length > command.positionals) {
    throw new UsageError(`too many arguments for ${name}; run device-keystore ${name} --help`);
  }
  const backend = values.backend as string | undefined;
  if (
    backend !== undefined &&
    backend !== 'auto' &&
    !(TIERS as readonly string[]).includes(backend)
  ) {
    throw new UsageError(`unknown backend "${backend}"; use auto, ${TIERS.join(', ')}`);
  }
  const warnings: string[] = [];
  const openOptions: OpenOptions = {
    backend: (backend ?? 'auto') as 'auto' | TierName,
    requireHardware: values['require-hardware'] === true,
    onWarning: (m) => {
      warnings.push(m);
      if (!json) process.stderr.write(`warning: ${m}\n`);
    },
  };
  const progress = progressReporter(!json);
  if (progress) openOptions.onProgress = progress;
  if (typeof values.dir === 'string') openOptions.dir = values.dir;
  const lockTimeout = values['lock-timeout'];
  if (typeof lockTimeout === 'string') {
    if (!/^\d{1,9}$/.test(lockTimeout)) {
      throw new UsageError(`--lock-timeout takes milliseconds (0 or more), not "${lockTimeout}"`);
    }
    openOptions.lockTimeoutMs = Number(lockTimeout);
  }
  const ctx: CommandContext = {
    values,
    positionals: parsed.positionals,
    json,
    open: () => Keystore.open(openOptions),
    openOptions,
    warnings,
  };
  const result = await command.run(ctx);
  if (json) {
    // A command's own warnings (info: the store's) come first, then those raised while it ran.
    const own = Array.isArray(result.json.warnings) ? (result.json.warnings as unknown[]) : [];
    process.stdout.write(
      JSON.stringify({ ok: result.ok, ...result.json, warnings: [...own, ...warnings] }, null, 2) +
        '\n',
    );
  } else if (result.text !== undefined) {
    process.stdout.write(result.text);
  }
  return result.ok ? EXIT.OK : EXIT.VERIFY_FAILED;
}

function report(err: unknown, json: boolean): number {
  if (err instanceof UsageError) {
    if (json) writeJsonError('E_USAGE' satisfies keyof typeof CLI_ONLY_CODES, err.message);
    else process.stderr.write(`device-keystore: ${err.message}\n`);
    return EXIT.USAGE;
  }
  if (err instanceof KeystoreError) {
    if (json) writeJsonError(err.code, err.message, err.hint, err.check);
    else process.stderr.write(`device-keystore: ${err.message} [${err.code}]\n`);
    return exitCodeFor(err.code);
  }
  throw err;
}

function writeJsonError(code: string, message: string, hint?: string, check?: string): void {
  // check: the failed check of E_CERTIFICATE_INVALID and E_ATTESTATION_INVALID.
  const error = { code, message, ...(hint ? { hint } : {}), ...(check ? { check } : {}) };
  process.stdout.write(JSON.stringify({ ok: false, error }, null, 2) + '\n');
}
