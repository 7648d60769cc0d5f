#!/usr/bin/env bash
# Runs the native TPM paths once under valgrind (memcheck) against a private swtpm, and fails on
# any memory error or definite leak in our addon. Node itself is not leak-checked: V8 keeps
# memory until exit by design, so only errors (invalid reads/writes, uninitialised use) and
# definite leaks whose stack passes through device_keystore.node count.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v valgrind >/dev/null || { echo "valgrind-native: valgrind is not installed" >&2; exit 1; }
[ -f dist/index.js ] || npm run build

work=$(mktemp -d)
trap 'kill "$swtpm_pid" 2>/dev/null || true; rm -rf "$work"' EXIT

source scripts/swtpm-lib.sh
start_swtpm "$work"

export DEVICE_KEYSTORE_TCTI="$swtpm_tcti"
valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \
  --track-origins=no --num-callers=30 --log-file="$work/vg.log" \
  node test/fixtures/native/exercise.cjs

# Count only what concerns our addon: error records whose stack mentions device_keystore.node.
errors=$(awk '/^==[0-9]+== [A-Z]/{rec=$0; next} /^==[0-9]+== $/{if (rec ~ /device_keystore/) n++; rec=""; next} {rec=rec"\n"$0} END{print n+0}' "$work/vg.log")
grep -E "ERROR SUMMARY|definitely lost" "$work/vg.log" || true
if [ "$errors" -ne 0 ]; then
  echo "valgrind-native: $errors error record(s) in device_keystore.node:" >&2
  grep -B2 -A30 device_keystore "$work/vg.log" | head -200 >&2
  exit 1
fi
echo "valgrind-native: no memory errors or definite leaks in device_keystore.node"
