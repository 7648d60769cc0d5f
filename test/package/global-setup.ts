/**
 * Builds the tarball the packaging tests share, once per run: `bash scripts/stage-package.sh`
 * (dist/, every prebuild this machine can build, npm pack, in a private copy of the package;
 * DK_MACOS_SDK adds the darwin ones), unless
 * DK_TARBALL names one to test (the release tests the tarball it then publishes). A failed build
 * is handed on as an error, not thrown: tarball.test.ts then fails on it, and every other test
 * fails in its setup, so the failure is counted in the run's summary line.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { TestProject } from 'vitest/node' with { 'resolution-mode': 'import' };

const ROOT = path.resolve(__dirname, '..', '..');

export default function setup(project: TestProject): () => void {
  const given = process.env.DK_TARBALL;
  if (given) {
    project.provide(
      'packageTarball',
      existsSync(given)
        ? { path: path.resolve(given) }
        : { error: `DK_TARBALL: no such file: ${given}` },
    );
    return () => {};
  }
  const out = mkdtempSync(path.join(tmpdir(), 'dk-package-'));
  const started = Date.now();
  const r = spawnSync('bash', [path.join(ROOT, 'scripts', 'stage-package.sh'), out], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const tarball = r.stdout?.trim().split('\n').pop() ?? '';
  if (r.status === 0 && tarball && existsSync(tarball)) {
    console.log(`stage-package: ${tarball} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
    project.provide('packageTarball', { path: tarball });
  } else {
    project.provide('packageTarball', {
      error: `scripts/stage-package.sh failed (exit ${r.status}, signal ${r.signal}; its log is above)`,
    });
  }
  return () => rmSync(out, { recursive: true, force: true });
}
