#!/usr/bin/env bash
# Builds the npm tarball the way a release does, in a private copy of the package (the work
# tree's build/, dist/ and prebuilds/ are left alone): dist/ (tsc + the ESM wrapper), prebuilds/
# for every target this machine can build (`npm run build:prebuilds`: scripts/build-prebuilds.mjs,
# which checks each file and writes OUTDIR/prebuilds-report.json: what it built, what it did not
# and why), then `npm pack`. Prints the tarball's path on stdout. The packaging tests check the
# rest (test/package/tarball.test.ts and prebuilds.test.ts; `npm run test:package`).
#
#   bash scripts/stage-package.sh OUTDIR
#
# Environment:
#   PREBUILDS_ONLY=1       compile nothing: pack the prebuilds/ folder of the work tree as it is
#                          (the release's merge job downloads every platform's prebuilds there).
#   DK_PREBUILD_FLAGS      extra flags for scripts/build-prebuilds.mjs (--targets=..., --require)
#   DK_MACOS_SDK           a macOS SDK (headers and .tbd stubs): without it darwin is not built,
#                          and the report says so.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: stage-package.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
say() { echo "stage-package: $*" >&2; }

stage=$(mktemp -d "${TMPDIR:-/tmp}/dk-stage-XXXXXX")
trap 'rm -rf "$stage"' EXIT

# Everything but what is built or installed. test/ and bench/ are copied on purpose: the
# contents test then proves that package.json "files" keeps them out of the tarball.
tar -C "$root" --exclude=./build-win --exclude=./node_modules --exclude=./.git --exclude=./build --exclude=./dist \
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
  flags=${DK_PREBUILD_FLAGS-}
  say "npm run build:prebuilds -- $flags"
  # shellcheck disable=SC2086
  npm run --silent build:prebuilds -- --report="$out/prebuilds-report.json" $flags >&2
fi

say "npm pack"
npm pack --json --pack-destination "$out" >"$stage/pack.json"
node -e '
  const [info] = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(require("path").join(process.argv[2], info.filename));' "$stage/pack.json" "$out"
