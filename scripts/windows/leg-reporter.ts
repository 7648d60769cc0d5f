import type {
  Reporter,
  RunnerTask,
  RunnerTestFile,
} from 'vitest/node' with { 'resolution-mode': 'import' };
import { NATIVE_WINDOWS_SKIPS, WINDOWS_SKIPS, WINE_SKIPS } from '../../test/helpers/windows-skips';

/**
 * The Windows leg's summary: "windows leg: N passed, N failed, N skipped as listed (T s)".
 * A skipped test counts as a failure unless test/helpers/windows-skips.ts names it (file and full
 * name); a listed test that ran instead of skipping fails too, so the list cannot go stale.
 */
export default class WindowsLegReporter implements Reporter {
  onFinished(allFiles: RunnerTestFile[] = [], errors: unknown[] = []): void {
    // One vitest config for every run (vitest.config.mts): speak only for the windows project.
    const files = allFiles.filter((f) => f.projectName === 'windows');
    if (files.length === 0) return;
    const counts = { passed: 0, failed: 0, listed: 0 };
    const problems: string[] = [];
    const seen = new Set<string>();
    const walk = (task: RunnerTask, file: string, names: string[]) => {
      if (task.type === 'suite') {
        const own = task.result?.errors?.length ?? 0;
        if (own > 0 || (task.result?.state === 'fail' && task.tasks.length === 0)) {
          counts.failed++;
        }
        for (const t of task.tasks) walk(t, file, [...names, task.name]);
        return;
      }
      const id = `${file} > ${[...names, task.name].join(' > ')}`;
      const listed = [
        ...WINDOWS_SKIPS,
        ...(process.env.DK_WIN_WINE ? WINE_SKIPS : NATIVE_WINDOWS_SKIPS),
      ].find((s) => s.test === id);
      const state = task.result?.state;
      if (listed) seen.add(id);
      if (state === 'pass') {
        counts.passed++;
        if (listed) {
          counts.failed++;
          problems.push(`listed in test/helpers/windows-skips.ts but ran: ${id}`);
        }
      } else if (state === 'fail') counts.failed++;
      else if (listed) counts.listed++;
      else {
        counts.failed++;
        problems.push(`skipped without being listed in test/helpers/windows-skips.ts: ${id}`);
      }
    };
    for (const f of files) {
      const rel = f.name.replace(/\\/g, '/');
      for (const t of f.tasks) walk(t, rel, []);
    }
    counts.failed += errors.length;
    const started = Number(process.env.DK_LEG_STARTED ?? 0);
    const secs = started > 0 ? ` (${Math.round(Date.now() / 1000 - started)} s)` : '';
    for (const p of problems) process.stdout.write(`windows leg: ${p}\n`);
    process.stdout.write(
      `\nwindows leg: ${counts.passed} passed, ${counts.failed} failed, ${counts.listed} skipped as listed${secs}\n`,
    );
    if (problems.length > 0) process.exitCode = 1;
  }
}
