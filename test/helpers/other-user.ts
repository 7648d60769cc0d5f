/**
 * Running the built package as another OS user. Such a child cannot read this checkout when it
 * sits under a 0700 home (as clones usually do), so it gets its own copy of what it runs: dist/,
 * package.json, the runtime dependencies and the addon, in a temp directory every user can read.
 * Nothing is a symlink back into the checkout.
 */
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
} from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT } from './common';

/** Build-time only: the C++ headers of node-addon-api. */
const BUILD_ONLY = new Set(['node-addon-api']);

/** What dist/ requires at run time: package.json "dependencies" and theirs, transitively. */
function runtimeDependencies(): string[] {
  const seen = new Set<string>();
  const depsOf = (pkgJson: string): string[] => {
    const deps = (JSON.parse(readFileSync(pkgJson, 'utf8')) as { dependencies?: object })
      .dependencies;
    return Object.keys(deps ?? {});
  };
  const queue = depsOf(path.join(ROOT, 'package.json')).filter((d) => !BUILD_ONLY.has(d));
  while (queue.length > 0) {
    const dep = queue.shift()!;
    if (seen.has(dep)) continue;
    seen.add(dep);
    const pkgJson = path.join(ROOT, 'node_modules', dep, 'package.json');
    if (existsSync(pkgJson)) queue.push(...depsOf(pkgJson));
  }
  return [...seen];
}

export interface PortableInstall {
  root: string;
  index: string;
  cli: string;
  remove(): void;
}

function openUp(dir: string): void {
  chmodSync(dir, 0o755);
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) openUp(p);
    else chmodSync(p, st.mode & 0o111 ? 0o755 : 0o644);
  }
}

/**
 * A world-readable copy of the built package, with its runtime dependencies and, unless
 * `addon: false`, its addon (as a tarball installed without its prebuild has none). With
 * `asDependency`, laid out as npm installs it: `<root>/node_modules/device-keystore`.
 */
export function portableInstall(
  label: string,
  opts: { asDependency?: boolean; addon?: boolean } = {},
): PortableInstall {
  const root = mkdtempSync(path.join(os.tmpdir(), `dk-portable-${label}-`));
  const pkg = opts.asDependency ? path.join(root, 'node_modules', 'device-keystore') : root;
  cpSync(path.join(ROOT, 'dist'), path.join(pkg, 'dist'), { recursive: true });
  cpSync(path.join(ROOT, 'package.json'), path.join(pkg, 'package.json'));
  for (const dep of runtimeDependencies()) {
    const from = path.join(ROOT, 'node_modules', dep);
    if (existsSync(from)) {
      cpSync(from, path.join(root, 'node_modules', dep), { recursive: true, dereference: true });
    }
  }
  const addon = path.join(ROOT, 'build', 'Release', 'device_keystore.node');
  if (opts.addon !== false && existsSync(addon)) {
    cpSync(addon, path.join(pkg, 'build', 'Release', 'device_keystore.node'));
  }
  openUp(root);
  return {
    root,
    index: path.join(pkg, 'dist', 'index.js'),
    cli: path.join(pkg, 'dist', 'cli', 'main.js'),
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** Whether this process may start children as other users (root, with setpriv present). */
export function canSwitchUsers(): { ok: true } | { ok: false; why: string } {
  if (process.platform !== 'linux') return { ok: false, why: 'not Linux' };
  if (process.getuid?.() !== 0) return { ok: false, why: 'not running as root' };
  try {
    execFileSync('setpriv', ['--version'], { stdio: 'pipe' });
  } catch {
    return { ok: false, why: 'setpriv (util-linux) is not installed' };
  }
  return { ok: true };
}

export interface AsUser {
  uid: number;
  gid: number;
}

/** setpriv's arguments that run `node args…` as uid/gid with no supplementary groups. */
export function asUserArgv(user: AsUser, args: string[]): string[] {
  const ids = [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups'];
  return [...ids, '--', process.execPath, ...args];
}

/** Run `node args…` as another user, to its end. */
export function runAs(
  user: AsUser,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {},
): SpawnSyncReturns<string> {
  return spawnSync('setpriv', asUserArgv(user, args), {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: '/nonexistent', ...opts.env },
    ...(opts.input !== undefined ? { input: opts.input } : {}),
    timeout: opts.timeoutMs ?? 60_000,
  });
}
