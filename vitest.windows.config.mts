import { defineConfig } from 'vitest/config';

/**
 * The Windows leg (scripts/windows/test-leg.sh): these test files under Windows Node, in Wine
 * here and natively on GitHub's windows-latest. Tests that cannot mean anything on Windows skip
 * themselves there and are listed, with the reason, in test/windows-skips.ts; the leg's reporter
 * fails the run on any other skip, and on a listed test that did not skip.
 */
export default defineConfig({
  test: {
    include: [
      'test/file-tier.test.ts',
      'test/windows-store.test.ts',
      'test/api/*.test.ts',
      'test/cli.test.ts',
      'test/processes.test.ts',
      'test/abort.test.ts',
      'test/close.test.ts',
      'test/windows-ncrypt.test.ts',
      // The platform-neutral units: crypto, encodings, status tables, docs and layering.
      'test/aead.test.ts',
      'test/argon2.test.ts',
      'test/crypto-features.test.ts',
      'test/der.test.ts',
      'test/digest-check.test.ts',
      'test/docs.test.ts',
      'test/docs-tiers.test.ts',
      'test/ecdsa.test.ts',
      'test/layering.test.ts',
      'test/macos-unit.test.ts',
      'test/ncrypt-unit.test.ts',
      'test/p256.test.ts',
      'test/public-key-inputs.test.ts',
      'test/tss2-pem.test.ts',
      'test/tss2-status.test.ts',
      'test/wycheproof.test.ts',
    ],
    // The file-tier tests must get the file tier on any Windows, also where the TPM or the
    // software KSP works (windows-latest); test/windows-ncrypt.test.ts sets its own value.
    env: { DEVICE_KEYSTORE_NCRYPT_PROVIDERS: 'none' },
    reporters: ['default', './scripts/windows/leg-reporter.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // forks, not threads: some tests set process.umask(), which workers may not.
    pool: 'forks',
    maxWorkers: 2,
    minWorkers: 1,
  },
});
