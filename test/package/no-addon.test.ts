/**
 * No prebuild for this platform and no compiler: the install must still succeed, the
 * encrypted-file tier must work, and `doctor` must say why the addon is missing and the command
 * that builds it. The tarball under test is repacked without this platform's prebuilds/ folder
 * (the others stay: the case is "none matches", not "none shipped"), and installed with every
 * install script allowed while every build tool is a failing shim (helpers/package
 * makeToolShims): the package has no install script, so nothing may try to compile.
 */
import { existsSync, promises as fsp, readdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeResult, jsonOf, type ProcResult } from '../helpers/proc';
import {
  editedTarball,
  installed,
  makeToolShims,
  newProject,
  npmInstallTarball,
  outputOf,
  runIn,
  succeeded,
} from '../helpers/package';

let work: string;
let project: string;
let install: ProcResult;
let shimLog: string;

beforeAll(async () => {
  work = await fsp.mkdtemp(path.join(os.tmpdir(), 'dk-no-addon-'));
  const tarball = await editedTarball(work, 'no-prebuild-here', async (pkg) => {
    const prebuilds = path.join(pkg, 'prebuilds');
    for (const d of readdirSync(prebuilds).filter((d) => d.startsWith(`${process.platform}-`)))
      await fsp.rm(path.join(prebuilds, d), { recursive: true });
    // Another platform's prebuild stays, so node-gyp-build has prebuilds/ to look through.
    await fsp.mkdir(path.join(prebuilds, 'aix-ppc64'), { recursive: true });
    await fsp.writeFile(path.join(prebuilds, 'aix-ppc64', 'node.napi.node'), 'not for here');
  });
  project = await newProject(path.join(work, 'project'), 'dk-no-addon', ['consumer.cjs']);
  const shims = await makeToolShims(path.join(work, 'shims'));
  shimLog = shims.log;
  install = await npmInstallTarball(
    project,
    ['--foreground-scripts', '--loglevel=info', '--dangerously-allow-all-scripts'],
    { ...shims.env, npm_config_build_from_source: 'false' },
    tarball,
  );
});
afterAll(async () => {
  if (work) await fsp.rm(work, { recursive: true, force: true });
});

describe('npm install <tarball without this platform prebuild>, no compiler', () => {
  it('the install succeeds', () => {
    expect(succeeded(install), describeResult(install)).toBe(true);
  });

  it('nothing tried to compile (no install script; gypfile false stops npm adding node-gyp)', async () => {
    expect(await fsp.readFile(shimLog, 'utf8')).toBe('');
  });

  it('no build/ is left behind', () => {
    const { pkg } = installed(project);
    expect(existsSync(path.join(pkg, 'package.json'))).toBe(true);
    expect(existsSync(path.join(pkg, 'build'))).toBe(false);
  });
});

describe('the package installed without its addon', () => {
  it('require + an encrypted-file round trip (node:crypto verifies); the addon did not load', async () => {
    const r = await runIn(project, process.execPath, ['consumer.cjs', path.join(work, 'store-a')]);
    expect(succeeded(r), describeResult(r)).toBe(true);
    const facts = JSON.parse(r.out.trim().split('\n').pop()!) as Record<string, unknown>;
    expect(facts).toMatchObject({ addonLoaded: false, tier: 'encrypted-file' });
    expect(String(facts.addonError)).toMatch(/No native build was found/);
  });

  it('the CLI: init picks encrypted-file, sign and verify work', async () => {
    const { cli } = installed(project);
    const store = path.join(work, 'store-cli');
    const msg = path.join(work, 'msg.txt');
    const sig = path.join(work, 'msg.sig');
    await fsp.writeFile(msg, 'signed without the addon\n');
    const init = await runIn(work, cli, ['init', '--name', 'no-addon', '--dir', store, '--json']);
    expect(succeeded(init), describeResult(init)).toBe(true);
    expect(jsonOf(init).identity.tier).toBe('encrypted-file');
    const sign = await runIn(work, cli, ['sign', '--dir', store, '--in', msg, '--out', sig]);
    expect(succeeded(sign), describeResult(sign)).toBe(true);
    const verify = await runIn(work, cli, [
      'verify',
      '--dir',
      store,
      '--in',
      msg,
      '--signature',
      sig,
    ]);
    expect(succeeded(verify), describeResult(verify)).toBe(true);
  });

  it('doctor --json: the addon is missing, why, and what to do; tpm2 unavailable for it', async () => {
    const { cli } = installed(project);
    const r = await runIn(work, cli, ['doctor', '--dir', path.join(work, 'store-doc'), '--json']);
    expect(succeeded(r), describeResult(r)).toBe(true);
    const d = jsonOf(r);
    expect(d.environment.addon).toMatchObject({ loaded: false });
    expect(d.environment.addon.error).toMatch(
      new RegExp(`No native build was found for platform=${process.platform} arch=${process.arch}`),
    );
    expect(d.environment.addon.hint).toMatch(/encrypted-file tier works without it/);
    // The fix that works under every npm script policy, and not the one that silently does nothing.
    expect(d.environment.addon.hint).toContain(
      'npm explore device-keystore -- npm run build:addon',
    );
    expect(d.environment.addon.hint).toContain('`npm rebuild` does not build it');
    if (process.platform === 'linux') {
      const t = d.tiers.find((t: { tier: string }) => t.tier === 'tpm2');
      expect(t, JSON.stringify(d.tiers)).toMatchObject({ status: 'unavailable' });
      expect(t.reason).toMatch(/native addon did not load/);
    }
  });

  it('the CLI asked for the TPM: exit 8, the load error as the cause, the build command as the fix', async (ctx) => {
    if (process.platform !== 'linux') ctx.skip('the tpm2 tier is Linux only');
    const { cli } = installed(project);
    const r = await runIn(
      work,
      cli,
      ['init', '--name', 'x', '--backend', 'tpm2', '--dir', path.join(work, 'store-tpm')],
      { DEVICE_KEYSTORE_TCTI: 'swtpm:host=127.0.0.1,port=1' },
    );
    expect(r.code, describeResult(r)).toBe(8);
    expect(outputOf(r)).toMatch(/native addon did not load: No native build was found/);
    expect(outputOf(r)).toContain('npm explore device-keystore -- npm run build:addon');
  });

  it('doctor (text) says the same in one line', async () => {
    const { cli } = installed(project);
    const r = await runIn(work, cli, ['doctor', '--dir', path.join(work, 'store-doc2')]);
    expect(succeeded(r), describeResult(r)).toBe(true);
    expect(r.out).toMatch(
      /native addon: not loaded \(No native build was found.*npm explore device-keystore -- npm run build:addon/,
    );
  });

  it('doctor --production: the addon item fails and names the fix, exit 1', async () => {
    const { cli } = installed(project);
    const store = path.join(work, 'store-prod');
    const init = await runIn(work, cli, ['init', '--name', 'prod', '--dir', store]);
    expect(succeeded(init), describeResult(init)).toBe(true);
    const r = await runIn(work, cli, ['doctor', '--production', '--dir', store, '--json']);
    expect(r.code, describeResult(r)).toBe(1);
    const addon = jsonOf(r).items.find((i: { id: string }) => i.id === 'addon');
    expect(addon.verdict).toBe('fail');
    expect(addon.evidence.join()).toMatch(/did not load: No native build was found/);
    expect(addon.fix).toContain('npm explore device-keystore -- npm run build:addon');
  });
});
