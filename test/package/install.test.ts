/**
 * The tarball installed the way a user installs it, on a machine where nothing may be compiled,
 * and then used: `require` and `import`, the types, the CLI on the encrypted-file tier, a TPM
 * signature against a private swtpm through the prebuilt addon, and the package with the tss2
 * libraries hidden. "Nothing may be compiled": every build tool is a shell shim that logs and
 * fails (helpers/package makeToolShims), CC and CXX are unset, and the shim log must stay empty;
 * a control shows that a real compile attempt is caught by them.
 *
 * Two consumer projects are installed once, in the file's beforeAll: `a` with --ignore-scripts,
 * `b` with every install script allowed (the package has none: it needs none). Each block below uses them as installed
 * and makes its own stores, swtpm and scratch files; none depends on another having run.
 */
import { promises as fsp, readdirSync, existsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, describeResult, jsonOf, opensslVerifies, type ProcResult } from '../helpers/proc';
import {
  installed,
  makeToolShims,
  newProject,
  npmInstallTarball,
  outputOf,
  packageTarball,
  runIn,
  succeeded,
} from '../helpers/package';
import { Swtpm } from '../helpers/swtpm';

const CONSUMER_FILES = ['consumer.cjs', 'consumer.mjs', 'types.cts', 'types.mts', 'tsconfig.json'];
const MESSAGE = 'a message signed by the installed CLI\n';

interface Install {
  project: string;
  result: ProcResult;
  shimLog: string;
  /** The environment the install ran in: the shims first on PATH, CC and CXX unset. */
  shimEnv: Record<string, string | undefined>;
}

let work: string;
let a: Install; // installed with --ignore-scripts
let b: Install; // installed with every install script allowed

/** npm install <tarball> into a new project, with the build tools shimmed and logged. */
async function installNoCompiler(name: string, extra: string[]): Promise<Install> {
  const project = await newProject(path.join(work, name), 'dk-consumer', CONSUMER_FILES);
  const shims = await makeToolShims(path.join(work, `${name}-shims`));
  const result = await npmInstallTarball(
    project,
    ['--foreground-scripts', '--loglevel=info', ...extra],
    { ...shims.env, npm_config_build_from_source: 'false' },
  );
  return { project, result, shimLog: shims.log, shimEnv: shims.env };
}

beforeAll(async () => {
  packageTarball(); // fails the whole file at once when there is no tarball
  work = await fsp.mkdtemp(path.join(os.tmpdir(), 'dk-install-'));
  a = await installNoCompiler('project-ignore-scripts', ['--ignore-scripts']);
  b = await installNoCompiler('project-with-scripts', ['--dangerously-allow-all-scripts']);
});
afterAll(async () => {
  if (work) await fsp.rm(work, { recursive: true, force: true });
});

const noBuildTools = async (i: Install) =>
  expect(await fsp.readFile(i.shimLog, 'utf8'), 'build tools were invoked').toBe('');

const noBuildDir = (i: Install) => {
  const { pkg } = installed(i.project);
  expect(existsSync(path.join(pkg, 'package.json')), `not installed: ${pkg}`).toBe(true);
  expect(existsSync(path.join(pkg, 'build')), `${pkg}/build exists`).toBe(false);
};

/** The last line a process printed, as JSON. */
function lastJson(r: ProcResult): Record<string, unknown> {
  return JSON.parse(r.out.trim().split('\n').pop()!);
}

/** node <script> <store> in a consumer project: it must exit 0; returns its JSON line. */
async function runConsumer(
  project: string,
  script: string,
  store: string,
  env: Record<string, string | undefined> = {},
): Promise<Record<string, unknown>> {
  const r = await runIn(project, process.execPath, [script, store], env);
  expect(succeeded(r), describeResult(r)).toBe(true);
  return lastJson(r);
}

describe('npm install <tarball> --ignore-scripts, npm_config_build_from_source=false', () => {
  it('the install succeeds', () => {
    expect(succeeded(a.result), describeResult(a.result)).toBe(true);
  });

  it('no compiler, make or node-gyp ran', () => noBuildTools(a));

  it(`no build/ in the installed package; a prebuild for ${process.platform} there`, () => {
    noBuildDir(a);
    const prebuilds = path.join(installed(a.project).pkg, 'prebuilds');
    const here = readdirSync(prebuilds).filter((d) => d.startsWith(`${process.platform}-`));
    const addons = here.flatMap((d) => readdirSync(path.join(prebuilds, d)));
    expect(addons.filter((f) => f.endsWith('.node'))).not.toEqual([]);
  });
});

describe('npm install <tarball> with every install script allowed: there is none to run', () => {
  it('the install succeeds', () => {
    expect(succeeded(b.result), describeResult(b.result)).toBe(true);
  });

  it('the package declares no install script, and npm ran none (nor node-gyp: gypfile false)', async () => {
    const log = outputOf(b.result);
    expect(log).not.toMatch(/run device-keystore@\S+ (preinstall|install|postinstall)/);
    const manifest = JSON.parse(
      await fsp.readFile(path.join(installed(b.project).pkg, 'package.json'), 'utf8'),
    );
    for (const k of ['preinstall', 'install', 'postinstall', 'prepare'])
      expect(manifest.scripts?.[k], `scripts.${k}`).toBeUndefined();
    expect(manifest.gypfile).toBe(false);
  });

  it('no compiler, make or node-gyp ran', () => noBuildTools(b));

  it('no build/ in the installed package', () => noBuildDir(b));

  it('require() from the project installed with scripts: file tier round trip', async () => {
    await runConsumer(b.project, 'consumer.cjs', path.join(work, 'store-b'));
  });
});

describe('require, import and the types in the installed package', () => {
  let cjs: ProcResult;
  beforeAll(async () => {
    cjs = await runIn(a.project, process.execPath, ['consumer.cjs', path.join(work, 'store-cjs')], {
      DK_EXPECT_PREBUILD: '1',
    });
  });

  it("require('device-keystore'): the addon from prebuilds/, a file tier round trip", () => {
    expect(succeeded(cjs), describeResult(cjs)).toBe(true);
  });

  it('the addon it loaded is the prebuild, with the TPM tier built in', () => {
    const r = lastJson(cjs);
    expect(r.addonLoaded, JSON.stringify(r)).toBe(true);
    expect(String(r.addon)).toMatch(new RegExp(`^prebuilds/${process.platform}-${process.arch}/`));
    if (process.platform === 'linux') expect(r.tpmTier).toBe(true);
    expect(r.tier).toBe('encrypted-file');
  });

  it('doctor --json says the binary in use came from prebuilds/', async () => {
    const store = path.join(work, 'store-doctor');
    const r = await runIn(work, installed(a.project).cli, ['doctor', '--dir', store, '--json']);
    expect(succeeded(r), describeResult(r)).toBe(true);
    const { addon } = jsonOf(r).environment;
    expect(addon).toMatchObject({ loaded: true, origin: 'prebuilds' });
    expect(addon.path).toMatch(new RegExp(`/prebuilds/${process.platform}-${process.arch}/`));
  });

  it("import from 'device-keystore' (ESM): the same classes as require, a file tier round trip", async () => {
    const r = await runConsumer(a.project, 'consumer.mjs', path.join(work, 'store-esm'));
    expect(r).toMatchObject({ esm: true, sameClasses: true, tier: 'encrypted-file' });
  });

  it('the shipped types check (tsc, module node16, .cts and .mts)', async () => {
    const r = await runIn(a.project, process.execPath, [
      path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
      '-p',
      'tsconfig.json',
      '--typeRoots',
      path.join(ROOT, 'node_modules', '@types'),
    ]);
    expect(succeeded(r), describeResult(r)).toBe(true);
  });
});

/**
 * The installed CLI (project a's bin link) on a store of its own, in a scratch dir of its own
 * with the message files; `env` is added to every command.
 */
async function cliSession(label: string, env: Record<string, string> = {}) {
  const dir = await fsp.mkdtemp(path.join(work, `${label}-`));
  const f = (n: string) => path.join(dir, n);
  await fsp.writeFile(f('msg.txt'), MESSAGE);
  await fsp.writeFile(f('other.txt'), MESSAGE.replace('CLI', 'CLI!'));
  const s = { dir, store: f('store'), msg: f('msg.txt'), sig: f('msg.sig'), pem: f('pub.pem') };
  const run = (...args: string[]) => runIn(work, installed(a.project).cli, args, env);
  return {
    ...s,
    other: f('other.txt'),
    run,
    init: (...opts: string[]) => run('init', '--dir', s.store, '--json', ...opts),
    sign: (...opts: string[]) =>
      run('sign', '--dir', s.store, '--in', s.msg, '--out', s.sig, ...opts),
    verify: (msg: string, ...opts: string[]) =>
      run('verify', '--dir', s.store, '--in', msg, '--signature', s.sig, ...opts),
    publicKey: () => run('public-key', '--dir', s.store, '--format', 'pem', '--out', s.pem),
  };
}
type CliSession = Awaited<ReturnType<typeof cliSession>>;
const BINARY = ['--encoding', 'binary'];

describe('the installed CLI on the encrypted-file tier', () => {
  let cli: CliSession;
  let init: ProcResult;
  let sign: ProcResult;
  let pub: ProcResult;
  beforeAll(async () => {
    cli = await cliSession('cli-file');
    init = await cli.init('--name', 'installed', '--backend', 'encrypted-file');
    sign = await cli.sign(...BINARY);
    pub = await cli.publicKey();
  });

  it('device-keystore init --backend encrypted-file', () => {
    expect(succeeded(init), describeResult(init)).toBe(true);
    expect(jsonOf(init).identity.tier).toBe('encrypted-file');
  });

  it('device-keystore sign (encrypted-file)', () => {
    expect(succeeded(sign), describeResult(sign)).toBe(true);
  });

  it('device-keystore verify accepts the signature', async () => {
    const r = await cli.verify(cli.msg, ...BINARY);
    expect(succeeded(r), describeResult(r)).toBe(true);
  });

  it('device-keystore verify rejects another message (exit 1)', async () => {
    const r = await cli.verify(cli.other, ...BINARY);
    expect(r.code, describeResult(r)).toBe(1);
  });

  it('device-keystore public-key', () => {
    expect(succeeded(pub), describeResult(pub)).toBe(true);
  });

  it("openssl verifies the CLI's signature", async () => {
    expect(await opensslVerifies(cli.pem, cli.msg, cli.sig)).toBe(true);
  });
});

describe('the installed CLI on the tpm2 tier (a private swtpm, the prebuilt addon)', () => {
  let tpm: Swtpm;
  let cli: CliSession;
  let init: ProcResult;
  let sign: ProcResult;
  let pub: ProcResult;
  beforeAll(async () => {
    tpm = await Swtpm.start();
    cli = await cliSession('cli-tpm', { DEVICE_KEYSTORE_TCTI: tpm.tcti });
    init = await cli.init('--name', 'tpm', '--backend', 'tpm2');
    sign = await cli.sign(...BINARY);
    pub = await cli.publicKey();
  });
  afterAll(() => tpm?.stop());

  it('device-keystore init --backend tpm2', () => {
    expect(succeeded(init), describeResult(init)).toBe(true);
    expect(jsonOf(init).identity.tier).toBe('tpm2');
  });

  it('device-keystore sign (tpm2)', () => {
    expect(succeeded(sign), describeResult(sign)).toBe(true);
  });

  it('device-keystore public-key (tpm2)', () => {
    expect(succeeded(pub), describeResult(pub)).toBe(true);
  });

  it('openssl verifies the TPM signature', async () => {
    expect(await opensslVerifies(cli.pem, cli.msg, cli.sig)).toBe(true);
  });

  it('info --json: the identity key is in tpm2, hardware-backed', async () => {
    const r = await cli.run('info', '--dir', cli.store, '--json');
    expect(succeeded(r), describeResult(r)).toBe(true);
    const d = jsonOf(r);
    const k = d.keys.find((k: { alias: string }) => k.alias === d.identity.keyAlias);
    expect(k, JSON.stringify(d)).toMatchObject({ tier: 'tpm2', hardwareBacked: true });
  });
});

describe('without the tss2 libraries (DEVICE_KEYSTORE_TSS2_LIBDIR = an empty directory)', () => {
  let tpm: Swtpm;
  let hidden: Record<string, string>;
  let cli: CliSession;
  let init: ProcResult;
  beforeAll(async () => {
    // A TPM is reachable: what is missing is only the library.
    tpm = await Swtpm.start();
    const nolib = await fsp.mkdtemp(path.join(work, 'no-tss2-'));
    hidden = { DEVICE_KEYSTORE_TSS2_LIBDIR: nolib, DEVICE_KEYSTORE_TCTI: tpm.tcti };
    cli = await cliSession('cli-nolib', hidden);
    init = await cli.init('--name', 'nolib');
  });
  afterAll(() => tpm?.stop());

  it('require + file tier round trip', async () => {
    await runConsumer(a.project, 'consumer.cjs', path.join(work, 'store-nolib-cjs'), hidden);
  });

  it('import + file tier round trip', async () => {
    await runConsumer(a.project, 'consumer.mjs', path.join(work, 'store-nolib-esm'), hidden);
  });

  it('device-keystore init (auto picks encrypted-file)', () => {
    expect(succeeded(init), describeResult(init)).toBe(true);
    expect(jsonOf(init).identity.tier).toBe('encrypted-file');
  });

  it('device-keystore sign + verify', async () => {
    const sign = await cli.sign();
    expect(succeeded(sign), describeResult(sign)).toBe(true);
    const verify = await cli.verify(cli.msg);
    expect(succeeded(verify), describeResult(verify)).toBe(true);
  });

  it("doctor --json names libtss2-esys.so.0 as the tpm2 tier's reason", async () => {
    const d = jsonOf(await cli.run('doctor', '--dir', cli.store, '--json'));
    const t = d.tiers.find((t: { tier: string }) => t.tier === 'tpm2');
    expect(d.tier, JSON.stringify(d)).toBe('encrypted-file');
    expect(t.status).toBe('unavailable');
    expect(t.reason).toMatch(/libtss2-esys\.so\.0/);
  });

  it('init --backend tpm2 fails with exit 8, naming the library', async () => {
    const store = path.join(cli.dir, 'store-tpm');
    const r = await cli.run('init', '--name', 'x', '--backend', 'tpm2', '--dir', store);
    expect(r.code, describeResult(r)).toBe(8);
    expect(outputOf(r)).toContain('libtss2-esys.so.0');
  });
});

describe('control: the shims do catch a compile', () => {
  let c: Install;
  let rebuild: ProcResult;
  beforeAll(async () => {
    // A project of its own: the rebuild would leave a build/ behind in a or b.
    c = await installNoCompiler('project-control', ['--ignore-scripts']);
    expect(succeeded(c.result), describeResult(c.result)).toBe(true);
    await fsp.writeFile(c.shimLog, '');
    // The explicit source build the docs name (scripts/build-addon.cjs).
    rebuild = await runIn(
      c.project,
      'npm',
      ['explore', 'device-keystore', '--', 'npm', 'run', 'build:addon'],
      c.shimEnv,
    );
  });

  it('npm explore device-keystore -- npm run build:addon under the shims fails, and says why', () => {
    expect(outputOf(rebuild)).toContain('the source build failed');
    expect(rebuild.code, describeResult(rebuild)).not.toBe(0);
  });

  it('and the shim log recorded the build tool it ran', async () => {
    expect(await fsp.readFile(c.shimLog, 'utf8')).not.toBe('');
  });
});
