/**
 * One prebuilt binary for every Node: the tarball installed (no scripts, nothing compiled), then
 * test/fixtures/install/smoke.cjs run under this machine's Node and under Node 22 and 24 from the
 * npm packages node-linux-<arch>, all loading the SAME prebuilds/ .node (checked by path and
 * sha256): the encrypted-file tier, the tpm2 tier against a private swtpm, and worker_threads
 * (4 workers at once on both tiers, then workers terminated with work pending, 3 rounds, then
 * the main thread signs again). Each run must exit 0 by itself, with no signal, within 180 s
 * (a leaked handle would keep the process alive).
 *
 * The file's beforeAll installs the project and starts the swtpm; each runtime's block fetches
 * its Node; each smoke run uses a store directory of its own.
 */
import { createHash } from 'node:crypto';
import { existsSync, promises as fsp, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeResult, type ProcResult } from '../helpers/proc';
import {
  chosenPrebuild,
  fetchNode,
  installed,
  newProject,
  nodePackage,
  npmInstallTarball,
  runIn,
  succeeded,
} from '../helpers/package';
import { Swtpm } from '../helpers/swtpm';

// Node-API is ABI-stable: these are only the runtimes the test proves, not build targets.
const NODE_VERSIONS = ['22.23.3', '24.21.0'];
const SMOKE_TIMEOUT_MS = 180_000;

let work: string;
let project: string;
let install: ProcResult;
let tpm: Swtpm;
let prebuild: string; // relative to the installed package
let sha256: string;
const proven: string[] = [];

beforeAll(async () => {
  work = await fsp.mkdtemp(path.join(os.tmpdir(), 'dk-runtimes-'));
  project = await newProject(path.join(work, 'project'), 'dk-runtimes', [
    'smoke.cjs',
    'smoke-worker.cjs',
  ]);
  install = await npmInstallTarball(project, ['--ignore-scripts', '--loglevel=error']);
  tpm = await Swtpm.start();
  if (succeeded(install)) {
    prebuild = await chosenPrebuild(project);
    sha256 = createHash('sha256')
      .update(readFileSync(path.join(installed(project).pkg, prebuild)))
      .digest('hex');
    console.log(`the prebuild: ${prebuild} sha256 ${sha256}`);
  }
});
afterAll(async () => {
  await tpm?.stop();
  if (work) await fsp.rm(work, { recursive: true, force: true });
  console.log(
    `one binary (${prebuild}, sha256 ${sha256?.slice(0, 16)}...) proven on Node: ${proven.join(' ') || 'none'}`,
  );
});

describe('the tarball installed with --ignore-scripts', () => {
  it('npm install <tarball> --ignore-scripts', () => {
    expect(succeeded(install), describeResult(install)).toBe(true);
  });

  it('no build/ in the installed package', () => {
    expect(existsSync(path.join(installed(project).pkg, 'package.json'))).toBe(true);
    expect(existsSync(path.join(installed(project).pkg, 'build'))).toBe(false);
  });
});

const RUNTIMES = [
  { label: `this machine's Node (${process.version})`, version: process.version.slice(1) },
  ...NODE_VERSIONS.map((v) => ({ label: `Node v${v} (${nodePackage()}@${v})`, version: v })),
];

for (const { label, version } of RUNTIMES)
  describe(label, () => {
    let bin: string;
    let smokesPassed = 0;
    beforeAll(async () => {
      bin =
        version === process.version.slice(1) ? process.execPath : await fetchNode(version, work);
    });
    afterAll(() => {
      if (smokesPassed === 3) proven.push(`v${version}`);
    });

    /**
     * smoke.cjs MODE under this runtime: exits 0 by itself (no signal, no timeout), and its JSON
     * line names this Node and the very same prebuild. Returns that line.
     */
    async function smoke(mode: string): Promise<Record<string, unknown>> {
      if (!prebuild) throw new Error(`the install failed, so there is no prebuild to load`);
      const store = path.join(work, 'stores', `${version}-${mode}`);
      const r = await runIn(
        project,
        bin,
        ['smoke.cjs', mode, store],
        { DEVICE_KEYSTORE_TCTI: tpm.tcti },
        SMOKE_TIMEOUT_MS,
      );
      expect(
        succeeded(r),
        `${describeResult(r)}\n(a signal after ${SMOKE_TIMEOUT_MS / 1000} s: it did not exit by itself)`,
      ).toBe(true);
      const line = JSON.parse(r.out.trim().split('\n').pop()!);
      console.log(JSON.stringify(line));
      expect(line).toMatchObject({ node: `v${version}`, mode, addon: prebuild, sha256 });
      smokesPassed++;
      return line;
    }

    it('core smoke (encrypted-file: create, sign, verify, ECDH, secret)', async () => {
      expect(await smoke('core')).toMatchObject({ tier: 'encrypted-file', signatures: 5 });
    });

    it('TPM smoke (tpm2 on swtpm: create, 20 signs at once, ECDH, secret)', async () => {
      expect(await smoke('tpm')).toMatchObject({
        tier: 'tpm2',
        hardwareBacked: true,
        signatures: 20,
      });
    });

    it('worker_threads (4 at once on both tiers; terminate with work pending x3)', async () => {
      expect(await smoke('workers')).toMatchObject({
        workers: 4,
        rounds: 3,
        terminatedExitCodes: '1'.repeat(12),
      });
    });
  });
