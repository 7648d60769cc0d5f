/**
 * Helpers for tests that run real child processes: the built CLI (dist/cli/main.js) and small
 * fixture scripts that require dist/index.js. Nothing here mocks our own code.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { mkdtempSync, promises as fsp, readdirSync, rmSync, statSync, watch } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { ROOT } from './common';

export { ROOT };
export const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');
export const FIXTURES = path.join(__dirname, '..', 'fixtures');

export interface ProcResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
  /** stdout as UTF-8 text. */
  out: string;
}

export interface RunOptions {
  /** Extra environment; DEVICE_KEYSTORE_* from the test runner's own env never leaks in. */
  env?: Record<string, string | undefined>;
  /** Written to stdin, which is then closed. Default: stdin closed at once (empty). */
  input?: string | Buffer;
  /** Kill the child (SIGKILL) if it runs longer than this; a safety net, not an assertion. */
  timeoutMs?: number;
}

/** The environment for a child: ours, minus any DEVICE_KEYSTORE_* variable, plus `extra`. */
export function childEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('DEVICE_KEYSTORE_')) env[k] = v;
  }
  // A test runner started as a systemd service must not hand its own credentials on.
  delete env.CREDENTIALS_DIRECTORY;
  // The same answer on any machine: no TPM, even where /dev/tpmrm0 exists.
  env.DEVICE_KEYSTORE_TCTI = 'device:/dev/device-keystore-tests-have-no-tpm';
  // And on Windows, no NCrypt tier: the file tier, also where the TPM or software KSP works.
  env.DEVICE_KEYSTORE_NCRYPT_PROVIDERS = 'none';
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export interface Running {
  child: ChildProcess;
  done: Promise<ProcResult>;
}

/** Start `cmd <args>` (no shell) and collect its output; `done` settles when it exits. */
export function startProcess(
  cmd: string,
  args: string[],
  opts: RunOptions & { cwd?: string } = {},
): Running {
  const child = spawn(cmd, args, {
    env: childEnv(opts.env),
    stdio: ['pipe', 'pipe', 'pipe'],
    cwd: opts.cwd,
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout!.on('data', (b: Buffer) => out.push(b));
  child.stderr!.on('data', (b: Buffer) => err.push(b));
  // A child killed before it reads stdin makes the write fail with EPIPE: that is expected.
  child.stdin!.on('error', () => {});
  if (opts.input !== undefined) child.stdin!.end(opts.input);
  else child.stdin!.end();
  let timer: NodeJS.Timeout | undefined;
  if (opts.timeoutMs !== undefined) {
    timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
  }
  const done = new Promise<ProcResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      const stdout = Buffer.concat(out);
      resolve({
        code,
        signal,
        stdout,
        out: stdout.toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
  });
  return { child, done };
}

/** Start `node <args>` and collect its output; `done` settles when it exits. */
export function startNode(args: string[], opts: RunOptions = {}): Running {
  return startProcess(process.execPath, args, opts);
}

/** Start the CLI: `node dist/cli/main.js <args>`. */
export function startCli(args: string[], opts: RunOptions = {}): Running {
  return startNode([CLI, ...args], opts);
}

export function runCli(args: string[], opts: RunOptions = {}): Promise<ProcResult> {
  return startCli(args, { timeoutMs: 60_000, ...opts }).done;
}

/** Run a fixture script from test/fixtures. */
export function runFixture(
  name: string,
  args: string[],
  opts: RunOptions = {},
): Promise<ProcResult> {
  return startNode([path.join(FIXTURES, name), ...args], { timeoutMs: 60_000, ...opts }).done;
}

/** Parse the JSON a command printed with --json, with a useful message when it is not JSON. */
export function jsonOf(r: ProcResult): Record<string, any> {
  try {
    return JSON.parse(r.out) as Record<string, any>;
  } catch {
    throw new Error(
      `expected JSON on stdout (exit ${r.code}, signal ${r.signal}):\n${r.out}\nstderr:\n${r.stderr}`,
    );
  }
}

/** A description of a finished process, for assertion messages. */
export function describeResult(r: ProcResult): string {
  return `exit ${r.code} signal ${r.signal}\nstdout: ${r.out}\nstderr: ${r.stderr}`;
}

/** Temporary directories, removed by `cleanup()` (call it from afterAll/afterEach). */
export class TempDirs {
  readonly #dirs: string[] = [];

  make(prefix = 'dk-proc-'): string {
    const d = mkdtempSync(path.join(os.tmpdir(), prefix));
    this.#dirs.push(d);
    return d;
  }

  cleanup(): void {
    for (const d of this.#dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  }
}

/** The pid of a process that has exited (spawned, awaited). */
export async function deadPid(): Promise<number> {
  const r = startNode(['-e', '']);
  const pid = r.child.pid!;
  await r.done;
  // The pid could in theory be reused at once; make sure nobody has it now.
  try {
    process.kill(pid, 0);
  } catch {
    return pid;
  }
  return deadPid();
}

/** Every path under `dir`, relative, sorted (directories end with '/'). */
export async function listTree(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(rel: string): Promise<void> {
    let entries;
    try {
      entries = await fsp.readdir(path.join(dir, rel), { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const e of entries) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        out.push(p + '/');
        await walk(p);
      } else out.push(p);
    }
  }
  await walk('');
  return out.sort();
}

/** Leftovers of an interrupted write or lock: temp files, staged identities, locks. */
export function isLitter(rel: string): boolean {
  const base = path.posix.basename(rel);
  return (
    base === '.lock' ||
    base.startsWith('.lock.') ||
    base.endsWith('.tmp') ||
    base.endsWith('.staged') ||
    base === '.passphrase.next'
  );
}

/** Key record files (keys/<alias>.json), the way the store lists them. */
export async function keyFiles(store: string): Promise<string[]> {
  try {
    return (await fsp.readdir(path.join(store, 'keys')))
      .filter((n) => n.endsWith('.json') && !n.startsWith('.'))
      .sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Verify an ECDSA P-256/SHA-256 signature with node:crypto, independently of our code. */
export function nodeVerifies(
  publicKeyPem: string,
  data: Buffer | string,
  signature: Buffer,
  format: 'der' | 'p1363' = 'der',
): boolean {
  return nodeVerify(
    'sha256',
    Buffer.from(data),
    { key: createPublicKey(publicKeyPem), dsaEncoding: format === 'der' ? 'der' : 'ieee-p1363' },
    signature,
  );
}

/**
 * Run a command (no shell) and collect its output. `env` is passed to childEnv (so no
 * DEVICE_KEYSTORE_* variable of the runner leaks in); `timeoutMs` kills it (SIGKILL), which the
 * result then shows as `signal`.
 */
export function runTool(
  cmd: string,
  args: string[],
  opts: RunOptions & { cwd?: string } = {},
): Promise<ProcResult> {
  return startProcess(cmd, args, { input: '', ...opts }).done;
}

/** `openssl dgst -sha256 -verify pub.pem -signature sig.der data`: true when OpenSSL accepts. */
export async function opensslVerifies(
  pubPemFile: string,
  dataFile: string,
  derSigFile: string,
): Promise<boolean> {
  if (process.env.DK_WIN_WINE === '1') {
    // Wine cannot run the Linux openssl; the OpenSSL inside node.exe verifies instead.
    const { createPublicKey, verify } = await import('node:crypto');
    const { readFile } = await import('node:fs/promises');
    return verify(
      'sha256',
      await readFile(dataFile),
      createPublicKey(await readFile(pubPemFile)),
      await readFile(derSigFile),
    );
  }
  const r = await runTool('openssl', [
    'dgst',
    '-sha256',
    '-verify',
    pubPemFile,
    '-signature',
    derSigFile,
    dataFile,
  ]);
  return r.code === 0 && r.out.includes('Verified OK');
}

/**
 * Resolve as soon as `check()` returns something other than undefined. It is run on every
 * change in `dir` (inotify via fs.watch) and every 2 ms besides, so the test reacts within a
 * few milliseconds of the child's rename. `dir` must exist.
 */
export function whenState<T>(
  dir: string,
  check: () => T | undefined,
  /** Stop watching when this settles (the child exited); `promise` then resolves undefined. */
  until?: Promise<unknown>,
): { promise: Promise<T | undefined>; cancel: () => void } {
  let done = false;
  let resolveFn!: (v: T | undefined) => void;
  const promise = new Promise<T | undefined>((resolve) => (resolveFn = resolve));
  const stop = () => {
    done = true;
    watcher.close();
    clearInterval(poll);
  };
  const test = () => {
    if (done) return;
    let v: T | undefined;
    try {
      v = check();
    } catch {
      return;
    }
    if (v !== undefined) {
      stop();
      resolveFn(v);
    }
  };
  const watcher = watch(dir, test);
  const poll = setInterval(test, 2);
  test();
  const giveUp = () => {
    if (done) return;
    stop();
    resolveFn(undefined);
  };
  until?.then(giveUp, giveUp);
  return {
    promise,
    cancel: () => {
      if (!done) stop();
    },
  };
}

/** `whenState` for "a file in `dir` whose name matches appears". */
export function whenFileAppears(
  dir: string,
  match: (name: string) => boolean,
  until?: Promise<unknown>,
): { promise: Promise<string | undefined>; cancel: () => void } {
  return whenState(dir, () => readdirSync(dir).find(match), until);
}

/** The identity of a file's current contents (inode and mtime), or undefined when absent. */
export function fileStamp(file: string): string | undefined {
  try {
    const st = statSync(file);
    return `${st.ino}:${st.mtimeMs}:${st.size}`;
  } catch {
    return undefined;
  }
}

/** Quote a string for a POSIX shell. */
export function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
