#!/usr/bin/env bash
# Compile- and link-check the Windows sources (binding.gyp's for OS=="win") on Linux
# for x86_64-w64-mingw32 with the cross-check tool (scripts/windows/cross-check.sh, a copy of
# the shared one): mingw-w64 g++ (and clang, when present), then XCHECK_LINK=1 (a .node DLL
# linked with --no-undefined against node.exe's Node-API import library and the import
# libraries of ncrypt, bcrypt and advapi32, so every NCrypt symbol must exist there; tbs.dll is
# loaded at run time, not linked).
# It needs only apt (g++-mingw-w64-x86-64), so CI runs it (.ci/run).
#
#   npm run check:windows
# env: XCHECK_TOOLS  a directory with another check-windows.sh to use instead
#      XCHECK_NAPI_DIR, XCHECK_NODE_INC, XCHECK_WIN_CLANG: passed through to the checker
# npm run build:windows (scripts/windows/build-addon.sh) builds the loadable addon itself.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ -n "${XCHECK_TOOLS:-}" ]; then CHECKER="$XCHECK_TOOLS/check-windows.sh"
else CHECKER="$ROOT/scripts/windows/cross-check.sh"; fi
if [ ! -f "$CHECKER" ]; then
  echo "check:windows: the checker $CHECKER is missing (set XCHECK_TOOLS)" >&2
  exit 2
fi
cd "$ROOT"
export XCHECK_NAPI_DIR=${XCHECK_NAPI_DIR:-$ROOT/node_modules/node-addon-api}
export XCHECK_NODE_INC=${XCHECK_NODE_INC:-$(node -p "require('path').join(process.execPath, '..', '..', 'include', 'node')")}
# The defines binding.gyp gives the Windows build.
FLAGS=(-Inative/common -DNAPI_VERSION=8 -DNAPI_CPP_EXCEPTIONS -DNODE_ADDON_API_CPP_EXCEPTIONS_ALL -DNODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS -DNODE_ADDON_API_DISABLE_DEPRECATED
       -DNODE_API_NO_EXTERNAL_BUFFERS_ALLOWED
       -DWIN32_LEAN_AND_MEAN -DNOMINMAX -D_HAS_EXCEPTIONS=1 -ladvapi32 -lncrypt)
# The sources binding.gyp names for OS=="win" (common + native/windows/).
read -ra FILES <<<"$(node scripts/prebuilds/toolchain.mjs sources win)"
# One pass: g++ builds the objects and links the .node (clang, when present, checks the syntax).
XCHECK_LINK=1 bash "$CHECKER" "${FLAGS[@]}" "${FILES[@]}"
echo "check:windows: OK"
