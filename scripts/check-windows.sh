#!/usr/bin/env bash
# Compile- and link-check the Windows sources (native/common/*.cc, native/windows/*.cc) on Linux
# for x86_64-w64-mingw32 with the shared cross-check tool: mingw-w64 g++ (and clang, when
# present), then XCHECK_LINK=1 (a .node DLL against node.exe's Node-API import library, ncrypt,
# bcrypt and advapi32). It needs only apt (g++-mingw-w64-x86-64), so CI can run it.
#
#   npm run check:windows
# env: XCHECK_TOOLS  directory of check-windows.sh (default: ../shared/tools beside the repo)
#      XCHECK_NAPI_DIR, XCHECK_NODE_INC, XCHECK_WIN_CLANG: passed through to the checker
# npm run build:windows (scripts/windows/build-addon.sh) builds the loadable addon itself.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS=${XCHECK_TOOLS:-$ROOT/../shared/tools}
CHECKER="$TOOLS/check-windows.sh"
if [ ! -f "$CHECKER" ]; then
  echo "check:windows: the checker $CHECKER is missing (set XCHECK_TOOLS)" >&2
  exit 2
fi
cd "$ROOT"
export XCHECK_NAPI_DIR=${XCHECK_NAPI_DIR:-$ROOT/node_modules/node-addon-api}
export XCHECK_NODE_INC=${XCHECK_NODE_INC:-$(node -p "require('path').join(process.execPath, '..', '..', 'include', 'node')")}
# The defines binding.gyp gives the Windows build.
FLAGS=(-Inative/common -DNAPI_VERSION=8 -DNAPI_CPP_EXCEPTIONS -DNODE_ADDON_API_DISABLE_DEPRECATED
       -DNODE_API_NO_EXTERNAL_BUFFERS_ALLOWED
       -DWIN32_LEAN_AND_MEAN -DNOMINMAX -ladvapi32)
FILES=(native/common/*.cc native/windows/*.cc)
echo "check:windows: pass 1 - syntax and types"
bash "$CHECKER" "${FLAGS[@]}" "${FILES[@]}"
echo "check:windows: pass 2 - objects and a linked .node (XCHECK_LINK=1)"
XCHECK_LINK=1 bash "$CHECKER" "${FLAGS[@]}" "${FILES[@]}"
echo "check:windows: OK"
