import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { type ProductionCheckOptions } from './report';

/** Reading the store back in a fresh process, as a restarted service would (./fresh-child.ts). */

type ChildResult =
  | { ok: true; pid: number; deviceId: string; signature: string; challenge: Buffer }
  | { ok: false; code: string; message: string };

function secretAsBase64(v: string | Uint8Array | undefined): string | undefined {
  if (v === undefined) return undefined;
  return (typeof v === 'string' ? Buffer.from(v, 'utf8') : Buffer.from(v)).toString('base64');
}

/** The same store opened by a new process of the same runtime (Electron: run as Node). */
export function readInFreshProcess(
  dir: string,
  opts: ProductionCheckOptions,
): Promise<ChildResult> {
  const challenge = randomBytes(32);
  const open: Record<string, unknown> = { dir };
  if (opts.backend !== undefined) open.backend = opts.backend;
  if (opts.tcti !== undefined) open.tcti = opts.tcti;
  if (opts.requireHardware !== undefined) open.requireHardware = opts.requireHardware;
  if (opts.lockTimeoutMs !== undefined) open.lockTimeoutMs = opts.lockTimeoutMs;
  const input = JSON.stringify({
    open,
    passphrase: secretAsBase64(opts.passphrase),
    tpmOwnerAuth: secretAsBase64(opts.tpmOwnerAuth),
    challenge: challenge.toString('base64'),
  });
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(__dirname, 'fresh-child.js')], {
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    const out: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stdin.on('error', () => {});
    child.stdin.end(input);
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({
        ok: false,
        code: 'E_IO',
        message: `cannot start ${process.execPath}: ${err.message}`,
      });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      try {
        const r = JSON.parse(Buffer.concat(out).toString('utf8')) as ChildResult;
        resolve(r.ok ? { ...r, challenge } : r);
      } catch {
        resolve({
          ok: false,
          code: 'E_IO',
          message: `the process ended (exit ${code}, signal ${signal}) without an answer`,
        });
      }
    });
  });
}
