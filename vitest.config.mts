import { configDefaults, defineConfig } from 'vitest/config';
import type { UserConfig } from 'vitest/node';

/**
 * The one vitest config: a project per kind of test (CONTRIBUTING.md, "Where a test goes").
 * `vitest run` (npm test) runs the projects named in `project` below; the others only when named:
 * `vitest run --project package` (npm run test:package), `--project windows` (the Windows leg,
 * scripts/windows/test-leg.sh), `--project fuzzers` (npm run fuzz), `--project macos` (the macOS
 * runners). `vitest run --project unit` runs one project alone.
 */

/** What npm test runs: everything that needs neither the package tarball nor another OS. */
const NPM_TEST = ['unit', 'api', 'tiers', 'system', 'fuzz', 'package-source'];
/**
 * The default of --project. Vitest reads it from the config as from the command line (a
 * --project given there replaces it), but its InlineConfig type does not list it: hence the
 * spread, typed as the command line's option.
 */
const DEFAULT_PROJECTS: Pick<UserConfig, 'project'> = { project: NPM_TEST };

/**
 * The package tests that build from this source tree, not from the tarball: they run in npm test
 * (project package-source); the rest of test/package/ needs the tarball (project package).
 */
const SOURCE_TREE_PACKAGE_TESTS = [
  'test/package/external-buffers.test.ts',
  'test/package/source-build.test.ts',
];

/**
 * The Windows leg runs every unit, API, system and tier test except the TPM 2.0 tier's (Linux:
 * swtpm, tss2) and these, which need what Windows (or the leg under Wine) does not have. A new
 * test anywhere else runs in the leg without being named; if it cannot mean anything on
 * Windows, list it here with the reason (or, for single tests, in test/helpers/windows-skips.ts).
 */
const NOT_ON_WINDOWS: Record<string, string> = {
  'test/unit/attestation/attestation-parse.test.ts':
    'not yet run under Windows Node (written after the leg was set up); pure TypeScript',
  'test/api/delegation-contained.test.ts': 'checks with the openssl CLI and POSIX file modes',
  'test/system/cli-delegation.test.ts': 'checks with the openssl CLI and POSIX file modes',
  'test/system/crash-ops.test.ts': 'SIGKILL at random moments, and its TPM half needs swtpm',
  'test/system/credentials.test.ts': 'systemd service credentials',
  'test/system/disk-faults.test.ts': 'mounts a tmpfs and a read-only filesystem (Linux, root)',
  'test/system/doctor.test.ts': "doctor's TPM report against swtpm and tpm2-tools",
  'test/system/multi-user.test.ts': 'two real uids (setpriv) and a setgid group directory',
  'test/system/production.test.ts': 'tmpfs and overlay mounts, and swtpm for the good store',
  'test/system/secrecy-session.test.ts': 'a whole session on both Linux tiers (swtpm)',
  'test/system/worker-termination.test.ts':
    'not yet timed under Wine: 200 worker threads that each load the addon',
};

/** Settings every project shares (vitest does not pass the root's test options to projects). */
const BASE = { testTimeout: 60_000, hookTimeout: 60_000 };

export default defineConfig({
  test: {
    ...DEFAULT_PROJECTS,
    // Root-only options, the same for every project. The Windows leg's reporter speaks only when
    // the windows project ran (scripts/windows/leg-reporter.ts).
    reporters: ['default', './scripts/vitest-summary.ts', './scripts/windows/leg-reporter.ts'],
    // Child-process tests spawn several Node processes each; keep the 2-core machine responsive.
    maxWorkers: 2,
    minWorkers: 1,
    projects: [
      { test: { ...BASE, name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { test: { ...BASE, name: 'api', include: ['test/api/**/*.test.ts'] } },
      { test: { ...BASE, name: 'tiers', include: ['test/tiers/**/*.test.ts'] } },
      { test: { ...BASE, name: 'system', include: ['test/system/**/*.test.ts'] } },
      // The fuzzers' corpus, replayed (test/fuzz/README.md).
      { test: { ...BASE, name: 'fuzz', include: ['test/fuzz/**/*.test.ts'] } },
      { test: { ...BASE, name: 'package-source', include: SOURCE_TREE_PACKAGE_TESTS } },
      {
        // The packaging tests (npm run test:package, the last step of .ci/run): the tarball, built
        // once by test/package/global-setup.ts (or DK_TARBALL), installed with no compiler, run
        // under Node 20, 22 and 24. Slow (npm installs, a node-gyp build): not in npm test.
        test: {
          name: 'package',
          include: ['test/package/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...SOURCE_TREE_PACKAGE_TESTS],
          globalSetup: ['test/package/global-setup.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
      {
        // The Windows leg (scripts/windows/test-leg.sh): these tests under Windows Node, in Wine
        // here and natively on GitHub's windows-latest. Tests that cannot mean anything on
        // Windows skip themselves there and are listed, with the reason, in
        // test/helpers/windows-skips.ts; the leg's reporter fails the run on any other skip, and
        // on a listed test that did not skip.
        test: {
          name: 'windows',
          include: ['test/{unit,api,system,tiers}/**/*.test.ts'],
          exclude: [
            ...configDefaults.exclude,
            'test/tiers/tpm2/**',
            ...Object.keys(NOT_ON_WINDOWS),
          ],
          // The file-tier tests must get the file tier on any Windows, also where the TPM or the
          // software KSP works (windows-latest); windows-ncrypt.test.ts sets its own value.
          env: { DEVICE_KEYSTORE_NCRYPT_PROVIDERS: 'none' },
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // forks, not threads: some tests set process.umask(), which workers may not.
          pool: 'forks',
        },
      },
      {
        // The fuzzers (test/fuzz/*.fuzz.ts), run by `npm run fuzz` (scripts/fuzz.mjs sets how long
        // and which). One process: each fuzzer gets the core it runs on, so inputs per second
        // mean something.
        test: {
          name: 'fuzzers',
          include: ['test/fuzz/*.fuzz.ts'],
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
          testTimeout: 0,
          hookTimeout: 120_000,
        },
      },
      {
        // The macOS runners' tests (.github/workflows/macos.yml): real keychain and Secure
        // Enclave calls. One keychain, one Secure Enclave: one process, no parallel files.
        test: {
          name: 'macos',
          include: ['test/tiers/apple/**/*.mac-test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
        },
      },
    ],
  },
});
