import { defineConfig } from 'vitest/config';

// The packaging tests (`npm run test:package`, the last step of .ci/run): the tarball, built
// once by test/package/global-setup.ts (or DK_TARBALL), installed with no compiler, run under
// Node 20, 22 and 24, built from source without the tss2 headers. Slow (npm installs, a node-gyp
// build), so they stay out of `npm test`.
export default defineConfig({
  test: {
    include: ['test/package/**/*.test.ts'],
    globalSetup: ['test/package/global-setup.ts'],
    reporters: ['default', './scripts/vitest-summary.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    maxWorkers: 2,
    minWorkers: 1,
  },
});
