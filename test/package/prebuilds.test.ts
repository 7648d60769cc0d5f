/**
 * Every prebuild a release ships (scripts/prebuilds/targets.mjs), read from the tarball as files:
 * scripts/check-prebuild.mjs --target=ID checks its format and architecture, that it exports
 * Node-API's registration symbol, that it imports only the allowed libraries, that it is stripped
 * and within 2 MiB (and prints the size), the glibc floor (Linux), ASLR/DEP flags (Windows) and
 * the ad-hoc code signature, every page hash recomputed (macOS arm64).
 *
 * Which targets were built comes from the tarball itself; why one was not comes from the build's
 * report (OUTDIR/prebuilds-report.json, scripts/build-prebuilds.mjs). A target missing from the
 * tarball is reported as SKIPPED with that reason (CI has no macOS SDK, so no darwin files),
 * never as passed; with DK_EXPECT_ALL_PREBUILDS=1 (the release) it fails instead.
 *
 * The darwin files are only ever checked as files here; nothing on this machine can load them.
 * The linux-arm64 file is loaded under qemu (arm64-qemu.test.ts), the win32-x64 one under Wine
 * (scripts/windows/test-leg.sh, from this tarball), linux-x64 natively (the other files).
 */
import { existsSync, promises as fsp, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, describeResult } from '../helpers/proc';
import { packageTarball, runIn, succeeded } from '../helpers/package';

interface Target {
  id: string;
  file: string;
  format: string;
}
interface Report {
  built: { id: string; bytes: number }[];
  notBuilt: Record<string, string>;
}

let targets: Target[];
let notTargets: Record<string, string>;
let pkg: string;
let report: Report | undefined;

beforeAll(async () => {
  const t = await import(path.join(ROOT, 'scripts', 'prebuilds', 'targets.mjs'));
  targets = t.TARGETS;
  notTargets = t.NOT_TARGETS;
  const unpacked = await fsp.mkdtemp(path.join(os.tmpdir(), 'dk-prebuilds-'));
  const r = await runIn(ROOT, 'tar', ['-xzf', packageTarball(), '-C', unpacked]);
  if (!succeeded(r)) throw new Error(`tar -xzf failed:\n${describeResult(r)}`);
  pkg = path.join(unpacked, 'package');
  const reportFile = path.join(path.dirname(packageTarball()), 'prebuilds-report.json');
  if (existsSync(reportFile)) report = JSON.parse(readFileSync(reportFile, 'utf8'));
});
afterAll(async () => {
  if (pkg) await fsp.rm(path.dirname(pkg), { recursive: true, force: true });
});

const check = (id: string, file: string) =>
  runIn(ROOT, process.execPath, [
    path.join(ROOT, 'scripts', 'check-prebuild.mjs'),
    `--target=${id}`,
    file,
  ]);

// The list is read in beforeAll; the ids are fixed here so each gets a test of its own.
const IDS = ['linux-x64', 'linux-arm64', 'win32-x64', 'darwin-x64', 'darwin-arm64'];

it('the ids here are the ones scripts/prebuilds/targets.mjs ships', () => {
  expect(targets.map((t) => t.id)).toEqual(IDS);
});

describe('each shipped target, read from the tarball', () => {
  for (const id of IDS) {
    it(`${id}: in the tarball; format, arch, registration symbol, imports, strip, size`, async (ctx) => {
      const target = targets.find((t) => t.id === id)!;
      const file = path.join(pkg, target.file);
      if (!existsSync(file)) {
        const why = report
          ? (report.notBuilt[id] ?? 'not in the build report either')
          : 'no build report (DK_TARBALL given)';
        console.log(`${id}: NOT IN THE TARBALL: ${why}`);
        if (process.env.DK_EXPECT_ALL_PREBUILDS === '1')
          throw new Error(`${target.file} is missing (DK_EXPECT_ALL_PREBUILDS=1): ${why}`);
        ctx.skip(`${id} not built here: ${why}`);
      }
      const r = await check(id, file);
      console.log(r.out.trim());
      expect(succeeded(r), describeResult(r)).toBe(true);
      if (target.format === 'macho')
        console.log(`${id}: checked as a file only; never loaded here`);
    });
  }
});

it('targets not shipped at all are said, with the reason', () => {
  expect(Object.keys(notTargets)).toContain('linux-x64-musl');
  for (const [id, why] of Object.entries(notTargets)) console.log(`not a target: ${id}: ${why}`);
  if (report) expect(report.notBuilt).toMatchObject(notTargets);
});

describe('the checks can fail', () => {
  let scratch: string;
  beforeAll(async () => {
    scratch = await fsp.mkdtemp(path.join(os.tmpdir(), 'dk-prebuilds-neg-'));
  });
  afterAll(async () => {
    if (scratch) await fsp.rm(scratch, { recursive: true, force: true });
  });

  it("linux-x64's file checked as linux-arm64: wrong architecture", async () => {
    const r = await check('linux-arm64', path.join(pkg, 'prebuilds/linux-x64/node.napi.node'));
    expect(succeeded(r)).toBe(false);
    expect(r.stderr).toMatch(/is x86_64, not aarch64/);
  });

  it('darwin-arm64 with one byte changed in its code: the signature check fails', async (ctx) => {
    const target = targets.find((t) => t.id === 'darwin-arm64')!;
    const file = path.join(pkg, target.file);
    if (!existsSync(file)) ctx.skip('darwin-arm64 was not built here (see above)');
    const bytes = readFileSync(file);
    bytes[0x4000 + 17] ^= 0xff; // inside the second page, in __TEXT
    const tampered = path.join(scratch, 'tampered.node');
    await fsp.writeFile(tampered, bytes);
    const r = await check('darwin-arm64', tampered);
    expect(succeeded(r)).toBe(false);
    expect(r.stderr).toMatch(/code signature: page \d+ hash differs/);
  });
});
