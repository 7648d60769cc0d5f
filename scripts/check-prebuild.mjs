// Checks prebuilt addons before they are packed or published:
//
//   node scripts/check-prebuild.mjs [options] FILE.node...
//     --target=ID       the file is the prebuild for ID (scripts/prebuilds/targets.mjs), read
//                       without loading it: its format and architecture, the Node-API
//                       registration symbol exported, only the allowed libraries imported,
//                       stripped, within 2 MiB; Linux: glibc no newer than the target's floor;
//                       Windows: ASLR/DEP flags; macOS arm64: a valid ad-hoc code signature
//     --load            require() each file (it must be for this machine) and print its exports
//     --expect-tpm      with --load: the TPM tier must be there (a TpmConnection export)
//     --expect-macos    with --load: the macOS tiers must be built in (macosBuiltIn === true)
//     --max-glibc=2.17  (Linux, glibc) no GLIBC_ symbol version newer than this
//     --max-glibcxx=V   (Linux, glibc) no GLIBCXX_ symbol version newer than this: the libstdc++
//                       the user's system must have (3.4.28 = GCC 10, as on Debian 11)
//     --archs=A,B       (macOS) the Mach-O slices that must be there, e.g. x86_64,arm64
//
// Prints what it found and exits non-zero on the first violated rule.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { inspect } from './prebuilds/inspect.mjs';
import { MAX_PREBUILD_BYTES, REGISTRATION_SYMBOL, targetById } from './prebuilds/targets.mjs';

const require = createRequire(import.meta.url);
const opts = {};
const files = [];
for (const arg of process.argv.slice(2)) {
  const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
  if (m) opts[m[1]] = m[2] ?? true;
  else files.push(arg);
}
if (files.length === 0) {
  console.error(
    'usage: check-prebuild.mjs [--target=ID] [--load] [--expect-tpm] [--expect-macos] [--max-glibc=V] [--max-glibcxx=V] [--archs=A,B] FILE...',
  );
  process.exit(2);
}

let failed = false;
const fail = (file, msg) => {
  console.error(`check-prebuild: FAIL: ${file}: ${msg}`);
  failed = true;
};
const cmp = (a, b) => {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  }
  return 0;
};
const newest = (text, prefix) =>
  [...text.matchAll(new RegExp(`\\b${prefix}_([0-9.]+[0-9])`, 'g'))]
    .map((m) => m[1])
    .sort(cmp)
    .pop();

/** The file-level checks of one target's prebuild; prints what it found. */
function checkTarget(file, target) {
  const f = inspect(file);
  const kib = (f.bytes / 1024).toFixed(1);
  console.log(
    `  ${target.id}: ${f.format} ${f.arch}, ${f.bytes} bytes (${kib} KiB), stripped: ${f.stripped}`,
  );
  console.log(`  imports: ${f.imports.join(', ')}`);
  console.log(`  exports: ${f.exports.join(', ')}`);
  if (f.format !== target.format) fail(file, `is ${f.format}, not ${target.format}`);
  if (f.arch !== target.arch) fail(file, `is ${f.arch}, not ${target.arch}`);
  if (!f.exports.includes(REGISTRATION_SYMBOL))
    fail(file, `does not export ${REGISTRATION_SYMBOL}`);
  const allowed = new Set(target.imports.map((l) => l.toLowerCase()));
  const extra = (f.imports ?? []).filter((l) => !allowed.has(l.toLowerCase()));
  if (extra.length)
    fail(file, `imports ${extra.join(', ')} (allowed: ${target.imports.join(', ')})`);
  if (!f.stripped) fail(file, 'is not stripped');
  if (f.bytes > MAX_PREBUILD_BYTES) fail(file, `${f.bytes} bytes, over ${MAX_PREBUILD_BYTES}`);
  if (target.maxGlibc) {
    const glibc = newest(f.versions, 'GLIBC');
    console.log(`  newest GLIBC_${glibc ?? '-'}, GLIBCXX_${newest(f.versions, 'GLIBCXX') ?? '-'}`);
    if (glibc && cmp(glibc, target.maxGlibc) > 0)
      fail(file, `needs GLIBC_${glibc}, newer than ${target.maxGlibc}`);
  }
  for (const [flag, bit] of Object.entries(target.dllCharacteristics ?? {})) {
    if (!(f.dllCharacteristics & bit)) fail(file, `DllCharacteristics lacks ${flag}`);
  }
  if (target.format === 'macho') {
    console.log(
      `  minimum macOS ${f.minos}; code signature: ${f.signature || 'ad hoc, every page hash verified'}`,
    );
    if (target.codeSignature && f.signature) fail(file, `code signature: ${f.signature}`);
  }
}

for (const file of files) {
  console.log(`check-prebuild: ${file} (${statSync(file).size} bytes)`);
  if (opts.target) checkTarget(file, targetById(opts.target));
  if (opts['max-glibc'] || opts['max-glibcxx']) {
    const { imports: libs, versions: dyn } = inspect(file);
    const glibc = newest(dyn, 'GLIBC');
    const glibcxx = newest(dyn, 'GLIBCXX');
    console.log(
      `  needs: ${libs.join(', ')}; newest GLIBC_${glibc ?? '-'}, GLIBCXX_${glibcxx ?? '-'}`,
    );
    if (opts['max-glibc'] && glibc && cmp(glibc, opts['max-glibc']) > 0)
      fail(file, `needs GLIBC_${glibc}, newer than ${opts['max-glibc']}`);
    if (opts['max-glibcxx'] && glibcxx && cmp(glibcxx, opts['max-glibcxx']) > 0)
      fail(file, `needs GLIBCXX_${glibcxx}, newer than ${opts['max-glibcxx']}`);
    for (const lib of libs) {
      if (/tss2/.test(lib)) fail(file, `links ${lib}: tss2 must be loaded with dlopen, not linked`);
    }
  }
  if (opts.archs) {
    const have = execFileSync('lipo', ['-archs', file], { encoding: 'utf8' }).trim().split(/\s+/);
    console.log(`  architectures: ${have.join(' ')}`);
    for (const a of opts.archs.split(',')) if (!have.includes(a)) fail(file, `no ${a} slice`);
  }
  if (opts.load) {
    try {
      const addon = require(resolve(file));
      console.log(
        `  loads (${process.platform}-${process.arch}); exports: ${Object.keys(addon).sort().join(', ')}`,
      );
      if (opts['expect-tpm'] && typeof addon.TpmConnection !== 'function')
        fail(file, 'the TPM tier is missing');
      if (opts['expect-macos'] && addon.macosBuiltIn !== true)
        fail(file, 'the macOS tiers are not built in');
    } catch (err) {
      fail(file, `does not load: ${err.message.split('\n')[0]}`);
    }
  }
}
process.exit(failed ? 1 : 0);
