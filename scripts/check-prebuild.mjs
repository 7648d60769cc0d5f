// Checks prebuilt addons before they are packed or published:
//
//   node scripts/check-prebuild.mjs [options] FILE.node...
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
    'usage: check-prebuild.mjs [--load] [--expect-tpm] [--expect-macos] [--max-glibc=V] [--max-glibcxx=V] [--archs=A,B] FILE...',
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

for (const file of files) {
  console.log(`check-prebuild: ${file} (${statSync(file).size} bytes)`);
  if (opts['max-glibc'] || opts['max-glibcxx']) {
    let dyn = '';
    let needed = '';
    try {
      dyn = execFileSync('objdump', ['-T', file], { encoding: 'utf8' });
      needed = execFileSync('objdump', ['-p', file], { encoding: 'utf8' });
    } catch (err) {
      fail(file, `objdump failed (${err.message.split('\n')[0]}); install binutils`);
      continue;
    }
    const libs = [...needed.matchAll(/NEEDED\s+(\S+)/g)].map((m) => m[1]);
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
