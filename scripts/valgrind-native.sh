#!/usr/bin/env bash
# Runs the native TPM paths once under valgrind (memcheck) against a private swtpm, and fails on
# any memory error or definite leak in our addon. Node itself is not leak-checked: V8 keeps
# memory until exit by design, so only errors (invalid reads/writes, uninitialised use) and
# definite leaks whose stack passes through device_keystore.node count.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v valgrind >/dev/null || { echo "valgrind-native: valgrind is not installed" >&2; exit 1; }
[ -f dist/index.js ] || npm run build

work=$(mktemp -d)
trap 'kill "$swtpm_pid" 2>/dev/null || true; rm -rf "$work"' EXIT

# A port pair below the ephemeral range (32768+), which the earlier TPM tests fill with TIME_WAITs.
port=$(node -e '
  const net = require("net");
  const free = (p) => new Promise((r) => { const s = net.createServer(); s.once("error", () => r(false));
    s.listen(p, "127.0.0.1", () => s.close(() => r(true))); });
  (async () => { for (;;) { const p = 20000 + 2 * Math.floor(Math.random() * 6000);
    if ((await free(p)) && (await free(p + 1))) { console.log(p); return; } } })();')
swtpm socket --tpm2 --tpmstate dir="$work" --server type=tcp,port="$port",bindaddr=127.0.0.1 \
  --ctrl type=tcp,port=$((port + 1)),bindaddr=127.0.0.1 --flags not-need-init,startup-clear &
swtpm_pid=$!
for _ in $(seq 100); do
  (exec 3<>/dev/tcp/127.0.0.1/$((port + 1))) 2>/dev/null && break
  sleep 0.05
done

export DEVICE_KEYSTORE_TCTI="swtpm:host=127.0.0.1,port=$port"
valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \
  --track-origins=no --num-callers=30 --log-file="$work/vg.log" \
  node test/fixtures/native/exercise.cjs

# Count only what concerns our addon: error records whose stack mentions device_keystore.node.
errors=$(awk '/^==[0-9]+== [A-Z]/{rec=$0; next} /^==[0-9]+== $/{if (rec ~ /device_keystore/) n++; rec=""; next} {rec=rec"\n"$0} END{print n+0}' "$work/vg.log")
grep -E "ERROR SUMMARY|definitely lost" "$work/vg.log" || true
if [ "$errors" -ne 0 ]; then
  echo "valgrind-native: $errors error record(s) in device_keystore.node:" >&2
  grep -B2 -A30 device_keystore "$work/vg.log" | head -200 >&2
  exit 1
fi
echo "valgrind-native: no memory errors or definite leaks in device_keystore.node"
