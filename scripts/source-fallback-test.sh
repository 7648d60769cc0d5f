#!/usr/bin/env bash
# The source-build fallback on a machine without the tss2 headers: installs the npm tarball with
# npm_config_build_from_source=true (node-gyp-build compiles instead of using the prebuild) in a
# private mount namespace with an empty directory over /usr/include/tss2 (unshare -m, as root),
# and shows that the install succeeds, the addon is the local build, and that build has a
# working TPM tier (the tarball carries the tss2 declarations in native/linux-tpm/vendor/tss2;
# the runtime libraries are installed): init --backend tpm2 on swtpm, sign, openssl verifies.
# The encrypted-file tier works too. If this machine does not allow unshare, the test reports
# that it did not run. test/packaging/source-build.test.ts checks the same for a build of this
# checkout. Prints a PASS/FAIL list and exits non-zero if anything failed.
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
    const r = n.ok ? { addon: path.relative(pkg, n.path), tpmTier: typeof n.addon.TpmConnection === "function" } : { error: n.error };
    console.log(JSON.stringify(r));
    process.exit(n.ok && r.addon === "build/Release/device_keystore.node" && r.tpmTier ? 0 : 1);')
}

# tier_signs PROJECT STORE BACKEND [tcti]: init, sign, export the public key, openssl verifies.
tier_signs() (
  cli=$1/node_modules/.bin/device-keystore store=$2 backend=$3
  if [ -n "${4:-}" ]; then export DEVICE_KEYSTORE_TCTI=$4; fi
  printf 'built from source\n' >"$store.msg"
  "$cli" init --name fallback --backend "$backend" --dir "$store" >/dev/null &&
    "$cli" sign --dir "$store" --in "$store.msg" --out "$store.sig" --encoding binary &&
    "$cli" public-key --dir "$store" --format pem --out "$store.pem" &&
    "$cli" info --dir "$store" --json | node -e '
      const d = JSON.parse(require("fs").readFileSync(0, "utf8"));
      console.log("tier", d.tier);
      process.exit(d.tier === process.argv[1] ? 0 : 1);' "$backend" &&
    openssl dgst -sha256 -verify "$store.pem" -signature "$store.sig" "$store.msg"
)

if [ -d /usr/include/tss2 ] && unshare -m true 2>/dev/null; then
  proj=$work/project-mountns
  check "/usr/include/tss2 hidden: the install (compiled from source) succeeds" \
    install_from_source "$proj" unshare -m sh -c 'mount --bind "$0" /usr/include/tss2 && test ! -e /usr/include/tss2/tss2_esys.h && exec "$@"' "$empty"
  check "node-gyp-build compiled it (the install log shows a node-gyp build)" \
    grep -q "gyp info ok" "$proj.log"
  check "the addon is build/Release and has the TPM tier" addon_facts "$proj"
  check "the tpm2 tier of that build: init on swtpm, sign, openssl verifies" \
    tier_signs "$proj" "$work/store-$RANDOM" tpm2 "${SWTPM_TCTI:-swtpm:host=127.0.0.1,port=9}"
  check "the encrypted-file tier: init, sign, openssl verifies" \
    tier_signs "$proj" "$work/store-$RANDOM" encrypted-file
else
  echo "NOTE  not run: unshare -m is not permitted here, or /usr/include/tss2 does not exist"
fi

summary source-fallback-test
