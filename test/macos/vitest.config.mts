// The macOS runners' tests: real keychain and Secure Enclave calls, so they live outside the
// main suite's test/**/*.test.ts and run only through this config (see .github/workflows/macos.yml).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['test/macos/**/*.mac-test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // One keychain, one Secure Enclave: no parallel files.
    fileParallelism: false,
  },
});
