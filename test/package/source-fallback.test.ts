/**
 * The source build without the tss2 headers: scripts/source-fallback-test.sh, run as it is (it is
 * about to be replaced by a test of its own, and keeps its own PASS/FAIL list until then). It
 * installs the tarball with npm_config_build_from_source=true while the headers are hidden, once
 * through DEVICE_KEYSTORE_TSS2_INCLUDE=<empty dir> and once in a private mount namespace
 * (unshare -m, root only). Here: the script as a whole, and each way of hiding the headers as a
 * test of its own; the mount-namespace variant is reported as skipped where it cannot run.
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

it('DEVICE_KEYSTORE_TSS2_INCLUDE=<empty>: install, build/Release with tpmBuiltIn false, tpm2 refused, file tier works', () => {
  variant('DEVICE_KEYSTORE_TSS2_INCLUDE=<empty>:');
});

it('/usr/include/tss2 hidden in a mount namespace: the same checks', (ctx) => {
  if (/^NOTE {2}the mount-namespace variant did not run/m.test(r.out)) {
    ctx.skip('unshare -m is not permitted here, or /usr/include/tss2 does not exist');
  }
  variant('/usr/include/tss2 hidden (mount namespace):');
});
