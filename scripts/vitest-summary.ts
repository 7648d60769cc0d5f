import type {
  Reporter,
  RunnerTask,
  RunnerTestFile,
} from 'vitest/node' with { 'resolution-mode': 'import' };

/**
 * Ends the run with one plain line, "N passed, N failed, N skipped", that any CI log reader
 * understands. Skipped tests are counted as skipped, never as passed.
 */
export default class SummaryReporter implements Reporter {
  onFinished(files: RunnerTestFile[] = [], errors: unknown[] = []): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    const walk = (task: RunnerTask) => {
      if (task.type === 'suite') {
        task.tasks.forEach(walk);
        return;
      }
      const state = task.result?.state;
      if (state === 'pass') counts.passed++;
      else if (state === 'fail') counts.failed++;
      else counts.skipped++;
    };
    for (const file of files) {
      file.tasks.forEach(walk);
      // A file that failed to load has no tests to count; it still failed.
      if (file.result?.state === 'fail' && file.tasks.length === 0) counts.failed++;
    }
    counts.failed += errors.length;
    process.stdout.write(
      `\ntests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`,
    );
  }
}
