#!/usr/bin/env bash
# Installs the npm tarball the way a user does, on a machine where nothing may be compiled, and
# uses it: `require` and `import`, the types, the CLI on the encrypted-file tier, a TPM signature
# against a private swtpm through the prebuilt addon, and the package with the tss2 libraries
# hidden. Prints a PASS/FAIL list and exits non-zero if anything failed.
#
#   bash scripts/pack-install-test.sh
#
# Environment:
#   DK_TARBALL       the tarball to test (default: build one with scripts/stage-package.sh)
#   PREBUILDS_ONLY=1 passed on to stage-package.sh (pack ./prebuilds as it is, compile nothing)
#
# "Nothing may be compiled": cc, c++, gcc, g++, clang, clang++, make and node-gyp are shims at the
# front of PATH that log every call and fail, and CC/CXX are unset; the log must stay empty. (npm
# runs its bundled node-gyp for install scripts, which then runs `make` from PATH: the shim.) A
# control run at the end shows that a real compile attempt is caught by them.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=package-test-lib.sh
source "$root/scripts/package-test-lib.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/dk-install-XXXXXX")
cleanup() {
  stop_swtpm
  rm -rf "$work"
}
trap cleanup EXIT

tarball=$(tarball_for pack-install-test "$work") || exit 1
echo "pack-install-test: tarball $tarball"

shims=$work/shims
shimlog=$work/shim.log
make_tool_shims "$shims" "$shimlog"
fixtures=$root/test/fixtures/install

# A fresh consumer project; $2 = extra npm install flags.
install_into() {
  local proj=$1
  shift
  mkdir -p "$proj"
  printf '{ "name": "dk-consumer", "version": "1.0.0", "private": true }\n' >"$proj/package.json"
  cp "$fixtures"/consumer.cjs "$fixtures"/consumer.mjs "$fixtures"/types.cts "$fixtures"/types.mts \
    "$fixtures"/tsconfig.json "$proj/"
  (
    cd "$proj" &&
      env -u CC -u CXX PATH="$shims:$PATH" npm_config_build_from_source=false npm install "$tarball" --no-audit --no-fund \
        --foreground-scripts --loglevel=info "$@"
  ) >"$proj.install.log" 2>&1
  local rc=$?
  cat "$proj.install.log"
  return $rc
}
no_shim_calls() {
  if [ -s "$shimlog" ]; then
    echo "build tools were invoked:"
    cat "$shimlog"
    return 1
  fi
  echo "no compiler, make or node-gyp ran"
}
no_build_dir() {
  local pkg=$1/node_modules/device-keystore
  [ -f "$pkg/package.json" ] || { echo "not installed: $pkg"; return 1; }
  if [ -e "$pkg/build" ]; then
    echo "$pkg/build exists:"
    find "$pkg/build" | head
    return 1
  fi
  ls "$pkg"/prebuilds/*/
}

# ---- 1. install with --ignore-scripts -----------------------------------------------------------
a=$work/project-ignore-scripts
check "npm install <tarball> --ignore-scripts, npm_config_build_from_source=false" install_into "$a" --ignore-scripts
check "  no compiler ran" no_shim_calls
check "  no build/ in the installed package; prebuilds/ there" no_build_dir "$a"

# ---- 2. install with scripts: node-gyp-build must pick the prebuild ----------------------------
b=$work/project-with-scripts
check "npm install <tarball> (install script node-gyp-build runs)" install_into "$b"
check "  the install script ran, and succeeded" \
  sh -c 'grep -E "run device-keystore@[^ ]+ install node_modules/device-keystore node-gyp-build" "$1" &&
    grep -E "run device-keystore@[^ ]+ install \{ code: 0, signal: null \}" "$1"' _ "$b.install.log"
check "  no compiler ran" no_shim_calls
check "  no build/ in the installed package" no_build_dir "$b"

# ---- 3. require, import, types --------------------------------------------------------------------
run_in() { (cd "$1" && shift && "$@"); }
check "require('device-keystore'): addon from prebuilds/, file tier round trip" \
  run_in "$a" node consumer.cjs "$work/store-cjs"
cjs_json=$LAST_OUT
check "  the addon it loaded is the prebuild, with the TPM tier built in" \
  node -e '
    const r = JSON.parse(process.argv[1].trim().split("\n").pop());
    console.log(r);
    const ok = r.addonLoaded && r.addon.startsWith(`prebuilds/${process.platform}-${process.arch}/`) &&
      (process.platform !== "linux" || r.tpmTier === true);
    process.exit(ok ? 0 : 1);' "$cjs_json"
check "import from 'device-keystore' (ESM): same classes as require, file tier round trip" \
  run_in "$a" node consumer.mjs "$work/store-esm"
check "require() from the project installed with scripts" run_in "$b" node consumer.cjs "$work/store-b"
check "the shipped types check (tsc, module node16, .cts and .mts)" \
  run_in "$a" node "$root/node_modules/typescript/bin/tsc" -p tsconfig.json --typeRoots "$root/node_modules/@types"

# ---- 4. the CLI on the encrypted-file tier --------------------------------------------------------
cli=$a/node_modules/.bin/device-keystore
store=$work/store-cli
printf 'a message signed by the installed CLI\n' >"$work/msg.txt"
printf 'a message signed by the installed CLI!\n' >"$work/other.txt"
check "device-keystore init --backend encrypted-file" "$cli" init --name installed --backend encrypted-file --dir "$store" --json
check "device-keystore sign (encrypted-file)" "$cli" sign --dir "$store" --in "$work/msg.txt" --out "$work/msg.sig" --encoding binary
check "device-keystore verify" "$cli" verify --dir "$store" --in "$work/msg.txt" --signature "$work/msg.sig" --encoding binary
expect_fail "device-keystore verify rejects another message" \
  "$cli" verify --dir "$store" --in "$work/other.txt" --signature "$work/msg.sig" --encoding binary
check "device-keystore public-key" "$cli" public-key --dir "$store" --format pem --out "$work/pub.pem"
check "openssl verifies the CLI's signature" \
  openssl dgst -sha256 -verify "$work/pub.pem" -signature "$work/msg.sig" "$work/msg.txt"

# ---- 5. TPM: sign against swtpm through the prebuilt addon ------------------------------------------
if start_swtpm "$work/swtpm"; then
  tstore=$work/store-tpm
  check "device-keystore init --backend tpm2 (swtpm, prebuilt addon)" \
    env DEVICE_KEYSTORE_TCTI="$SWTPM_TCTI" "$cli" init --name tpm --backend tpm2 --dir "$tstore" --json
  check "device-keystore sign (tpm2)" \
    env DEVICE_KEYSTORE_TCTI="$SWTPM_TCTI" "$cli" sign --dir "$tstore" --in "$work/msg.txt" --out "$work/tpm.sig" --encoding binary
  check "device-keystore public-key (tpm2)" \
    env DEVICE_KEYSTORE_TCTI="$SWTPM_TCTI" "$cli" public-key --dir "$tstore" --format pem --out "$work/tpm.pem"
  check "openssl verifies the TPM signature" \
    openssl dgst -sha256 -verify "$work/tpm.pem" -signature "$work/tpm.sig" "$work/msg.txt"
  check "info --json: the identity key is in tpm2, hardware-backed" \
    sh -c 'DEVICE_KEYSTORE_TCTI="$1" "$2" info --dir "$3" --json | node -e "
      const d = JSON.parse(require(\"fs\").readFileSync(0, \"utf8\"));
      const k = d.keys.find((k) => k.alias === d.identity.keyAlias) || d.keys[0];
      console.log(d.tier, k);
      process.exit(k && k.tier === \"tpm2\" && k.hardwareBacked === true ? 0 : 1);"' \
    _ "$SWTPM_TCTI" "$cli" "$tstore"
else
  check "start swtpm" false
fi

# ---- 6. tss2 libraries hidden (DEVICE_KEYSTORE_TSS2_LIBDIR = an empty directory) -------------------
nolib=$work/no-tss2
mkdir -p "$nolib"
hidden() { env DEVICE_KEYSTORE_TSS2_LIBDIR="$nolib" DEVICE_KEYSTORE_TCTI="${SWTPM_TCTI:-swtpm:host=127.0.0.1,port=9}" "$@"; }
check "without libtss2: require + file tier round trip" hidden sh -c 'cd "$1" && node consumer.cjs "$2"' _ "$a" "$work/store-nolib-cjs"
check "without libtss2: import + file tier round trip" hidden sh -c 'cd "$1" && node consumer.mjs "$2"' _ "$a" "$work/store-nolib-esm"
nstore=$work/store-nolib-cli
check "without libtss2: device-keystore init (auto picks encrypted-file)" hidden "$cli" init --name nolib --dir "$nstore" --json
check "without libtss2: device-keystore sign + verify" \
  hidden sh -c '"$1" sign --dir "$2" --in "$3" --out "$4" && "$1" verify --dir "$2" --in "$3" --signature "$4"' \
  _ "$cli" "$nstore" "$work/msg.txt" "$work/nolib.sig"
check "without libtss2: doctor --json names libtss2-esys.so.0 as the tpm2 tier's reason" \
  hidden sh -c '"$1" doctor --dir "$2" --json | node -e "
    const d = JSON.parse(require(\"fs\").readFileSync(0, \"utf8\"));
    const t = d.tiers.find((t) => t.tier === \"tpm2\");
    console.log(d.tier, t);
    process.exit(d.tier === \"encrypted-file\" && t.status === \"unavailable\" && /libtss2-esys\.so\.0/.test(t.reason) ? 0 : 1);"' \
  _ "$cli" "$nstore"
check "without libtss2: init --backend tpm2 fails with exit 8, naming the library" \
  hidden sh -c 'out=$("$1" init --name x --backend tpm2 --dir "$2" 2>&1); rc=$?; echo "exit $rc: $out"; [ $rc -eq 8 ] && echo "$out" | grep -q libtss2-esys.so.0' \
  _ "$cli" "$work/store-nolib-tpm"

# ---- 7. control: the shims do catch a compile ---------------------------------------------------------
: >"$shimlog"
expect_fail "control: npm rebuild --build-from-source under the shims fails" \
  sh -c 'cd "$1" && env -u CC -u CXX PATH="$2:$PATH" npm_config_build_from_source=true npm rebuild device-keystore --foreground-scripts' _ "$b" "$shims"
check "control: and the shim log recorded the build tool it ran" sh -c 'cat "$1" && [ -s "$1" ]' _ "$shimlog"

summary pack-install-test
