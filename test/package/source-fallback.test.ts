/**
 * The source build from the tarball without the tss2 headers: scripts/source-fallback-test.sh
 * installs the tarball with npm_config_build_from_source=true in a private mount namespace
 * (unshare -m, root only) with /usr/include/tss2 hidden, and signs on swtpm with that build (the
 * tarball carries the vendored tss2 declarations). Reported as skipped where it cannot run.
 */
import * as path from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { ROOT, describeResult, type ProcResult } from '../helpers-proc';
import { outputOf, packageTarball, runIn } from '../helpers-package';

let r: ProcResult;
let checks: { ok: boolean; name: string }[];

beforeAll(async () => {
  r = await runIn(ROOT, 'bash', [path.join(ROOT, 'scripts', 'source-fallback-test.sh')], {
    DK_TARBALL: packageTarball(),
  });
  console.log(outputOf(r));
  // Its PASS/FAIL lines, before the summary repeats them.
  const lines = outputOf(r).split('\n');
  const end = lines.findIndex((l) => l.startsWith('==== source-fallback-test summary'));
  checks = lines
    .slice(0, end < 0 ? lines.length : end)
    .map((l) => /^(PASS|FAIL) {2}(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ ok: m[1] === 'PASS', name: m[2]! }));
}, 900_000);

/** The checks of one variant (the label each of its check names starts with). */
function variant(label: string) {
  const mine = checks.filter((c) => c.name.startsWith(label));
  expect(mine.length, describeResult(r)).toBeGreaterThan(0);
  expect(mine.filter((c) => !c.ok).map((c) => c.name)).toEqual([]);
}

it('scripts/source-fallback-test.sh exits 0: "N passed, 0 failed"', () => {
  expect(r.code, describeResult(r)).toBe(0);
  expect(r.out).toMatch(/^source-fallback-test: [1-9][0-9]* passed, 0 failed$/m);
  expect(checks.filter((c) => !c.ok)).toEqual([]);
});

it('/usr/include/tss2 hidden in a mount namespace: built from the tarball, the TPM tier signs on swtpm', (ctx) => {
  if (/^NOTE {2}not run: unshare -m is not permitted here/m.test(r.out)) {
    ctx.skip('unshare -m is not permitted here, or /usr/include/tss2 does not exist');
  }
  variant('/usr/include/tss2 hidden:');
});
