#!/usr/bin/env bash
# Cross-builds the addon for Windows x64 with mingw-w64 (Debian: g++-mingw-w64-x86-64,
# mingw-w64-tools), the same sources binding.gyp picks for OS=="win": the win32-x64 prebuild
# that ships (scripts/build-prebuilds.mjs calls this; docs/packaging.md says why mingw-w64 and
# not MSVC), or, run by hand, prebuilds/win32-x64/node.napi.node in the work tree (gitignored).
#   - Node-API functions come from node.exe: an import library made with dlltool from the napi_*
#     names in the Node headers;
#   - linked with -static, so it needs no libwinpthread-1.dll or libstdc++-6.dll, only system DLLs.
# usage: npm run build:windows [-- OUT.node]   (default prebuilds/win32-x64/node.napi.node;
#        scripts/build-prebuilds.mjs calls it for the win32-x64 prebuild)
set -euo pipefail
cd "$(dirname "$0")/../.."
GXX=${MINGW_GXX:-x86_64-w64-mingw32-g++-posix}
command -v "$GXX" >/dev/null || { echo "build-addon: $GXX missing (apt-get install g++-mingw-w64-x86-64)" >&2; exit 2; }
NODE_INC=${DK_NODE_INC:-$(node -p "require('path').join(process.execPath, '..', '..', 'include', 'node')")}
NAPI_INC=$(node -p "require('node-addon-api').include_dir")
[ -f "$NODE_INC/node_api.h" ] || { echo "build-addon: no node_api.h in $NODE_INC" >&2; exit 2; }
file=${1:-prebuilds/win32-x64/node.napi.node}
obj=build-win
mkdir -p "$(dirname "$file")" "$obj"
# The sources binding.gyp names for Windows (common + native/windows/).
srcs=$(node scripts/prebuilds/toolchain.mjs sources win)
{ echo "LIBRARY node.exe"; echo "EXPORTS"
  grep -ohE '\b(napi|node_api)_[a-z0-9_]+\s*\(' "$NODE_INC"/js_native_api.h "$NODE_INC"/node_api.h | tr -d '( ' | sort -u
} >"$obj/node.def"
x86_64-w64-mingw32-dlltool -d "$obj/node.def" -l "$obj/libnode.a" -D node.exe
flags=(-std=c++17 -O2 -I"$NODE_INC" -I"$NAPI_INC" -DNAPI_VERSION=8 -DNAPI_CPP_EXCEPTIONS -DNODE_ADDON_API_CPP_EXCEPTIONS_ALL -DNODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS
       -DNODE_ADDON_API_DISABLE_DEPRECATED -DNODE_API_NO_EXTERNAL_BUFFERS_ALLOWED -DBUILDING_NODE_EXTENSION -DWIN32 -D_WIN32_WINNT=0x0A00 -DWIN32_LEAN_AND_MEAN -DNOMINMAX
       '-DHOST_BINARY="node.exe"' -Wall -Wextra -Wno-unused-parameter -Wno-cast-function-type)
objs=()
for s in $srcs; do
  o="$obj/$(basename "${s%.cc}").o"
  "$GXX" "${flags[@]}" -c -o "$o" "$s"
  objs+=("$o")
done
"$GXX" -shared -o "$file.partial" "${objs[@]}" -L"$obj" -lnode -ladvapi32 -lncrypt \
  -static -static-libgcc -static-libstdc++ -Wl,--no-undefined -s
mv "$file.partial" "$file"
echo "build-addon: $file ($(x86_64-w64-mingw32-objdump -p "$file" | awk '/DLL Name/{printf "%s ", $3}'))"
