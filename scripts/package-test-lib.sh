# shellcheck shell=bash
# What is left of the packaging tests' shell runner: only scripts/source-fallback-test.sh uses
# it, until that script is replaced by a test of its own. (The other packaging tests are vitest
# files in test/package/, `npm run test:package`, which runs this one too.) Source it; it defines:
#   check NAME CMD...    run CMD, record PASS/FAIL, show its output when it fails
#   summary PREFIX       print the PASS/FAIL list and "N passed, N failed"; returns non-zero on failure
#   tarball_for TEST DIR the tarball to test: $DK_TARBALL, or one built by stage-package.sh
#   start_swtpm DIR      a private swtpm on a free loopback port pair; sets SWTPM_PID and SWTPM_TCTI
#   stop_swtpm

# Every test starts from a clean slate: no store, TCTI or passphrase leaks in from the caller.
for v in $(env | sed -n 's/^\(DEVICE_KEYSTORE_[A-Z0-9_]*\)=.*/\1/p'); do unset "$v"; done

RESULTS=()
FAILED=0
PASSED=0

# check NAME CMD...: run CMD, record PASS when it exits 0.
check() {
  local name=$1
  shift
  local out rc
  out=$("$@" 2>&1)
  rc=$?
  if [ $rc -eq 0 ]; then
    PASSED=$((PASSED + 1))
    RESULTS+=("PASS  $name")
    echo "PASS  $name"
  else
    FAILED=$((FAILED + 1))
    RESULTS+=("FAIL  $name (exit $rc)")
    echo "FAIL  $name (exit $rc)"
    printf '%s\n' "$out" | tail -40 | sed 's/^/      | /'
  fi
  return 0
}

# tarball_for TEST WORKDIR: the tarball to test, $DK_TARBALL or one staged into WORKDIR/pack.
tarball_for() {
  local test=$1 work=$2
  if [ -n "${DK_TARBALL:-}" ]; then
    echo "$DK_TARBALL"
  elif ! bash "$(dirname "${BASH_SOURCE[0]}")/stage-package.sh" "$work/pack"; then
    echo "$test: FAIL: could not build the tarball" >&2
    return 1
  fi
}

summary() {
  local prefix=$1
  echo
  echo "==== $prefix summary ===="
  printf '%s\n' "${RESULTS[@]}"
  echo "$prefix: $PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ] && [ "$PASSED" -gt 0 ]
}

# A free port pair below the kernel's ephemeral range (32768 and up by default): the TPM tests
# leave thousands of TIME_WAIT connections on ephemeral ports, and a port that listen(0) hands
# out can be one a connection is about to take.
free_port_pair() {
  node -e '
    const net = require("net");
    const free = (p) => new Promise((r) => { const s = net.createServer(); s.once("error", () => r(false));
      s.listen(p, "127.0.0.1", () => s.close(() => r(true))); });
    (async () => { for (;;) { const p = 20000 + 2 * Math.floor(Math.random() * 6000);
      if ((await free(p)) && (await free(p + 1))) { console.log(p); return; } } })();'
}

start_swtpm() {
  local dir=$1 port
  command -v swtpm >/dev/null || { echo "swtpm is not installed (bash scripts/install-test-deps.sh)" >&2; return 1; }
  mkdir -p "$dir"
  for _attempt in 1 2 3 4 5; do
    port=$(free_port_pair)
    swtpm socket --tpm2 --tpmstate dir="$dir" --server type=tcp,port="$port",bindaddr=127.0.0.1 \
      --ctrl type=tcp,port=$((port + 1)),bindaddr=127.0.0.1 --flags not-need-init,startup-clear \
      2>"$dir/swtpm.log" &
    SWTPM_PID=$!
    for _ in $(seq 200); do
      kill -0 "$SWTPM_PID" 2>/dev/null || break
      if (exec 3<>"/dev/tcp/127.0.0.1/$((port + 1))") 2>/dev/null; then
        SWTPM_TCTI="swtpm:host=127.0.0.1,port=$port"
        export SWTPM_TCTI
        return 0
      fi
      sleep 0.05
    done
    kill "$SWTPM_PID" 2>/dev/null
    wait "$SWTPM_PID" 2>/dev/null
  done
  echo "swtpm did not start: $(cat "$dir/swtpm.log")" >&2
  return 1
}

stop_swtpm() {
  if [ -n "${SWTPM_PID:-}" ]; then
    kill "$SWTPM_PID" 2>/dev/null
    wait "$SWTPM_PID" 2>/dev/null
    SWTPM_PID=""
  fi
  return 0
}
