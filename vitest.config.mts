import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The packaging tests have their own config (vitest.package.config.mts, npm run test:package).
    exclude: [...configDefaults.exclude, 'test/package/**'],
    reporters: ['default', './scripts/vitest-summary.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Child-process tests spawn several Node processes each; keep the 2-core machine responsive.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
