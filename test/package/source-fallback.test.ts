/**
 * The source build from the tarball on a machine without the tss2 headers: the tarball installed,
 * then the explicit source build a user runs where no prebuild matches (the package has no
 * install script): `npm explore device-keystore -- npm run build:addon`, both in a private mount
 * namespace (`unshare -m`, root only) with an empty directory mounted over
 * /usr/include/tss2. The build succeeds, node-gyp compiled the addon, the package loads that
 * build (build/Release) with the TPM tier in it (the tarball carries the tss2 declarations in
 * native/linux-tpm/vendor/tss2; the runtime libraries are installed), and the installed CLI signs
 * with it on a private swtpm (init --backend tpm2, sign, openssl verifies), and on the file tier.
 * Only the install runs in the namespace; everything after it runs as a user's process would.
 * Where `unshare -m` is not permitted, or this is not root, the file prints why and is skipped.
 * test/package/source-build.test.ts checks the same for a build of this checkout.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeResult, opensslVerifies, type ProcResult } from '../helpers/proc';
import {
  installed,
  newProject,
  outputOf,
  packageTarball,
  runIn,
  succeeded,
} from '../helpers/package';
import { Swtpm } from '../helpers/swtpm';

const SYSTEM_HEADERS = '/usr/include/tss2';
const BUILT = 'build/Release/device_keystore.node';
const INSTALL_TIMEOUT_MS = 540_000;

/** Why this file cannot run here, or undefined when it can. */
function cannotRun(): string | undefined {
  if (process.getuid?.() !== 0) return 'hiding /usr/include/tss2 needs root (unshare -m, mount)';
  const probe = spawnSync('unshare', ['-m', 'true'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    const why = probe.error ? probe.error.message : `${probe.stderr}`.trim();
    return `unshare -m is not permitted here: ${why || `exit ${probe.status}`}`;
  }
  return undefined;
}

const skipReason = cannotRun();
if (skipReason) console.log(`test/package/source-fallback.test.ts: SKIPPED - ${skipReason}`);

describe.skipIf(skipReason !== undefined)(
  'npm install <tarball>, then npm explore device-keystore -- npm run build:addon, /usr/include/tss2 hidden',
  () => {
    let work: string;
    let project: string;
    let install: ProcResult;
    let tpm: Swtpm;

    beforeAll(async () => {
      const tarball = packageTarball(); // fails the whole file at once when there is no tarball
      work = await fsp.mkdtemp(path.join(os.tmpdir(), 'dk-fallback-'));
      const empty = path.join(work, 'empty');
      await fsp.mkdir(empty);
      project = await newProject(path.join(work, 'project'), 'dk-fallback', []);
      // Inside the namespace: hide the headers, prove they are gone, install. Nothing else runs
      // there.
      const script = [
        'set -e',
        `if [ -d ${SYSTEM_HEADERS} ]; then mount --bind "$1" ${SYSTEM_HEADERS}; fi`,
        `test ! -e ${SYSTEM_HEADERS}/tss2_esys.h`,
        `echo "headers hidden: $(ls -A ${SYSTEM_HEADERS} 2>/dev/null | wc -l) files in ${SYSTEM_HEADERS}"`,
        'npm install "$2" --no-audit --no-fund',
        'exec npm explore device-keystore -- npm run build:addon',
      ].join('\n');
      const started = Date.now();
      install = await runIn(
        project,
        'unshare',
        ['-m', 'sh', '-c', script, 'sh', empty, tarball],
        // The local build is the subject: node-gyp-build must be free to prefer build/ over the
        // tarball's prebuilds (the release runs the packaging tests with PREBUILDS_ONLY=1).
        { PREBUILDS_ONLY: undefined },
        INSTALL_TIMEOUT_MS,
      );
      console.log(
        `install from source: exit ${install.code} in ${((Date.now() - started) / 1000).toFixed(0)} s\n` +
          outputOf(install).trim().split('\n').slice(-15).join('\n'),
      );
      tpm = await Swtpm.start();
    }, INSTALL_TIMEOUT_MS + 60_000);

    afterAll(async () => {
      await tpm?.stop();
      if (work) await fsp.rm(work, { recursive: true, force: true });
    });

    it('the install and the source build (the headers hidden) succeed', () => {
      expect(succeeded(install), describeResult(install)).toBe(true);
      expect(install.out).toMatch(
        new RegExp(`^headers hidden: 0 files in ${SYSTEM_HEADERS}$`, 'm'),
      );
      // The system headers are back outside the namespace; only the install did not see them.
      expect(existsSync(path.join(SYSTEM_HEADERS, 'tss2_esys.h'))).toBe(existsSync(SYSTEM_HEADERS));
    });

    it('build:addon compiled it (the log shows a node-gyp build) and checked that it loads', () => {
      const log = outputOf(install);
      expect(log).toMatch(/gyp info ok/);
      expect(log).toContain('built build/Release/device_keystore.node, and it loads');
      expect(existsSync(path.join(installed(project).pkg, BUILT)), `no ${BUILT}`).toBe(true);
    });

    it('the addon is build/Release and has the TPM tier', async () => {
      const r = await runIn(project, process.execPath, [
        '-e',
        `const path = require('path');
         const pkg = path.dirname(require.resolve('device-keystore/package.json'));
         const n = require(path.join(pkg, 'dist/addon/load.js')).loadNative();
         console.log(JSON.stringify(n.ok
           ? { ok: true, addon: path.relative(pkg, n.path), tpmTier: typeof n.addon.TpmConnection === 'function' }
           : { ok: false, error: String(n.error) }));`,
      ]);
      expect(succeeded(r), describeResult(r)).toBe(true);
      const facts = JSON.parse(r.out.trim().split('\n').pop()!) as Record<string, unknown>;
      expect(facts).toEqual({ ok: true, addon: BUILT, tpmTier: true });
    });

    /** With the installed CLI: init, sign, export the public key, info; openssl verifies. */
    async function tierSigns(backend: 'tpm2' | 'encrypted-file', env = {}): Promise<void> {
      const { cli } = installed(project);
      const store = await fsp.mkdtemp(path.join(work, `store-${backend}-`));
      const [msg, sig, pem] = ['msg', 'sig', 'pem'].map((f) => path.join(work, `${backend}.${f}`));
      await fsp.writeFile(msg!, 'built from source\n');
      const steps: [string, string[]][] = [
        ['init', ['init', '--name', 'fallback', '--backend', backend, '--dir', store]],
        ['sign', ['sign', '--dir', store, '--in', msg!, '--out', sig!, '--encoding', 'binary']],
        ['public-key', ['public-key', '--dir', store, '--format', 'pem', '--out', pem!]],
        ['info', ['info', '--dir', store, '--json']],
      ];
      let info: ProcResult | undefined;
      for (const [name, args] of steps) {
        const r = await runIn(project, cli, args, env, 120_000);
        expect(succeeded(r), `${name}:\n${describeResult(r)}`).toBe(true);
        info = r;
      }
      const facts = JSON.parse(info!.out) as { tier: unknown; environment: { addon: unknown } };
      expect(facts.tier).toBe(backend);
      // doctor says where the binary in use came from: this machine's build.
      expect(facts.environment.addon).toMatchObject({ loaded: true, origin: 'build' });
      expect(await opensslVerifies(pem!, msg!, sig!), 'openssl dgst -verify').toBe(true);
    }

    it('the tpm2 tier of that build: init on swtpm, sign, openssl verifies', async () => {
      await tierSigns('tpm2', { DEVICE_KEYSTORE_TCTI: tpm.tcti });
    });

    it('the encrypted-file tier: init, sign, openssl verifies', async () => {
      await tierSigns('encrypted-file');
    });
  },
);
