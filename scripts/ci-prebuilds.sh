#!/bin/sh
# The release's prebuild step, inside a container (.github/workflows/release.yml runs it with
# `docker run ... IMAGE sh scripts/ci-prebuilds.sh TARGETS`): installs the toolchain TARGETS
# need from apt, then the one build script CI uses, scripts/build-prebuilds.mjs, with --require
# (every target built and every check passed, or the job fails).
#
#   linux   linux-x64,linux-arm64 in node:20-bullseye: Debian 11, GCC 10 and
#           g++-aarch64-linux-gnu 10, so the files need glibc >= 2.17 (checked) and a libstdc++
#           no newer than GCC 10's (GLIBCXX_3.4.28, checked), which Ubuntu 20.04 and RHEL 8 have
#   cross   win32-x64,darwin-x64,darwin-arm64 in node:20-bookworm: Debian 12's mingw-w64 and
#           clang-16/lld-16, the toolchain .ci/run uses; DK_MACOS_SDK must name the macOS SDK
#
# No tss2 package is installed: the TPM tier's declarations are vendored
# (native/linux-tpm/vendor/tss2) and the libraries are dlopen'ed at run time.
set -eu
cd "$(dirname "$0")/.."
what=${1:?usage: ci-prebuilds.sh linux|cross}
apt-get update -qq
case "$what" in
  linux)
    targets=linux-x64,linux-arm64
    extra=--max-glibcxx=3.4.28
    pkgs="build-essential python3 g++-aarch64-linux-gnu llvm"
    ;;
  cross)
    targets=win32-x64,darwin-x64,darwin-arm64
    extra=
    [ -n "${DK_MACOS_SDK:-}" ] || { echo "ci-prebuilds: DK_MACOS_SDK is not set" >&2; exit 1; }
    pkgs="g++-mingw-w64-x86-64 binutils-mingw-w64-x86-64 clang-16 lld-16 llvm-16"
    ;;
  *) echo "ci-prebuilds: unknown set $what" >&2; exit 2 ;;
esac
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $pkgs
# The dev tools (prebuildify, typescript, node-addon-api), compiling nothing yet.
npm install --ignore-scripts --no-audit --no-fund
npm run build
npm run build:prebuilds -- --targets="$targets" --require $extra --report="prebuilds-report-$what.json"
