#!/usr/bin/env bash
# Runs Windows Node under Wine: scripts/windows/node.sh [node args...]. Windows Node cannot write
# to the Linux side's pipes (EBADF), so its stdout and stderr go to files, copied out afterwards;
# stdin is /dev/null unless DK_WIN_STDIN names a file. Exit status: node's.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
eval "$(bash "$HERE/setup.sh")"
export WINEPREFIX WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
"$WINE" "$WIN_NODE" "$@" <"${DK_WIN_STDIN:-/dev/null}" >"$out" 2>"$err"
rc=$?
cat "$out"; cat "$err" >&2
exit $rc
