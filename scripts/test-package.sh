#!/usr/bin/env bash
# The packaging tests, as CI runs them (.ci/run; `npm run test:package`): builds the tarball once
# (scripts/stage-package.sh: dist/, this platform's prebuild, npm pack, contents check), then
#   scripts/pack-install-test.sh     install without a compiler; require/import/types; CLI; TPM;
#                                    the tss2 libraries hidden
#   scripts/multi-runtime-test.sh    the same .node under Node 20, 22 and 24, and in workers
#   scripts/source-fallback-test.sh  a source build without the tss2 headers
# and prints the total. Exits non-zero if any of them failed. DK_TARBALL=<path>: test that
# tarball instead of building one (the release workflow tests the tarball it then publishes).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1

pack=$(mktemp -d "${TMPDIR:-/tmp}/dk-package-XXXXXX")
log=$pack/log
trap 'rm -rf "$pack"' EXIT

passed=0
failed=0
if [ -n "${DK_TARBALL:-}" ]; then
  [ -f "$DK_TARBALL" ] || { echo "test-package: FAIL: no such tarball: $DK_TARBALL"; exit 1; }
  echo "test-package: testing the given tarball $DK_TARBALL"
elif DK_TARBALL=$(bash scripts/stage-package.sh "$pack"); then
  echo "PASS  stage-package: tarball built, contents and size within bounds: $DK_TARBALL"
  passed=1
else
  echo "FAIL  stage-package: the tarball could not be built or failed its contents check"
  failed=1
fi

if [ "$failed" -eq 0 ]; then
  export DK_TARBALL
  for t in pack-install-test multi-runtime-test source-fallback-test; do
    echo
    echo "==== $t ===="
    bash "scripts/$t.sh" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    line=$(grep -E "^$t: [0-9]+ passed, [0-9]+ failed$" "$log" | tail -1)
    p=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/')
    f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed$/\1/')
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0}))
    # A script that died before its summary still counts as a failure.
    if [ "$rc" -ne 0 ] && [ "${f:-0}" -eq 0 ]; then failed=$((failed + 1)); fi
  done
fi
echo
echo "test-package: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
