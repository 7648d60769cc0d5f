// Builds every prebuild a release ships (scripts/prebuilds/targets.mjs), checks each one with
// scripts/check-prebuild.mjs, and says which targets it built and which it did not, and why.
// `npm run build:prebuilds`, the packaging tests (scripts/stage-package.sh) and the release
// workflow all run this, so what is tested is what ships.
//
//   linux-x64     prebuildify (node-gyp) with this machine's g++ (on an x64 host)
//   linux-arm64   prebuildify --arch arm64 with g++-aarch64-linux-gnu (or natively on arm64)
//   win32-x64     mingw-w64 g++, libstdc++/libgcc/winpthreads linked statically
//                 (scripts/windows/build-addon.sh; docs/packaging.md says why not MSVC)
//   darwin-x64    clang + ld64.lld against a macOS SDK's headers and .tbd stubs
//   darwin-arm64  the same, signed ad hoc by the linker (scripts/prebuilds/darwin.mjs)
//
//   node scripts/build-prebuilds.mjs [--targets=all|ID,ID...] [--require] [--macos-sdk=DIR]
//                                    [--report=FILE] [--max-glibcxx=V]
//     --targets      which to build (default all)
//     --require      fail unless every asked-for target was built and passed its checks
//                    (the release); without it a target whose tools are missing is reported as
//                    not built, with the reason, and the rest are built
//     --macos-sdk    the SDK for darwin (also DK_MACOS_SDK); without one darwin is not built
//     --report       write {built: [{id, file, bytes, sha256}], notBuilt: {id: why}} as JSON
//     --max-glibcxx  passed to the Linux checks (the release: 3.4.28, GCC 10)
//
// Exit status: non-zero if a build or a check failed (or, with --require, a target was not built).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NOT_TARGETS, TARGETS, targetById } from './prebuilds/targets.mjs';
import { buildDarwin, darwinPrerequisites } from './prebuilds/darwin.mjs';
import { findTool } from './prebuilds/toolchain.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const opts = {};
for (const arg of process.argv.slice(2)) {
  const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
  if (!m) {
    console.error(`build-prebuilds: unknown argument ${arg}`);
    process.exit(2);
  }
  opts[m[1]] = m[2] ?? true;
}
const wanted =
  !opts.targets || opts.targets === 'all'
    ? TARGETS
    : String(opts.targets)
        .split(',')
        .map((id) => targetById(id));
const sdk = opts['macos-sdk'] || process.env.DK_MACOS_SDK || '';
const hostLinux = process.platform === 'linux';
const say = (msg) => console.log(`build-prebuilds: ${msg}`);

/** prebuildify's node-gyp build of binding.gyp for `arch`, named for both loaders. */
function prebuildify(target, env) {
  const arch = target.id.split('-')[1];
  const flags = ['--napi', '--strip', '--name', 'node.napi', '--tag-armv', '--arch', arch];
  if (arch === 'arm64') flags.push('--armv', '8');
  execFileSync(process.execPath, [join(root, 'node_modules/prebuildify/bin.js'), ...flags], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, ...env },
  });
}

/** How each target is built here, or why it cannot be: { build() } or { why }. */
function recipe(target) {
  switch (target.id) {
    case 'linux-x64':
    case 'linux-arm64': {
      const arch = target.id.split('-')[1];
      if (!hostLinux)
        return { why: `Linux prebuilds are built on Linux (this is ${process.platform})` };
      if (arch === process.arch) return { build: () => prebuildify(target, {}) };
      if (arch === 'arm64' && process.arch === 'x64') {
        if (!findTool(['aarch64-linux-gnu-g++']))
          return { why: 'no aarch64 cross compiler (apt-get install g++-aarch64-linux-gnu)' };
        return {
          build: () =>
            prebuildify(target, {
              CC: 'aarch64-linux-gnu-gcc',
              CXX: 'aarch64-linux-gnu-g++',
              PREBUILD_STRIP_BIN: 'aarch64-linux-gnu-strip',
            }),
        };
      }
      return { why: `no recipe for ${target.id} on a ${process.arch} host` };
    }
    case 'win32-x64':
      if (!findTool(['x86_64-w64-mingw32-g++-posix']))
        return { why: 'no mingw-w64 (apt-get install g++-mingw-w64-x86-64)' };
      return {
        build: () =>
          execFileSync('bash', [join(root, 'scripts/windows/build-addon.sh'), target.file], {
            cwd: root,
            stdio: 'inherit',
          }),
      };
    case 'darwin-x64':
    case 'darwin-arm64': {
      const why = darwinPrerequisites(sdk);
      if (why) return { why };
      return { build: () => buildDarwin(root, target, sdk, join(root, target.file)) };
    }
    default:
      return { why: 'no recipe' };
  }
}

/** scripts/check-prebuild.mjs on one built file: format, arch, symbol, imports, size. */
function check(target) {
  const args = [join(root, 'scripts/check-prebuild.mjs'), `--target=${target.id}`];
  if (opts['max-glibcxx'] && target.format === 'elf')
    args.push(`--max-glibcxx=${opts['max-glibcxx']}`);
  execFileSync(process.execPath, [...args, join(root, target.file)], { stdio: 'inherit' });
}

const report = { built: [], notBuilt: { ...NOT_TARGETS }, failed: {} };
for (const target of wanted) {
  const r = recipe(target);
  if (!r.build) {
    report.notBuilt[target.id] = r.why;
    say(`${target.id}: NOT BUILT: ${r.why}`);
    continue;
  }
  say(`${target.id}: building ${target.file}`);
  const file = join(root, target.file);
  rmSync(file, { force: true });
  try {
    r.build();
    if (!existsSync(file)) throw new Error(`${target.file} was not produced`);
    check(target);
    const bytes = readFileSync(file);
    report.built.push({
      id: target.id,
      file: target.file,
      bytes: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    });
  } catch (err) {
    report.failed[target.id] = err.message.split('\n')[0];
    say(`${target.id}: FAILED: ${report.failed[target.id]}`);
  }
}
// prebuildify builds in build/: the work tree's own build is not a prebuild, so do not leave a
// cross-compiled one there for node-gyp-build to find.
if (wanted.some((t) => t.format === 'elf' && t.id !== `linux-${process.arch}`) && hostLinux)
  rmSync(join(root, 'build'), { recursive: true, force: true });

for (const b of report.built)
  say(`built ${b.file} (${b.bytes} bytes, sha256 ${b.sha256.slice(0, 16)}...)`);
for (const [id, why] of Object.entries(report.notBuilt)) say(`not built ${id}: ${why}`);
for (const [id, why] of Object.entries(report.failed)) say(`FAILED ${id}: ${why}`);
if (opts.report) {
  mkdirSync(dirname(opts.report), { recursive: true });
  writeFileSync(`${opts.report}.partial`, `${JSON.stringify(report, null, 2)}\n`);
  renameSync(`${opts.report}.partial`, opts.report);
}
const missing = wanted.filter((t) => !report.built.some((b) => b.id === t.id));
if (Object.keys(report.failed).length > 0) process.exit(1);
if (opts.require && missing.length > 0) {
  say(`--require: not built: ${missing.map((t) => t.id).join(', ')}`);
  process.exit(1);
}
