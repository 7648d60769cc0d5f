#!/usr/bin/env bash
# Builds the npm tarball the way a release does, in a private copy of the package (the work
# tree's build/, dist/ and prebuilds/ are left alone): dist/ (tsc + the ESM wrapper), prebuilds/
# for this platform (`npm run build:prebuilds`, i.e. prebuildify --napi --strip), then `npm pack`.
# Checks the tarball's contents, prints its file list and size on stderr, and its path on stdout.
#
#   bash scripts/stage-package.sh OUTDIR
#
# Environment:
#   PREBUILDS_ONLY=1       compile nothing: pack the prebuilds/ folder of the work tree as it is
#                          (the release's merge job downloads every platform's prebuilds there).
#   DK_PREBUILD_FLAGS      extra prebuildify flags (default on Linux: --tag-libc, as the release).
#   DK_EXPECT_PREBUILDS    space-separated paths that must be in the tarball, e.g.
#                          "prebuilds/linux-x64/device-keystore.glibc.node ...".
#   DK_MAX_PACKED_BYTES    fail if the .tgz is larger (default 3 MiB).
#   DK_MAX_GLIBCXX         (Linux/glibc) fail if this machine's prebuild needs a newer libstdc++
#                          symbol version (the release sets 3.4.28; a local build need not).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: stage-package.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
say() { echo "stage-package: $*" >&2; }

stage=$(mktemp -d "${TMPDIR:-/tmp}/dk-stage-XXXXXX")
trap 'rm -rf "$stage"' EXIT

# Everything but what is built or installed. test/ and bench/ are copied on purpose: the
# contents check below then proves that package.json "files" keeps them out of the tarball.
tar -C "$root" --exclude=./node_modules --exclude=./.git --exclude=./build --exclude=./dist \
  --exclude=./prebuilds --exclude=./coverage --exclude='./*.tgz' -cf - . | tar -C "$stage" -xf -
ln -s "$root/node_modules" "$stage/node_modules"

cd "$stage"
say "building dist/ in $stage"
npm run --silent build >&2

if [ -n "${PREBUILDS_ONLY:-}" ]; then
  [ -d "$root/prebuilds" ] || { say "PREBUILDS_ONLY is set but $root/prebuilds does not exist"; exit 1; }
  cp -R "$root/prebuilds" "$stage/prebuilds"
  say "PREBUILDS_ONLY: packing the prebuilds that are there, compiling nothing"
else
  flags=${DK_PREBUILD_FLAGS-$([ "$(uname -s)" = Linux ] && echo --tag-libc)}
  say "npm run build:prebuilds -- $flags"
  # shellcheck disable=SC2086
  npm run --silent build:prebuilds -- $flags >&2
fi

# The prebuild node-gyp-build picks for this machine: it must load, and on Linux/glibc need no
# glibc newer than 2.17 and link no tss2 library (tss2 is dlopen'ed at run time).
mine=$(PREBUILDS_ONLY=1 node -p "require('node-gyp-build').path('$stage')") || {
  say "FAIL: no prebuild in prebuilds/ matches this machine"
  exit 1
}
checks=(--load)
if [ "$(uname -s)" = Linux ] && ldd --version 2>&1 | grep -qi 'glibc\|gnu libc'; then
  checks+=(--max-glibc=2.17 ${DK_MAX_GLIBCXX:+--max-glibcxx=$DK_MAX_GLIBCXX})
fi
node "$root/scripts/check-prebuild.mjs" "${checks[@]}" "$mine" >&2

say "npm pack"
npm pack --json --pack-destination "$out" > "$stage/pack.json"

node - "$stage/pack.json" "$out" <<'EOF'
const fs = require('node:fs');
const path = require('node:path');
const [info] = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const files = info.files.map((f) => f.path).sort();
const problems = [];

// Only what a user needs: the compiled JS and types, the prebuilds, and what a source build
// needs (binding.gyp, native/, the tss2 include probe). No tests, no build/, no bench, no src/.
const allowed = [
  /^package\.json$/,
  /^(README|CHANGELOG)\.md$/,
  /^LICEN[SC]E(\.\w+)?$/i,
  /^dist\/.+\.(js|mjs|d\.ts|d\.mts)$/,
  /^prebuilds\/[a-z0-9]+-[a-z0-9+]+\/device-keystore(\.[a-z0-9]+)*\.node$/,
  /^binding\.gyp$/,
  /^native\/.+\.(cc|c|h|mm|map)$/,
  // The vendored tss2 headers' license (BSD-2-Clause: it travels with them) and note.
  /^native\/linux-tpm\/vendor\/tss2\/(LICENSE|README\.md)$/,
];
for (const f of files) if (!allowed.some((re) => re.test(f))) problems.push(`unexpected file: ${f}`);

const required = [
  'package.json',
  'dist/index.js',
  'dist/index.mjs',
  'dist/index.d.ts',
  'dist/index.d.mts',
  'dist/cli/main.js',
  'binding.gyp',
  'native/common/addon.cc',
  'native/common/exports.map',
  'native/linux-tpm/tpm_binding.cc',
  'native/linux-tpm/vendor/tss2/tss2_esys.h',
  'native/linux-tpm/vendor/tss2/LICENSE',
  ...(process.env.DK_EXPECT_PREBUILDS ?? '').split(/\s+/).filter(Boolean),
];
for (const f of required) if (!files.includes(f)) problems.push(`missing: ${f}`);
const here = `prebuilds/${process.platform}-`;
if (!files.some((f) => f.startsWith(here) && f.endsWith('.node')))
  problems.push(`no prebuild for ${process.platform} in prebuilds/`);

const max = Number(process.env.DK_MAX_PACKED_BYTES || 3 * 1024 * 1024);
if (info.size > max) problems.push(`the tarball is ${info.size} bytes, over the ${max} budget`);

const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
console.error(`stage-package: ${info.filename}: ${info.entryCount} files`);
for (const f of info.files.sort((a, b) => a.path.localeCompare(b.path)))
  console.error(`  ${String(f.size).padStart(8)}  ${f.path}`);
console.error(
  `stage-package: packed ${kib(info.size)} (${info.size} bytes), unpacked ${kib(info.unpackedSize)}; sha512 ${info.integrity}`,
);
if (problems.length) {
  for (const p of problems) console.error(`stage-package: FAIL: ${p}`);
  process.exit(1);
}
console.log(path.join(process.argv[3], info.filename));
EOF
