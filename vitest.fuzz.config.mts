import { defineConfig } from 'vitest/config';

/**
 * The fuzzers (test/fuzz/*.fuzz.ts), run by `npm run fuzz` (scripts/fuzz.mjs sets how long and
 * which). One worker: each fuzzer gets the core it runs on, so inputs per second mean something.
 */
export default defineConfig({
  test: {
    include: ['test/fuzz/*.fuzz.ts'],
    pool: 'forks',
    maxWorkers: 1,
    minWorkers: 1,
    testTimeout: 0,
    hookTimeout: 120_000,
  },
});
