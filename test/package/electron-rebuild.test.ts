/**
 * App builders keep our prebuilds. electron-builder and Electron Forge run @electron/rebuild
 * before packaging; it compiles a module from source (needing a compiler and Electron's headers,
 * downloaded from electronjs.org) unless it recognises a prebuild: for a module with
 * `prebuildify` in the devDependencies of its installed package.json, a file
 * prebuilds/<platform>-<arch>/node.napi.node (node.napi.armv8.node on arm64), or
 * electron.napi.node (its src/module-type/prebuildify.ts).
 *
 * The real @electron/rebuild (pinned below, from npm) runs in a temp app that installed the
 * tarball, under Node 22 (its engines field asks for >= 22.12; the binary comes from the npm
 * package node-linux-<arch>, as in runtimes.test.ts), with every build tool a failing shim and
 * an empty HOME (no cached Electron headers; electronjs.org is not reachable here anyway).
 *
 *   - this machine: `electron-rebuild --version 33.2.0 --only device-keystore` keeps the prebuild:
 *     no compile, no headers, no .node under build/ (it does write its marker file,
 *     build/Release/.forge-meta, by design), and node-gyp-build, also as Electron's runtime,
 *     still loads the prebuild;
 *   - 0.1.0's layout (prebuildify 6's default name, device-keystore.glibc.node): the same run
 *     does not keep it (the control: this file fails on a 0.1.0 tarball);
 *   - every prebuild the release workflow ships (its EXPECTED_PREBUILDS list, as placeholder
 *     files): recognised by electron-rebuild --platform/--arch for that target, and picked by
 *     node-gyp-build for that platform, arch and libc.
 */
import { existsSync, promises as fsp, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, describeResult, listTree, type ProcResult } from '../helpers/proc';
import {
  editedTarball,
  fetchNode,
  installed,
  makeToolShims,
  newProject,
  npmInstallTarball,
  outputOf,
  runIn,
  succeeded,
} from '../helpers/package';

const ELECTRON_REBUILD = '@electron/rebuild@4.2.1';
const ELECTRON_VERSION = '33.2.0';
/** The Node that runs electron-rebuild: its engines field asks for >= 22.12. */
const NODE_FOR_REBUILD = '22.23.3';
const HERE = `${process.platform}-${process.arch}`;

let work: string;
let node22: string;

interface App {
  project: string;
  install: ProcResult;
  shimLog: string;
  shimEnv: Record<string, string | undefined>;
  home: string;
}

/** A temp Electron-style app: the tarball and @electron/rebuild installed, nothing compiled. */
async function newApp(name: string, tarball?: string): Promise<App> {
  const project = await newProject(path.join(work, name), `dk-${name}`, []);
  const shims = await makeToolShims(path.join(work, `${name}-shims`));
  const home = path.join(work, `${name}-home`);
  await fsp.mkdir(home);
  const install = await npmInstallTarball(
    project,
    [ELECTRON_REBUILD, '--loglevel=error'],
    { ...shims.env, npm_config_build_from_source: 'false' },
    tarball,
  );
  return { project, install, shimLog: shims.log, shimEnv: shims.env, home };
}

/** electron-rebuild for `target` (default: this machine) in the app; DEBUG shows its reasoning. */
function electronRebuild(app: App, target: string[] = []): Promise<ProcResult> {
  const cli = path.join(app.project, 'node_modules', '@electron', 'rebuild', 'lib', 'cli.js');
  return runIn(
    app.project,
    node22,
    [cli, '--version', ELECTRON_VERSION, '--only', 'device-keystore', ...target],
    { ...app.shimEnv, HOME: app.home, DEBUG: 'electron-rebuild' },
  );
}

/** Files under the installed package's build/, relative to it. */
async function buildFiles(app: App): Promise<string[]> {
  const dir = path.join(installed(app.project).pkg, 'build');
  return existsSync(dir) ? (await listTree(dir)).filter((f) => !f.endsWith('/')) : [];
}

/** node-gyp-build's pick in the app's installed package, with `env` standing in for a target. */
async function pick(app: App, env: Record<string, string | undefined> = {}): Promise<string> {
  const r = await runIn(
    app.project,
    process.execPath,
    [
      '-p',
      `const path = require('path');
       const pkg = path.dirname(require.resolve('device-keystore/package.json'));
       path.relative(pkg, require('node-gyp-build').path(pkg))
         .split(path.sep).join('/')`,
    ],
    env,
  );
  if (!succeeded(r)) throw new Error(`node-gyp-build found nothing:\n${describeResult(r)}`);
  return r.out.trim();
}

beforeAll(async () => {
  work = await fsp.mkdtemp(path.join(os.tmpdir(), 'dk-electron-rebuild-'));
  node22 = await fetchNode(NODE_FOR_REBUILD, work);
});
afterAll(async () => {
  if (work) await fsp.rm(work, { recursive: true, force: true });
});

describe(`electron-rebuild --version ${ELECTRON_VERSION} on this machine (${HERE})`, () => {
  let app: App;
  let rebuild: ProcResult;
  beforeAll(async () => {
    app = await newApp('app');
    if (!succeeded(app.install)) throw new Error(`install failed:\n${describeResult(app.install)}`);
    rebuild = await electronRebuild(app);
    console.log(
      outputOf(rebuild)
        .split('\n')
        .filter((l) => !/scanning/.test(l))
        .slice(-8)
        .join('\n'),
    );
  });

  it('the installed package.json still names prebuildify in devDependencies', () => {
    const pkg = JSON.parse(
      readFileSync(path.join(installed(app.project).pkg, 'package.json'), 'utf8'),
    ) as { devDependencies?: Record<string, string> };
    expect(pkg.devDependencies).toHaveProperty('prebuildify');
  });

  it('it succeeds, saying it found the prebuilt Node-API module', () => {
    expect(succeeded(rebuild), describeResult(rebuild)).toBe(true);
    expect(outputOf(rebuild)).toContain('Rebuild Complete');
    expect(outputOf(rebuild)).toMatch(
      new RegExp(`Found prebuilt Node-API module in \\S*/prebuilds/${HERE}`),
    );
  });

  it('nothing was compiled and no Electron headers were fetched', async () => {
    expect(await fsp.readFile(app.shimLog, 'utf8'), 'build tools were invoked').toBe('');
    expect(outputOf(rebuild)).not.toMatch(/gyp (info|http|verb)/);
    expect(existsSync(path.join(app.home, '.electron-gyp'))).toBe(false);
  });

  it("build/ holds no binary, only electron-rebuild's marker (.forge-meta)", async () => {
    expect(await buildFiles(app)).toEqual(['Release/.forge-meta']);
    const meta = readFileSync(
      path.join(installed(app.project).pkg, 'build', 'Release', '.forge-meta'),
      'utf8',
    );
    expect(meta).toMatch(new RegExp(`^${process.platform}--${process.arch}--\\d+$`));
  });

  it('afterwards the prebuild is what loads (loadNative; doctor would say "prebuilds")', async () => {
    const r = await runIn(app.project, process.execPath, [
      '-e',
      `const path = require('path');
       const pkg = path.dirname(require.resolve('device-keystore/package.json'));
       const n = require(path.join(pkg, 'dist/addon/load.js')).loadNative();
       console.log(JSON.stringify(n.ok ? { origin: n.origin, file: path.relative(pkg, n.path) } : n));`,
    ]);
    expect(succeeded(r), describeResult(r)).toBe(true);
    const n = JSON.parse(r.out.trim()) as { origin?: string; file?: string };
    expect(n.origin, r.out).toBe('prebuilds');
    expect(n.file).toMatch(new RegExp(`^prebuilds/${HERE}/node\\.napi(\\.armv8)?\\.node$`));
  });

  it("node-gyp-build as Electron's runtime (ELECTRON_RUN_AS_NODE) picks the same file", async () => {
    expect(await pick(app, { ELECTRON_RUN_AS_NODE: '1' })).toBe(await pick(app));
  });
});

describe("control: 0.1.0's layout (prebuilds/<platform>-<arch>/device-keystore.glibc.node)", () => {
  let app: App;
  let rebuild: ProcResult;
  beforeAll(async () => {
    // 0.1.0 shipped prebuildify 6's default names: <package name>[.<libc>].node.
    const old = await editedTarball(work, 'layout-0.1.0', async (pkg) => {
      const dir = path.join(pkg, 'prebuilds', HERE);
      for (const f of await fsp.readdir(dir)) {
        const libc = f.includes('.musl.') ? 'musl' : 'glibc';
        const name =
          process.platform === 'linux' ? `device-keystore.${libc}.node` : 'device-keystore.node';
        await fsp.rename(path.join(dir, f), path.join(dir, name));
      }
    });
    app = await newApp('app-0.1.0', old);
    if (!succeeded(app.install)) throw new Error(`install failed:\n${describeResult(app.install)}`);
    rebuild = await electronRebuild(app);
  });

  it('electron-rebuild does not recognise it and goes to node-gyp (which fails here)', async () => {
    expect(outputOf(rebuild)).toMatch(/Could not locate .*\/node\.napi\.(armv8\.)?node"/);
    const compiled = (await buildFiles(app)).some((f) => f.endsWith('.node'));
    // Kept would mean: exit 0 and no compiled binary. Here it needs a compiler or headers.
    expect(succeeded(rebuild) && !compiled, describeResult(rebuild)).toBe(false);
  });
});

/** EXPECTED_PREBUILDS of .github/workflows/release.yml: what a release ships. */
function releasePrebuilds(): string[] {
  const yml = readFileSync(path.join(ROOT, '.github', 'workflows', 'release.yml'), 'utf8');
  const block = /EXPECTED_PREBUILDS: >-\n((?:\s+prebuilds\/\S+\n)+)/.exec(yml);
  if (!block) throw new Error('no EXPECTED_PREBUILDS block in release.yml');
  return block[1]!.trim().split(/\s+/);
}

describe('every prebuild the release workflow ships', () => {
  const files = releasePrebuilds();
  let app: App;
  beforeAll(async () => {
    app = await newApp('app-release-layout');
    if (!succeeded(app.install)) throw new Error(`install failed:\n${describeResult(app.install)}`);
    // Placeholders under the release's names: both tools decide by name alone.
    const pkg = installed(app.project).pkg;
    await fsp.rm(path.join(pkg, 'prebuilds'), { recursive: true });
    for (const f of files) {
      await fsp.mkdir(path.dirname(path.join(pkg, f)), { recursive: true });
      await fsp.writeFile(path.join(pkg, f), `placeholder for ${f}\n`);
    }
  });

  it('lists the platforms of its prebuild jobs', () => {
    const dirs = new Set(files.map((f) => f.split('/')[1]));
    expect([...dirs].sort()).toEqual([
      'darwin-arm64',
      'darwin-x64',
      'linux-arm64',
      'linux-x64',
      'win32-x64',
    ]);
  });

  for (const dir of new Set(releasePrebuilds().map((f) => f.split('/')[1]!))) {
    const [platform, arch] = dir.split('-') as [string, string];
    it(`${dir}: electron-rebuild --platform ${platform} --arch ${arch} keeps the prebuild`, async () => {
      const r = await electronRebuild(app, ['--platform', platform, '--arch', arch, '--force']);
      expect(succeeded(r), describeResult(r)).toBe(true);
      expect(outputOf(r)).toMatch(
        new RegExp(`Found prebuilt Node-API module in \\S*/prebuilds/${dir}"`),
      );
      expect(await fsp.readFile(app.shimLog, 'utf8')).toBe('');
    });
  }

  for (const file of releasePrebuilds()) {
    const [, dir, name] = file.split('/') as [string, string, string];
    const [platform, arch] = dir.split('-') as [string, string];
    const libc = name.includes('.musl.') ? 'musl' : 'glibc';
    it(`${file}: node-gyp-build picks it for ${platform} ${arch}${platform === 'linux' ? ` ${libc}` : ''}`, async () => {
      const target = {
        npm_config_platform: platform,
        npm_config_arch: arch,
        LIBC: libc,
        PREBUILDS_ONLY: '1',
      };
      expect(await pick(app, target)).toBe(file);
      // Electron's runtime tag: node.napi is runtime-agnostic to node-gyp-build.
      expect(await pick(app, { ...target, ELECTRON_RUN_AS_NODE: '1' })).toBe(file);
    });
  }
});
