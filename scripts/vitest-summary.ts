import type {
  Reporter,
  RunnerTask,
  RunnerTestFile,
} from 'vitest/node' with { 'resolution-mode': 'import' };

/**
 * Ends the run with one plain line, "N passed, N failed, N skipped", that any CI log reader
 * understands. Skipped tests are counted as skipped, never as passed. Every run of
 * vitest.config.mts ends with it (npm test, npm run test:package, a single project).
 */
export default class SummaryReporter implements Reporter {
  onFinished(files: RunnerTestFile[] = [], errors: unknown[] = []): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    const walk = (task: RunnerTask) => {
      if (task.type === 'suite') {
        // A suite (or file) with errors of its own failed outside any test: a beforeAll or
        // afterAll threw, or the file did not load. Its tests that did not run are counted as
        // skipped, as vitest marks them, and the suite itself as one failure.
        const own = task.result?.errors?.length ?? 0;
        if (own > 0 || (task.result?.state === 'fail' && task.tasks.length === 0)) {
          counts.failed++;
        }
        task.tasks.forEach(walk);
        return;
      }
      const state = task.result?.state;
      if (state === 'pass') counts.passed++;
      else if (state === 'fail') counts.failed++;
      else counts.skipped++;
    };
    files.forEach(walk);
    counts.failed += errors.length;
    process.stdout.write(
      `\ntests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`,
    );
  }
}
