#!/usr/bin/env bash
# Compile-check the macOS tiers (binding.gyp's sources for OS=="mac") on Linux, for
# arm64-apple-macos11 and x86_64-apple-macos10.15, against a header-only macOS sysroot.
#
#   npm run check:macos [-- SYSROOT]
#   scripts/check-macos.sh [SYSROOT]          (or XCHECK_MACOS_SDK=SYSROOT)
#
# With no sysroot this prints that the check was SKIPPED and exits 0: CI has no Apple headers,
# and they never go into this repository. Build one with the shared cross-check tools:
#   setup-cross-check.sh <git dir of hexops/xcode-frameworks>   -> /tmp/xcheck/MacOSX.sdk
#
# Runs the checker twice: syntax and types, then XCHECK_LINK=1 (Mach-O objects, and every
# Sec*/CF* symbol they import must be exported by Security/CoreFoundation).
# env: XCHECK_TOOLS  directory of check-macos.sh (default: ../shared/tools beside the repo)
#      XCHECK_NAPI_DIR, XCHECK_NODE_INC, CLANGXX: passed through to the checker
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SDK=${1:-${XCHECK_MACOS_SDK:-}}

if [ -z "$SDK" ]; then
  echo "check:macos: SKIPPED - no macOS sysroot given (pass one as an argument or set XCHECK_MACOS_SDK)."
  echo "check:macos: nothing was compiled for macOS."
  exit 0
fi
if [ ! -d "$SDK/System/Library/Frameworks/Security.framework/Headers" ]; then
  echo "check:macos: $SDK is not a macOS sysroot (no Security.framework headers)" >&2
  exit 2
fi
TOOLS=${XCHECK_TOOLS:-$ROOT/../shared/tools}
CHECKER="$TOOLS/check-macos.sh"
if [ ! -f "$CHECKER" ]; then
  echo "check:macos: the checker $CHECKER is missing (set XCHECK_TOOLS)" >&2
  exit 2
fi

cd "$ROOT"
export XCHECK_MACOS_SDK="$SDK"
export XCHECK_NAPI_DIR=${XCHECK_NAPI_DIR:-$ROOT/node_modules/node-addon-api}
# The defines and flags binding.gyp gives the mac build (NAPI_CPP_EXCEPTIONS turns -fexceptions on;
# node-gyp's mac defaults add -fno-rtti).
FLAGS=(-Inative/common -fno-rtti -DNAPI_VERSION=8 -DNAPI_CPP_EXCEPTIONS -DNODE_ADDON_API_CPP_EXCEPTIONS_ALL -DNODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS
       -DNODE_ADDON_API_DISABLE_DEPRECATED -DNODE_API_NO_EXTERNAL_BUFFERS_ALLOWED)
# The sources binding.gyp names for OS=="mac" (common + native/macos/).
read -ra FILES <<<"$(node scripts/prebuilds/toolchain.mjs sources mac)"

echo "check:macos: sysroot $SDK"
echo "check:macos: pass 1 - syntax and types"
bash "$CHECKER" "${FLAGS[@]}" "${FILES[@]}"
echo "check:macos: pass 2 - objects and Security/CoreFoundation symbols (XCHECK_LINK=1)"
XCHECK_LINK=1 bash "$CHECKER" "${FLAGS[@]}" "${FILES[@]}"
echo "check:macos: OK"
