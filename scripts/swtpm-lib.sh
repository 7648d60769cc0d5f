# Sourced by the native check scripts: start_swtpm DIR starts a private swtpm with its state in
# DIR on a free port pair below the ephemeral range (32768+, which the earlier TPM tests fill
# with TIME_WAITs), waits until it answers, and sets swtpm_pid and swtpm_tcti.
start_swtpm() {
  local port
  port=$(node -e '
    const net = require("net");
    const free = (p) => new Promise((r) => { const s = net.createServer(); s.once("error", () => r(false));
      s.listen(p, "127.0.0.1", () => s.close(() => r(true))); });
    (async () => { for (;;) { const p = 20000 + 2 * Math.floor(Math.random() * 6000);
      if ((await free(p)) && (await free(p + 1))) { console.log(p); return; } } })();')
  swtpm socket --tpm2 --tpmstate dir="$1" --server type=tcp,port="$port",bindaddr=127.0.0.1 \
    --ctrl type=tcp,port=$((port + 1)),bindaddr=127.0.0.1 --flags not-need-init,startup-clear &
  swtpm_pid=$!
  for _ in $(seq 100); do
    (exec 3<>/dev/tcp/127.0.0.1/$((port + 1))) 2>/dev/null && break
    sleep 0.05
  done
  swtpm_tcti="swtpm:host=127.0.0.1,port=$port"
}
