/**
 * The tarball itself, as a user downloads it: that it was built, what is in it (only what a user
 * needs, and all of it), its size, and this machine's prebuild in it (node-gyp-build picks one,
 * it loads, and on Linux/glibc it needs no newer glibc than 2.17, links no tss2 library, and
 * with DK_MAX_GLIBCXX no newer libstdc++). Read from the .tgz, however it was made.
 *
 * Environment: DK_EXPECT_PREBUILDS (paths that must be in it, space-separated),
 * DK_MAX_PACKED_BYTES (default 3 MiB), DK_MAX_GLIBCXX (e.g. 3.4.28, as the release sets).
 */
import { createHash } from 'node:crypto';
import { promises as fsp, readFileSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ROOT, describeResult, type ProcResult } from '../helpers/proc';
import { packageTarball, runIn, succeeded } from '../helpers/package';

/** Only what a user needs: compiled JS and types, prebuilds, and what a source build needs. */
const ALLOWED = [
  /^package\.json$/,
  /^(README|CHANGELOG)\.md$/,
  /^LICEN[SC]E(\.\w+)?$/i,
  /^dist\/.+\.(js|mjs|d\.ts|d\.mts)$/,
  // The names @electron/rebuild recognises (and node-gyp-build loads): scripts/build-prebuilds.mjs.
  /^prebuilds\/[a-z0-9]+-[a-z0-9]+\/node\.napi(\.armv8)?(\.musl)?\.node$/,
  /^scripts\/build-addon\.cjs$/,
  /^binding\.gyp$/,
  /^native\/.+\.(cc|c|h|mm|map)$/,
  // The vendored tss2 headers' license (BSD-2-Clause: it travels with them) and note.
  /^native\/linux-tpm\/vendor\/tss2\/(LICENSE|README\.md)$/,
];

const REQUIRED = [
  'package.json',
  'dist/index.js',
  'dist/index.mjs',
  'dist/index.d.ts',
  'dist/index.d.mts',
  'dist/cli/main.js',
  'binding.gyp',
  'scripts/build-addon.cjs',
  'native/common/addon.cc',
  'native/common/exports.map',
  'native/linux-tpm/tpm_binding.cc',
  'native/linux-tpm/vendor/tss2/tss2_esys.h',
  'native/linux-tpm/vendor/tss2/LICENSE',
  ...(process.env.DK_EXPECT_PREBUILDS ?? '').split(/\s+/).filter(Boolean),
];

const MAX_BYTES = Number(process.env.DK_MAX_PACKED_BYTES || 3 * 1024 * 1024);

/** glibc Linux (the report names the glibc version only there; musl has none). */
const glibc =
  process.platform === 'linux' &&
  Boolean(
    (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header
      ?.glibcVersionRuntime,
  );

it('the tarball was built (scripts/stage-package.sh) or given (DK_TARBALL)', () => {
  const t = inject('packageTarball');
  expect('error' in t ? t.error : '').toBe('');
  expect(statSync(packageTarball()).isFile()).toBe(true);
});

describe('its contents', () => {
  let files: string[];
  beforeAll(async () => {
    const r = await runIn(ROOT, 'tar', ['-tzf', packageTarball()]);
    if (!succeeded(r)) throw new Error(`tar -tzf failed:\n${describeResult(r)}`);
    // npm puts everything under package/; directories have no entries of their own in it.
    files = r.out
      .split('\n')
      .filter((f) => f && !f.endsWith('/'))
      .map((f) => f.replace(/^package\//, ''))
      .sort();
    console.log(
      `${path.basename(packageTarball())}: ${files.length} files\n  ${files.join('\n  ')}`,
    );
  });

  it('only allowed files: no tests, no build/, no bench/, no src/', () => {
    expect(files.filter((f) => !ALLOWED.some((re) => re.test(f)))).toEqual([]);
    expect(files.length).toBeGreaterThan(REQUIRED.length);
  });

  it('every required file (and each of DK_EXPECT_PREBUILDS)', () => {
    expect(REQUIRED.filter((f) => !files.includes(f))).toEqual([]);
  });

  it(`a prebuild for ${process.platform} in prebuilds/`, () => {
    const here = `prebuilds/${process.platform}-`;
    expect(files.filter((f) => f.startsWith(here) && f.endsWith('.node'))).not.toEqual([]);
  });

  it(`packed size within DK_MAX_PACKED_BYTES (${MAX_BYTES} bytes)`, () => {
    const size = statSync(packageTarball()).size;
    const sha512 = createHash('sha512').update(readFileSync(packageTarball())).digest('base64');
    console.log(`packed: ${(size / 1024).toFixed(1)} KiB (${size} bytes); sha512-${sha512}`);
    expect(size).toBeLessThanOrEqual(MAX_BYTES);
  });
});

describe("this machine's prebuild in it", () => {
  let pkg: string; // the unpacked package
  let pick: ProcResult; // node-gyp-build's answer, in beforeAll
  /** The .node node-gyp-build picks; throws (failing the test) when it found none. */
  const prebuild = () => {
    if (!succeeded(pick))
      throw new Error(`node-gyp-build found no prebuild:\n${describeResult(pick)}`);
    return pick.out.trim();
  };
  const checkPrebuild = (...flags: string[]) =>
    runIn(ROOT, process.execPath, [
      path.join(ROOT, 'scripts', 'check-prebuild.mjs'),
      ...flags,
      prebuild(),
    ]);

  beforeAll(async () => {
    const unpacked = await fsp.mkdtemp(path.join(os.tmpdir(), 'dk-unpacked-'));
    pkg = path.join(unpacked, 'package');
    const r = await runIn(ROOT, 'tar', ['-xzf', packageTarball(), '-C', unpacked]);
    if (!succeeded(r)) throw new Error(`tar -xzf failed:\n${describeResult(r)}`);
    pick = await runIn(
      ROOT,
      process.execPath,
      ['-p', `require('node-gyp-build').path(${JSON.stringify(pkg)})`],
      { PREBUILDS_ONLY: '1' },
    );
  });
  afterAll(async () => {
    if (pkg) await fsp.rm(path.dirname(pkg), { recursive: true, force: true });
  });

  it('node-gyp-build picks one for this machine from prebuilds/ (PREBUILDS_ONLY=1)', () => {
    expect(path.relative(pkg, prebuild())).toMatch(
      new RegExp(`^prebuilds/${process.platform}-[^/]*${process.arch}[^/]*/[^/]+\\.node$`),
    );
  });

  it('it loads (scripts/check-prebuild.mjs --load)', async () => {
    const r = await checkPrebuild('--load');
    expect(succeeded(r), describeResult(r)).toBe(true);
  });

  it('Linux/glibc: it needs no glibc newer than 2.17 and links no tss2 library', async (ctx) => {
    if (!glibc) ctx.skip('not a glibc Linux');
    const r = await checkPrebuild('--max-glibc=2.17');
    expect(succeeded(r), describeResult(r)).toBe(true);
    expect(r.out).toMatch(/needs: .*; newest GLIBC_/);
  });

  it('Linux/glibc, DK_MAX_GLIBCXX: it needs no newer libstdc++ symbol version', async (ctx) => {
    const max = process.env.DK_MAX_GLIBCXX;
    if (!glibc) ctx.skip('not a glibc Linux');
    if (!max)
      ctx.skip('DK_MAX_GLIBCXX is not set (the release sets 3.4.28; a local build need not)');
    const r = await checkPrebuild(`--max-glibcxx=${max}`);
    expect(succeeded(r), describeResult(r)).toBe(true);
  });
});
