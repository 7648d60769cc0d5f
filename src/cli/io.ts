import { promises as fsp } from 'node:fs';
import { KeystoreError, fromFsError, invalidArgument } from '../core/errors';
import * as path from 'node:path';
import { removeFileDurable, writeFileAtomic } from '../store/atomic';

/** Reading inputs and writing outputs for the CLI: files, stdin, base64 or binary. */

export type Encoding = 'base64' | 'binary';

/** A mistake in how the CLI was called: exit 2, E_USAGE in --json. */
export class UsageError extends Error {}

/** Bound what we read, so a mistaken `sign < /dev/zero` fails instead of filling memory. */
const MAX_INPUT_BYTES = 64 * 1024 * 1024;

export async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of process.stdin) {
    const b = chunk as Buffer;
    total += b.length;
    if (total > MAX_INPUT_BYTES) {
      throw new KeystoreError(
        'E_INVALID_ARGUMENT',
        `standard input is larger than ${MAX_INPUT_BYTES} bytes`,
      );
    }
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

/** A path, or '-' / undefined for standard input. */
export async function readInput(file: string | undefined): Promise<Buffer> {
  if (file === undefined || file === '-') return readStdin();
  try {
    const stat = await fsp.stat(file);
    if (stat.size > MAX_INPUT_BYTES) {
      throw new KeystoreError(
        'E_INVALID_ARGUMENT',
        `${file} is larger than ${MAX_INPUT_BYTES} bytes`,
      );
    }
    return await fsp.readFile(file);
  } catch (err) {
    if (err instanceof KeystoreError) throw err;
    throw fromFsError(err, file, 'read');
  }
}

export function decodeText(bytes: Buffer, encoding: Encoding, what: string): Buffer {
  if (encoding === 'binary') return bytes;
  const text = bytes.toString('latin1').trim();
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) {
    throw new KeystoreError('E_INVALID_ARGUMENT', `${what} is not valid base64`, {
      hint: 'pass --encoding binary for raw bytes',
    });
  }
  return Buffer.from(text, 'base64');
}

/** To stdout, or to a file: PUBLIC_FILE_MODE, or 0600 for a secret. */
export async function writeOutput(
  file: string | undefined,
  data: Buffer | string,
  mode = PUBLIC_FILE_MODE,
): Promise<void> {
  if (file === undefined || file === '-') {
    await new Promise<void>((resolve, reject) =>
      process.stdout.write(data, (err) => (err ? reject(err) : resolve())),
    );
    return;
  }
  // As the store writes: a new file (O_EXCL), flushed, renamed over the target, so a symlink
  // planted there is replaced, never followed, and a failure leaves the old file or none.
  await writeFileAtomic(file, data, mode);
}

/** Certificates and signatures: public, but written by their owner only. */
const PUBLIC_FILE_MODE = 0o644;

/** Output files of one command must differ, or one would overwrite the other. */
export function distinctOutputs(outputs: Record<string, string | undefined>): void {
  const seen = new Map<string, string>();
  for (const [option, file] of Object.entries(outputs)) {
    if (file === undefined || file === '-') continue;
    const resolved = path.resolve(file);
    const earlier = seen.get(resolved);
    if (earlier !== undefined) {
      throw new UsageError(`${earlier} and ${option} name the same file ${file}`);
    }
    seen.set(resolved, option);
  }
}

/** Removes what a command wrote before it failed: no private key stays behind. */
export async function removeOutput(file: string): Promise<void> {
  await removeFileDurable(file).catch(() => {});
}

/**
 * Writes a file only its owner can read (0600, and the store's private DACL on Windows), for a
 * private key the user asked for. It goes through the store's atomic write: a new file made with
 * O_EXCL and that mode, flushed, then renamed over the target. So the key never sits in a file
 * with a wider mode, a symlink planted at the target is replaced rather than followed, and a full
 * disk leaves the old file (or none), never half a key.
 */
export async function writePrivateFile(file: string, data: string): Promise<void> {
  await writeFileAtomic(file, data, 0o600);
}

/** A spinner on stderr while a slow step runs, only when a person is watching. */
export function progressReporter(
  enabled: boolean,
): ((label: string, done: boolean) => void) | undefined {
  if (!enabled || !process.stderr.isTTY) return undefined;
  const frames = ['|', '/', '-', '\\'];
  let timer: NodeJS.Timeout | undefined;
  let i = 0;
  return (label, done) => {
    if (done) {
      if (timer) clearInterval(timer);
      timer = undefined;
      process.stderr.write('\r\x1b[K');
      return;
    }
    if (timer) return;
    const draw = () => process.stderr.write(`\r${frames[i++ % frames.length]} ${label}...`);
    draw();
    timer = setInterval(draw, 100);
    timer.unref();
  };
}

/**
 * Reads one line from the terminal on stdin without echoing it: the prompt goes to stderr, the
 * terminal is in raw mode while the user types, and only a newline is echoed at the end.
 * Backspace deletes a character; Ctrl-C or Ctrl-D on an empty line cancels (E_USER_CANCELED).
 * The caller wipes the result.
 */
export function readHiddenLine(prompt: string): Promise<Buffer> {
  const stdin = process.stdin;
  const bytes: number[] = [];
  // Echo off first, then the prompt: whatever is typed once the prompt shows is never echoed.
  stdin.setRawMode(true);
  stdin.resume();
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    const finish = () => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
    };
    const onData = (chunk: Buffer) => {
      for (const c of chunk) {
        if (c === 0x0d || c === 0x0a) {
          finish();
          const line = Buffer.from(bytes);
          bytes.fill(0);
          resolve(line);
          return;
        }
        if (c === 0x03 || (c === 0x04 && bytes.length === 0)) {
          finish();
          bytes.fill(0);
          reject(new KeystoreError('E_USER_CANCELED', 'no passphrase was entered: canceled'));
          return;
        }
        if (c === 0x7f || c === 0x08) {
          // One character back: its UTF-8 continuation bytes, then its first byte.
          while (bytes.length && ((bytes.at(-1) as number) & 0xc0) === 0x80) bytes.pop();
          bytes.pop();
          continue;
        }
        if (c >= 0x20 || c === 0x09) bytes.push(c);
      }
      chunk.fill(0);
    };
    stdin.on('data', onData);
  });
}

/**
 * A key's PIN: from a file (`--pin-file`, one line), from standard input (`--pin-stdin`), or
 * typed at the terminal without echo (`--pin`; twice for a new key). The caller wipes it.
 */
export async function readPin(opts: {
  file?: string;
  stdin: boolean;
  prompt: boolean;
  /** A new PIN: typed twice at a prompt. */
  again: boolean;
}): Promise<Buffer | undefined> {
  const chosen = [opts.file !== undefined, opts.stdin, opts.prompt].filter(Boolean).length;
  if (chosen > 1) throw invalidArgument('give one of --pin, --pin-file and --pin-stdin');
  let raw: Buffer;
  if (opts.file !== undefined) {
    raw = await fsp.readFile(opts.file).catch((err: unknown) => {
      throw fromFsError(err, opts.file!, 'read the PIN file');
    });
  } else if (opts.stdin) {
    raw = await readStdin();
  } else if (opts.prompt) {
    if (!process.stdin.isTTY) {
      throw invalidArgument('--pin prompts at a terminal', 'use --pin-file or --pin-stdin');
    }
    const first = await readHiddenLine('PIN: ');
    if (!opts.again) return first;
    const second = await readHiddenLine('PIN, again: ');
    const same = first.equals(second);
    second.fill(0);
    if (!same) {
      first.fill(0);
      throw invalidArgument('the two PINs do not match; no key was made');
    }
    return first;
  } else {
    return undefined;
  }
  // One line: the trailing newline is not part of the PIN.
  let end = raw.length;
  if (raw[end - 1] === 0x0a) end--;
  if (raw[end - 1] === 0x0d) end--;
  const pin = Buffer.from(raw.subarray(0, end));
  raw.fill(0);
  return pin;
}

/** A new passphrase typed twice at the terminal, without echo; E_INVALID_ARGUMENT if they differ. */
export async function promptNewPassphrase(): Promise<Buffer> {
  const first = await readHiddenLine('New passphrase: ');
  if (first.length === 0) throw invalidArgument('the new passphrase is empty');
  let second: Buffer | undefined;
  try {
    second = await readHiddenLine('New passphrase, again: ');
    if (!first.equals(second)) {
      throw invalidArgument('the two passphrases do not match; nothing was changed');
    }
    return first;
  } catch (err) {
    first.fill(0);
    throw err;
  } finally {
    second?.fill(0);
  }
}
