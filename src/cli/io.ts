import { promises as fsp } from 'node:fs';
import { KeystoreError, fromFsError } from '../errors';

/** Reading inputs and writing outputs for the CLI: files, stdin, base64 or binary. */

export type Encoding = 'base64' | 'binary';

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

export async function writeOutput(file: string | undefined, data: Buffer | string): Promise<void> {
  if (file === undefined || file === '-') {
    await new Promise<void>((resolve, reject) =>
      process.stdout.write(data, (err) => (err ? reject(err) : resolve())),
    );
    return;
  }
  try {
    await fsp.writeFile(file, data);
  } catch (err) {
    throw fromFsError(err, file, 'write');
  }
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
