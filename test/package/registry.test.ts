/**
 * The package as users get it: published to a real registry (verdaccio on loopback,
 * helpers/registry) and installed by name, under npm's script policies:
 *   - npm 11 with its defaults,
 *   - npm 11 with strict-allow-scripts=true (0.1.0 failed here: ESTRICTALLOWSCRIPTS, because it
 *     declared an install script even when its prebuild matched),
 *   - npm 11 with the package denied (`npm install-scripts deny device-keystore`, then a fresh
 *     install from package.json),
 *   - npm 10 (10.8.2, the npm Node 20 ships).
 * Each installs the published 0.2.0 (this machine's prebuild in it) and a variant published under
 * the tag `nomatch` with this machine's prebuilds removed, every build tool a failing shim.
 * Matching: the install succeeds, nothing compiles, the prebuild loads. No match: the install
 * still succeeds, nothing tries to compile, the file tier works, and the load error and
 * `doctor` name the cause and the command that builds it. That command,
 * `npm explore device-keystore -- npm run build:addon`, is then run for real (a compiler, no
 * shims) under the strictest npm 11 policy (strict and denied at once) and under npm 10, and the
 * package loads the build it made.
 */
import { existsSync, promises as fsp, readdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeResult, jsonOf, type ProcResult } from '../helpers/proc';
import {
  editedTarball,
  makeToolShims,
  newProject,
  outputOf,
  packageTarball,
  runIn,
  succeeded,
} from '../helpers/package';
import { NPM10_VERSION, Registry, npm10 } from '../helpers/registry';

const NOMATCH = '0.2.0-nomatch';
const FIX = 'npm explore device-keystore -- npm run build:addon';

let work: string;
let registry: Registry;
let npm10Cli: string;

beforeAll(async () => {
  const tarball = packageTarball();
  work = await fsp.mkdtemp(path.join(os.tmpdir(), 'dk-registry-'));
  registry = await Registry.start(work);
  await registry.publish(tarball);
  const stripped = await editedTarball(work, 'nomatch', async (pkg) => {
    const prebuilds = path.join(pkg, 'prebuilds');
    for (const d of readdirSync(prebuilds).filter((d) => d.startsWith(`${process.platform}-`)))
      await fsp.rm(path.join(prebuilds, d), { recursive: true });
    const manifest = JSON.parse(await fsp.readFile(path.join(pkg, 'package.json'), 'utf8'));
    manifest.version = NOMATCH;
    await fsp.writeFile(path.join(pkg, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  });
  await registry.publish(stripped, 'nomatch');
  npm10Cli = await npm10(work);
}, 600_000);
afterAll(async () => {
  await registry?.stop();
  if (work) await fsp.rm(work, { recursive: true, force: true });
});

interface Policy {
  name: string;
  /** The npm CLI: the host's npm 11, or npm 10 run by this Node. */
  npm: () => string[];
  /** Flags for every install. */
  flags: string[];
  /** Deny the package's install scripts in the project (npm 11's allowScripts). */
  deny?: boolean;
}

const POLICIES: Policy[] = [
  { name: 'npm 11, defaults', npm: () => ['npm'], flags: [] },
  {
    name: 'npm 11, strict-allow-scripts=true',
    npm: () => ['npm'],
    flags: ['--strict-allow-scripts=true'],
  },
  {
    name: 'npm 11, install scripts denied (npm install-scripts deny), strict-allow-scripts=true',
    npm: () => ['npm'],
    flags: ['--strict-allow-scripts=true'],
    deny: true,
  },
  { name: `npm ${NPM10_VERSION}`, npm: () => [process.execPath, npm10Cli], flags: [] },
];

function npmIn(
  p: Policy,
  project: string,
  args: string[],
  env: Record<string, string | undefined> = {},
) {
  const [cmd, ...pre] = p.npm();
  return runIn(project, cmd!, [...pre, ...args], { ...registry.env, ...env });
}

/** A project that installed `spec` by name under policy `p`, every build tool a shim. */
async function installUnder(p: Policy, spec: string, name: string) {
  const project = await newProject(path.join(work, name), name, ['consumer.cjs']);
  const shims = await makeToolShims(path.join(work, `${name}-shims`));
  const install = async () => npmIn(p, project, ['install', spec, ...p.flags], shims.env);
  let result = await install();
  if (p.deny && succeeded(result)) {
    // As a user does: the package is in package.json, deny it, install again from scratch.
    const deny = await npmIn(p, project, ['install-scripts', 'deny', 'device-keystore']);
    if (!succeeded(deny)) throw new Error(`install-scripts deny failed:\n${describeResult(deny)}`);
    await fsp.rm(path.join(project, 'node_modules'), { recursive: true, force: true });
    result = await npmIn(p, project, ['install', ...p.flags], shims.env);
  }
  return { project, result, shimLog: shims.log };
}

/** consumer.cjs in `project`, with a store of its own (`store`, under the project). */
const consumer = (
  project: string,
  env: Record<string, string> = {},
  store = 'store',
): Promise<ProcResult> =>
  runIn(project, process.execPath, ['consumer.cjs', path.join(project, store)], env);

for (const [n, p] of POLICIES.entries())
  describe(p.name, () => {
    describe('device-keystore@0.2.0 (a prebuild for this machine)', () => {
      let i: Awaited<ReturnType<typeof installUnder>>;
      beforeAll(async () => {
        i = await installUnder(p, 'device-keystore@0.2.0', `p${n}-match`);
      }, 300_000);

      it('the install succeeds, and nothing compiled', async () => {
        expect(succeeded(i.result), describeResult(i.result)).toBe(true);
        expect(outputOf(i.result)).not.toMatch(/ESTRICTALLOWSCRIPTS/);
        expect(await fsp.readFile(i.shimLog, 'utf8')).toBe('');
      });

      if (p.deny)
        it("the project's package.json records the denial", async () => {
          const pj = JSON.parse(await fsp.readFile(path.join(i.project, 'package.json'), 'utf8'));
          expect(JSON.stringify(pj.allowScripts ?? pj), 'allowScripts').toMatch(/device-keystore/);
        });

      it('the prebuild loads, and the file tier round-trips', async () => {
        const r = await consumer(i.project, { DK_EXPECT_PREBUILD: '1' });
        expect(succeeded(r), describeResult(r)).toBe(true);
        expect(jsonOf(r)).toMatchObject({ addonLoaded: true, tier: 'encrypted-file' });
        expect(String(jsonOf(r).addon)).toMatch(new RegExp(`^prebuilds/${process.platform}-`));
      });
    });

    describe(`device-keystore@nomatch (${NOMATCH}: no prebuild for this machine)`, () => {
      let i: Awaited<ReturnType<typeof installUnder>>;
      beforeAll(async () => {
        i = await installUnder(p, 'device-keystore@nomatch', `p${n}-nomatch`);
      }, 300_000);

      it('the install succeeds, and nothing tried to compile', async () => {
        expect(succeeded(i.result), describeResult(i.result)).toBe(true);
        expect(await fsp.readFile(i.shimLog, 'utf8')).toBe('');
        expect(existsSync(path.join(i.project, 'node_modules/device-keystore/build'))).toBe(false);
      });

      it('the file tier works; the load error names the cause', async () => {
        const r = await consumer(i.project);
        expect(succeeded(r), describeResult(r)).toBe(true);
        expect(jsonOf(r)).toMatchObject({ addonLoaded: false, tier: 'encrypted-file' });
        expect(String(jsonOf(r).addonError)).toMatch(
          new RegExp(
            `No native build was found for platform=${process.platform} arch=${process.arch}`,
          ),
        );
      });

      it(`doctor names the cause and the fix (${FIX})`, async () => {
        const cli = path.join(i.project, 'node_modules', '.bin', 'device-keystore');
        const r = await runIn(i.project, cli, [
          'doctor',
          '--dir',
          path.join(i.project, 'doc'),
          '--json',
        ]);
        expect(succeeded(r), describeResult(r)).toBe(true);
        const addon = jsonOf(r).environment.addon;
        expect(addon.error).toMatch(/No native build was found/);
        expect(addon.hint).toContain(FIX);
      });

      // The fix, compiled for real, under the strictest npm 11 policy and under npm 10.
      if (p.deny || p.npm()[0] !== 'npm')
        it(`the fix works under this policy: ${FIX} compiles, and the package loads that build`, async () => {
          const [npmCmd, ...npmPre] = p.npm();
          const inner = [npmCmd, ...npmPre, 'run', 'build:addon'].join(' ');
          const r = await npmIn(p, i.project, ['explore', 'device-keystore', '--', inner]);
          expect(succeeded(r), describeResult(r)).toBe(true);
          expect(outputOf(r)).toContain('built build/Release/device_keystore.node, and it loads');
          const c = await consumer(i.project, {}, 'store-after-build');
          expect(succeeded(c), describeResult(c)).toBe(true);
          expect(jsonOf(c)).toMatchObject({
            addonLoaded: true,
            addon: 'build/Release/device_keystore.node',
          });
        }, 600_000);
    });
  });
