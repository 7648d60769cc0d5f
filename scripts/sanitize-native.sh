#!/usr/bin/env bash
# The addon built with AddressSanitizer + UndefinedBehaviorSanitizer (build-sanitize/, apart
# from build/Release), then the TPM and worker tests run on it. Any report fails the run:
# ASan halts on its first error, UBSan is built with -fno-sanitize-recover=all, and every
# process (vitest's workers, the tests' child processes, worker threads) writes its reports to
# one log directory that must stay empty, so a report from a child whose death a test tolerated
# still counts. Leaks are valgrind-native.sh's job: node keeps memory until exit by design.
#   bash scripts/sanitize-native.sh [test files...]   (default: the TPM and worker tests)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

cxx=${CXX:-g++}
libasan=$("$cxx" -print-file-name=libasan.so)
[ -f "$libasan" ] || { echo "sanitize-native: $cxx has no libasan ($libasan)" >&2; exit 1; }
flags="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g -O1"
[ -f dist/index.js ] || npm run build

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
logs="$work/logs"
mkdir "$logs"

# 0. The flags catch what they should: a canary built with them must die on each fault.
"$cxx" $flags -o "$work/canary" test/fixtures/sanitize/canary.cc
for fault in null-memcpy heap-overflow; do
  if ASAN_OPTIONS=detect_leaks=0 "$work/canary" "$fault" >/dev/null 2>"$work/canary.err"; then
    echo "sanitize-native: the canary's $fault went unreported; the flags catch nothing" >&2
    exit 1
  fi
  grep -qE "runtime error|AddressSanitizer" "$work/canary.err" ||
    { echo "sanitize-native: the canary's $fault died without a report:" >&2; cat "$work/canary.err" >&2; exit 1; }
done
echo "sanitize-native: canary ok (null memcpy and heap overflow both reported)"

# 1. The build: a copy of the package's build inputs, so build/Release stays the normal build.
out="$root/build-sanitize"
rm -rf "$out"
mkdir -p "$out"
cp -r binding.gyp package.json native "$out/"
ln -s "$root/node_modules" "$out/node_modules"
# DK_TSS2_NO_DEEPBIND: ASan refuses RTLD_DEEPBIND (native/linux-tpm/tss2_api.cc).
(cd "$out" && CXXFLAGS="$flags -DDK_TSS2_NO_DEEPBIND" CFLAGS="$flags" LDFLAGS="-fsanitize=address,undefined" \
  npm run --silent build:native >"$work/build.log" 2>&1) ||
  { cat "$work/build.log" >&2; exit 1; }
addon="$out/build/Release/device_keystore.node"
ldd "$addon" | grep -q libasan || { echo "sanitize-native: $addon is not linked with libasan" >&2; exit 1; }

# The outside tools the tests spawn run without the ASan runtime: they are not ours, and some
# (tpm2-tools) hang at exit with it preloaded. Each gets a shim earlier on PATH that drops
# LD_PRELOAD; node processes (the tests, their children, worker threads) keep it.
shims="$work/bin"
mkdir "$shims"
for tool in /usr/bin/tpm2_* /usr/bin/tpm2 /usr/bin/openssl /usr/bin/swtpm /usr/bin/swtpm_setup \
  /usr/sbin/tpm2-abrmd /usr/bin/tpm2-abrmd /usr/bin/dbus-daemon; do
  [ -x "$tool" ] || continue
  printf '#!/bin/sh\nunset LD_PRELOAD\nexec %s "$@"\n' "$tool" >"$shims/$(basename "$tool")"
  chmod +x "$shims/$(basename "$tool")"
done
export PATH="$shims:$PATH"

# A private swtpm for exercise.cjs (the tests start their own).
source scripts/swtpm-lib.sh
mkdir "$work/tpmstate"
start_swtpm "$work/tpmstate"
trap 'kill "$swtpm_pid" 2>/dev/null || true; rm -rf "$work"' EXIT

# node-gyp-build loads the addon from $DEVICE_KEYSTORE_PREBUILD/build/Release.
export DEVICE_KEYSTORE_PREBUILD="$out"
export LD_PRELOAD="$libasan"
export ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:log_path=$logs/asan"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$logs/ubsan"
status=$(node -p "const s = require('./dist/addon/load.js'); const n = s.loadNative();
  JSON.stringify({ path: n.path, deepBind: n.addon.tss2Status('').deepBind })")
echo "sanitize-native: loaded $status"
case "$status" in
  *"$addon"*'"deepBind":false'*) ;;
  *) echo "sanitize-native: the sanitizer build is not the one loaded, or it kept DEEPBIND" >&2; exit 1 ;;
esac

# 2. The tests.
tests=("$@")
tpm=test/tiers/tpm2
[ ${#tests[@]} -gt 0 ] || tests=("$tpm/tpm.test.ts" "$tpm/tpm-native.test.ts" "$tpm/tpm-faults.test.ts"
  "$tpm/tpm-stress.test.ts" "$tpm/tpm-import.test.ts" "$tpm/tpm-processes.test.ts"
  test/api/close.test.ts "$tpm/wipe.test.ts")
rc=0
npx vitest run "${tests[@]}" || rc=$?
DEVICE_KEYSTORE_TCTI="$swtpm_tcti" node test/fixtures/native/exercise.cjs || rc=$?

reports=$(find "$logs" -type f | wc -l)
if [ "$reports" -ne 0 ]; then
  echo "sanitize-native: $reports sanitizer report(s):" >&2
  for f in "$logs"/*; do echo "== $f" >&2; head -60 "$f" >&2; done
  exit 1
fi
[ "$rc" -eq 0 ] || { echo "sanitize-native: tests failed under the sanitizer build (rc $rc)" >&2; exit "$rc"; }
echo "sanitize-native: no ASan or UBSan reports; tests passed"
