/**
 * A real npm registry on loopback for the packaging tests: verdaccio 6.8.0 (the last line that
 * runs on Node 20; 6.10 wants Node 22), installed once from the npm registry into the cache
 * (DK_NODE_CACHE's parent, default ~/.cache/device-keystore) and started on a free port below
 * the ephemeral range. Packages other than device-keystore are proxied from registry.npmjs.org,
 * so a consumer installs this package by name with its real dependencies. `env` points npm at
 * it (a private userconfig and cache); `publish` publishes a tarball as an authenticated user.
 * Also npm 10 (10.8.2, the npm Node 20 ships), from the registry, for the older client's run.
 */
import { existsSync, promises as fsp, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describeResult, startProcess, type Running } from './proc';
import { runIn, succeeded } from './package';
import { freePortPair } from './swtpm';

export const VERDACCIO_VERSION = '6.8.0';
export const NPM10_VERSION = '10.8.2';

const cacheRoot = () =>
  process.env.DK_NODE_CACHE
    ? path.dirname(process.env.DK_NODE_CACHE)
    : path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'device-keystore');

/** `npm install <spec>` into the cache once (no scripts: none of these need one); its dir. */
async function cachedInstall(spec: string, scratch: string): Promise<string> {
  const dir = path.join(cacheRoot(), spec.replace('@', '-').replace(/[^\w.-]/g, '_'));
  if (existsSync(path.join(dir, '.complete'))) return dir;
  await fsp.rm(dir, { recursive: true, force: true });
  const r = await runIn(scratch, 'npm', [
    'install',
    spec,
    '--prefix',
    dir,
    '--ignore-scripts',
    '--no-audit',
    '--no-fund',
    '--loglevel=error',
  ]);
  if (!succeeded(r)) throw new Error(`npm install ${spec} failed:\n${describeResult(r)}`);
  await fsp.writeFile(path.join(dir, '.complete'), '');
  return dir;
}

/** npm 10's CLI script (run it with this Node): `node <it> install ...`. */
export async function npm10(scratch: string): Promise<string> {
  const dir = await cachedInstall(`npm@${NPM10_VERSION}`, scratch);
  return path.join(dir, 'node_modules', 'npm', 'bin', 'npm-cli.js');
}

export class Registry {
  private constructor(
    readonly url: string,
    private readonly dir: string,
    private readonly proc: Running,
    /** npm's environment for this registry: userconfig (with the token), a private cache. */
    readonly env: Record<string, string>,
  ) {}

  static async start(scratch: string): Promise<Registry> {
    const install = await cachedInstall(`verdaccio@${VERDACCIO_VERSION}`, scratch);
    const dir = await fsp.mkdtemp(path.join(scratch, 'registry-'));
    const port = await freePortPair();
    await fsp.writeFile(
      path.join(dir, 'config.yaml'),
      [
        'storage: ./storage',
        'auth:',
        '  htpasswd:',
        '    file: ./htpasswd',
        'uplinks:',
        '  npmjs:',
        '    url: https://registry.npmjs.org/',
        'packages:',
        "  'device-keystore':",
        '    access: $all',
        '    publish: $authenticated',
        "  '**':",
        '    access: $all',
        '    proxy: npmjs',
        'log: { type: stdout, format: pretty, level: warn }',
        '',
      ].join('\n'),
    );
    const url = `http://127.0.0.1:${port}/`;
    const proc = startProcess(
      path.join(install, 'node_modules', '.bin', 'verdaccio'),
      ['--config', path.join(dir, 'config.yaml'), '--listen', `127.0.0.1:${port}`],
      { cwd: dir },
    );
    for (let i = 0; ; i++) {
      const up = await fetch(`${url}-/ping`).then(
        (r) => r.ok,
        () => false,
      );
      if (up) break;
      if (i === 300 || proc.child.exitCode !== null) {
        proc.child.kill('SIGKILL');
        throw new Error(`verdaccio did not start on ${url}:\n${describeResult(await proc.done)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const user = await fetch(`${url}-/user/org.couchdb.user:dk-test`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'dk-test', password: 'dk-test-password' }),
    });
    const { token } = (await user.json()) as { token?: string };
    if (!token) throw new Error(`verdaccio gave no token (HTTP ${user.status})`);
    // The user's own npmrc first (nodedir, for a source build without the headers download),
    // then this registry.
    const own = path.join(os.homedir(), '.npmrc');
    const npmrc = path.join(dir, 'npmrc');
    await fsp.writeFile(
      npmrc,
      `${existsSync(own) ? readFileSync(own, 'utf8') : ''}\n` +
        `registry=${url}\n//127.0.0.1:${port}/:_authToken=${token}\n` +
        'audit=false\nfund=false\nupdate-notifier=false\n',
    );
    return new Registry(url, dir, proc, {
      npm_config_userconfig: npmrc,
      npm_config_cache: path.join(dir, 'npm-cache'),
    });
  }

  /** npm publish <tarball> [--tag tag]; throws on failure. */
  async publish(tarball: string, tag?: string): Promise<void> {
    const r = await runIn(
      this.dir,
      'npm',
      ['publish', tarball, ...(tag ? ['--tag', tag] : [])],
      this.env,
    );
    if (!succeeded(r)) throw new Error(`npm publish ${tarball} failed:\n${describeResult(r)}`);
  }

  async stop(): Promise<void> {
    this.proc.child.kill('SIGTERM');
    await this.proc.done;
    await fsp.rm(this.dir, { recursive: true, force: true });
  }
}
