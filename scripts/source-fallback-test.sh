#!/usr/bin/env bash
# The source-build fallback on a machine without the tss2 headers: installs the npm tarball with
# npm_config_build_from_source=true (node-gyp-build compiles instead of using the prebuild) while
# the headers are hidden, and shows that the install succeeds, the addon is the local build with
# tpmBuiltIn false, the tpm2 tier says it was not built in (even with a TPM reachable), and the
# encrypted-file tier works. Hidden two ways:
#   1. DEVICE_KEYSTORE_TSS2_INCLUDE=<empty dir> (read by scripts/gyp-tss2-include.js);
#   2. a private mount namespace with an empty directory over /usr/include/tss2 (unshare -m, as
#      root), so the default search path itself finds nothing. If this machine does not allow
#      unshare, that variant is reported as not run (the first one still must pass).
# Prints a PASS/FAIL list and exits non-zero if anything failed.
#
#   bash scripts/source-fallback-test.sh        (DK_TARBALL: the tarball; default: build one)
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=package-test-lib.sh
source "$root/scripts/package-test-lib.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/dk-fallback-XXXXXX")
cleanup() {
  stop_swtpm
  rm -rf "$work"
}
trap cleanup EXIT

tarball=$(tarball_for source-fallback-test "$work") || exit 1
echo "source-fallback-test: tarball $tarball"
# The local build is the subject here: node-gyp-build must be free to prefer build/ over the
# tarball's prebuilds (the release runs the packaging tests with PREBUILDS_ONLY=1).
unset PREBUILDS_ONLY
empty=$work/empty
mkdir -p "$empty"
start_swtpm "$work/swtpm" || check "start swtpm" false

# install_from_source PROJECT [wrapper...]: npm install <tarball>, compiling the addon.
install_from_source() {
  local proj=$1
  shift
  mkdir -p "$proj"
  printf '{ "name": "dk-fallback", "version": "1.0.0", "private": true }\n' >"$proj/package.json"
  (cd "$proj" && "$@" env npm_config_build_from_source=true \
    npm install "$tarball" --no-audit --no-fund --foreground-scripts) >"$proj.log" 2>&1
  local rc=$?
  tail -15 "$proj.log"
  return $rc
}

addon_facts() {
  (cd "$1" && node -e '
    const path = require("path");
    const pkg = path.dirname(require.resolve("device-keystore/package.json"));
    const n = require(path.join(pkg, "dist/native.js")).loadNative();
    const r = n.ok ? { addon: path.relative(pkg, n.path), tpmBuiltIn: n.addon.tpmBuiltIn } : { error: n.error };
    console.log(JSON.stringify(r));
    process.exit(n.ok && r.addon === "build/Release/device_keystore.node" && r.tpmBuiltIn === false ? 0 : 1);')
}

tier_says_not_built() {
  local cli=$1/node_modules/.bin/device-keystore
  DEVICE_KEYSTORE_TCTI="${SWTPM_TCTI:-swtpm:host=127.0.0.1,port=9}" "$cli" doctor --dir "$2" --json |
    node -e '
      const d = JSON.parse(require("fs").readFileSync(0, "utf8"));
      const t = d.tiers.find((t) => t.tier === "tpm2");
      console.log(d.tier, JSON.stringify(t));
      process.exit(d.tier === "encrypted-file" && t.status === "unavailable" &&
        /no TPM support|not built/.test(t.reason) ? 0 : 1);'
}

file_tier_works() {
  local cli=$1/node_modules/.bin/device-keystore store=$2
  printf 'built from source\n' >"$store.msg"
  "$cli" init --name fallback --dir "$store" >/dev/null &&
    "$cli" sign --dir "$store" --in "$store.msg" --out "$store.sig" --encoding binary &&
    "$cli" public-key --dir "$store" --format pem --out "$store.pem" &&
    openssl dgst -sha256 -verify "$store.pem" -signature "$store.sig" "$store.msg"
}

tpm2_refused() {
  local out rc
  out=$(DEVICE_KEYSTORE_TCTI="${SWTPM_TCTI:-swtpm:host=127.0.0.1,port=9}" \
    "$1/node_modules/.bin/device-keystore" init --name t --backend tpm2 --dir "$2" 2>&1)
  rc=$?
  echo "exit $rc: $out"
  [ $rc -eq 8 ] && printf '%s' "$out" | grep -Eq 'no TPM support|not built'
}

variant() {
  local label=$1 proj=$2
  check "$label: the install (compiled from source) succeeds" "${@:3}"
  check "$label: node-gyp-build compiled it (the install log shows a node-gyp build)" \
    grep -q "gyp info ok" "$proj.log"
  check "$label: the addon is build/Release, tpmBuiltIn false" addon_facts "$proj"
  check "$label: doctor: the tpm2 tier is unavailable, not built in (swtpm reachable)" \
    tier_says_not_built "$proj" "$work/store-$RANDOM"
  check "$label: init --backend tpm2 fails with exit 8, saying it is not built in" \
    tpm2_refused "$proj" "$work/store-$RANDOM"
  check "$label: the encrypted-file tier: init, sign, openssl verifies" \
    file_tier_works "$proj" "$work/store-$RANDOM"
}

# 1. The headers hidden by the override that scripts/gyp-tss2-include.js reads.
p1=$work/project-env
variant "DEVICE_KEYSTORE_TSS2_INCLUDE=<empty>" "$p1" \
  install_from_source "$p1" env DEVICE_KEYSTORE_TSS2_INCLUDE="$empty"

# 2. The headers gone from the default path, in a private mount namespace.
if [ -d /usr/include/tss2 ] && unshare -m true 2>/dev/null; then
  p2=$work/project-mountns
  variant "/usr/include/tss2 hidden (mount namespace)" "$p2" \
    install_from_source "$p2" unshare -m sh -c 'mount --bind "$0" /usr/include/tss2 && exec "$@"' "$empty"
else
  echo "NOTE  the mount-namespace variant did not run: unshare -m is not permitted here, or /usr/include/tss2 does not exist"
fi

summary source-fallback-test
