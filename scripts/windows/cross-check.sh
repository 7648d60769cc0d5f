#!/usr/bin/env bash
# A copy of the team's shared cross-check tool (shared/tools/check-windows.sh), kept in the
# repository so that CI, which has only the clone, runs the same check; scripts/check-windows.sh
# uses it unless XCHECK_TOOLS names another directory.
# Compile-check C/C++ sources for Windows x64 (NCrypt/BCrypt, node-addon-api) on Linux with
# mingw-w64 (Debian: apt-get install g++-mingw-w64-x86-64 mingw-w64) and optionally clang.
#
# usage: check-windows.sh [-Dflag|-Idir|-W...|-lfoo single-token flags] FILE...
# env:
#   XCHECK_WIN_CLANG=0  skip the second pass with clang++ --target=x86_64-w64-mingw32 (default: on if clang present)
#   XCHECK_LINK=1       also compile objects and link a .node DLL against import libs for
#                       ncrypt/bcrypt/kernel32 and a generated node.exe import lib (catches
#                       functions that are declared but missing from the import libraries)
#   XCHECK_NAPI_DIR, XCHECK_NODE_INC   as in check-macos.sh
# exit status: 0 if all passes succeeded, 1 otherwise.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
XCHECK_HOME=${XCHECK_HOME:-/tmp/xcheck}
NAPI_DIR=${XCHECK_NAPI_DIR:-$XCHECK_HOME/node_modules/node-addon-api}
NODE_INC=${XCHECK_NODE_INC:-/usr/include/node}
GXX=${MINGW_GXX:-x86_64-w64-mingw32-g++-posix}   # -posix: std::mutex/std::thread (node-addon-api needs std::mutex)
CLANGXX=${CLANGXX:-$(command -v clang++-16 || command -v clang++ || true)}
GCCINC=$(ls -d /usr/lib/gcc/x86_64-w64-mingw32/*-posix/include/c++ 2>/dev/null | sort -V | tail -1)

command -v "$GXX" >/dev/null || { echo "check-windows: $GXX missing (apt-get install g++-mingw-w64-x86-64)" >&2; exit 2; }
[ -f "$NAPI_DIR/napi.h" ] || { echo "check-windows: no napi.h in $NAPI_DIR" >&2; exit 2; }

user_flags=(); link_flags=(); files=()
for a in "$@"; do case "$a" in -l*|-L*) link_flags+=("$a");; -*) user_flags+=("$a");; *) files+=("$a");; esac; done
[ ${#files[@]} -gt 0 ] || { echo "usage: $0 [flags] FILE..." >&2; exit 2; }

# What node-gyp's addon.gypi defines on Windows (no UNICODE: use the W APIs / L"" explicitly).
base=(-std=c++17 -I"$NODE_INC" -I"$NAPI_DIR"
      -DBUILDING_NODE_EXTENSION -DWIN32 -D_CRT_SECURE_NO_DEPRECATE -D_CRT_NONSTDC_NO_DEPRECATE
      '-DHOST_BINARY="node.exe"' -D_WIN32_WINNT=0x0A00
      -Wall -Wextra -Wno-unused-parameter -Wno-cast-function-type -Wno-unknown-pragmas)
if printf '%s\n' "${user_flags[@]+"${user_flags[@]}"}" | grep -q '^-DNAPI_CPP_EXCEPTIONS'; then
  base+=(-fexceptions)
else
  base+=(-DNAPI_DISABLE_CPP_EXCEPTIONS -D_HAS_EXCEPTIONS=0 -fno-exceptions)
fi

compilers=("gcc")
if [ "${XCHECK_WIN_CLANG:-1}" = 1 ] && [ -n "$CLANGXX" ] && [ -n "$GCCINC" ]; then compilers+=("clang"); fi

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
rc=0; objs=()
for f in "${files[@]}"; do
  case "$f" in *.c) lang=(-x c -std=c11);; *) lang=(-x c++);; esac
  for c in "${compilers[@]}"; do
    if [ "$c" = gcc ]; then cmd=("$GXX")
    else cmd=("$CLANGXX" --target=x86_64-w64-mingw32 -isystem "$GCCINC" -isystem "$GCCINC/x86_64-w64-mingw32"); fi
    if [ "${XCHECK_LINK:-0}" = 1 ] && [ "$c" = gcc ]; then
      o="$tmp/$(basename "$f").o"; out=(-c -o "$o"); objs+=("$o")
    else out=(-fsyntax-only); fi
    if "${cmd[@]}" "${base[@]}" "${lang[@]}" "${user_flags[@]+"${user_flags[@]}"}" "${out[@]}" "$f"; then
      echo "ok   [$c] $f"
    else
      echo "FAIL [$c] $f"; rc=1
    fi
  done
done

if [ "${XCHECK_LINK:-0}" = 1 ] && [ $rc = 0 ]; then
  # import library for the N-API functions node.exe exports (names taken from the Node headers)
  { echo "LIBRARY node.exe"; echo "EXPORTS"
    grep -ohE '\b(napi|node_api)_[a-z0-9_]+\s*\(' "$NODE_INC"/js_native_api.h "$NODE_INC"/node_api.h | tr -d '( ' | sort -u
  } > "$tmp/node.def"
  x86_64-w64-mingw32-dlltool -d "$tmp/node.def" -l "$tmp/libnode.a" -D node.exe
  if "$GXX" -shared -o "$tmp/addon.node" "${objs[@]}" -L"$tmp" -lnode -lncrypt -lbcrypt -lcrypt32 \
       "${link_flags[@]+"${link_flags[@]}"}" -static-libgcc -static-libstdc++ -Wl,--no-undefined; then
    echo "ok   [link] $(x86_64-w64-mingw32-objdump -p "$tmp/addon.node" | awk '/DLL Name/{printf "%s ", $3}')"
  else
    echo "FAIL [link]"; rc=1
  fi
fi
exit $rc
