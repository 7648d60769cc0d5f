import type { ParseArgsConfig } from 'node:util';
import type { Keystore } from '../keystore';
import type { OpenOptions } from '../keystore-options';
import type { DeviceKey } from '../device-key';
import { invalidArgument } from '../core/errors';
import { readPin, type Encoding } from './io';

/** What a CLI command is, and the small readers every command shares (options, the store, the key). */

export interface CommandContext {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
  json: boolean;
  open: () => Promise<Keystore>;
  /** What `open` opens the store with (doctor --production opens it again in a fresh process). */
  openOptions: OpenOptions;
  warnings: string[];
}

export interface CommandResult {
  /** false only for "the answer is no" (a signature that does not verify). */
  ok: boolean;
  /** What --json prints (merged with ok and warnings). */
  json: Record<string, unknown>;
  /** What a person sees; undefined when the command wrote its own output. */
  text?: string;
}

export interface Command {
  options: NonNullable<ParseArgsConfig['options']>;
  positionals: number;
  run(ctx: CommandContext): Promise<CommandResult>;
}

export const NEW_PASSPHRASE_ENV = 'DEVICE_KEYSTORE_NEW_PASSPHRASE';

export function str(ctx: CommandContext, name: string): string | undefined {
  const v = ctx.values[name];
  return typeof v === 'string' ? v : undefined;
}

/** An option that takes one of a few words: `fallback` when it is absent. */
export function choiceOf<T extends string>(
  ctx: CommandContext,
  name: string,
  values: readonly T[],
  fallback: T,
): T {
  const v = str(ctx, name) ?? fallback;
  if (!(values as readonly string[]).includes(v)) {
    throw invalidArgument(`--${name} must be ${values.join(' or ')}, not "${v}"`);
  }
  return v as T;
}

export function encodingOf(ctx: CommandContext): Encoding {
  return choiceOf(ctx, 'encoding', ['base64', 'binary'] as const, 'base64');
}

export function formatOf(ctx: CommandContext): 'der' | 'p1363' {
  return choiceOf(ctx, 'format', ['der', 'p1363'] as const, 'der');
}

/** --key ALIAS, or the identity key when none is named. */
export async function keyFor(ks: Keystore, ctx: CommandContext): Promise<DeviceKey> {
  const alias = str(ctx, 'key');
  return alias === undefined ? ks.identityKey() : ks.getKey(alias);
}

export async function withStore<T>(
  ctx: CommandContext,
  fn: (ks: Keystore) => Promise<T>,
): Promise<T> {
  const ks = await ctx.open();
  try {
    return await fn(ks);
  } finally {
    await ks.close();
  }
}

export function lines(...parts: string[]): string {
  return parts.join('\n') + '\n';
}

export async function keyByAlias(ks: Keystore, ctx: CommandContext): Promise<DeviceKey> {
  const alias = str(ctx, 'alias') ?? str(ctx, 'key');
  return alias === undefined ? ks.identityKey() : ks.getKey(alias);
}

export const ALIAS_OPTIONS = { alias: { type: 'string' }, key: { type: 'string' } } as const;

/** --pin (a prompt without echo), --pin-file F, and --pin-stdin where stdin is not the data. */
export const PIN_OPTIONS = {
  pin: { type: 'boolean' },
  'pin-file': { type: 'string' },
  'pin-stdin': { type: 'boolean' },
} as const;

/** The PIN of a key made with one, from the PIN options; the caller wipes it. */
export function keyPin(ctx: CommandContext): Promise<Buffer | undefined> {
  const file = str(ctx, 'pin-file');
  return readPin({
    ...(file !== undefined ? { file } : {}),
    stdin: ctx.values['pin-stdin'] === true,
    prompt: ctx.values.pin === true,
    again: false,
  });
}
