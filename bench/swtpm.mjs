// A private swtpm for the benchmarks (bench/tpm.mjs, bench/delegation.mjs, bench/soak.mjs): a free
// loopback port pair below the ephemeral range and a state directory the caller owns. Returns the
// child and its TCTI string.
import { spawn } from 'node:child_process';
import * as net from 'node:net';

function listen(port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(null));
    srv.listen(port, '127.0.0.1', () => {
      const { port: p } = srv.address();
      srv.close(() => resolve(p));
    });
  });
}

export async function startSwtpm(stateDir) {
  for (let attempt = 0; attempt < 10; attempt++) {
    // Below the ephemeral range (32768+): the C loop's per-command connections leave thousands
    // of TIME_WAITs there.
    const port = 20000 + 2 * Math.floor(Math.random() * 6000);
    if (!(await listen(port)) || !(await listen(port + 1))) continue;
    const child = spawn(
      'swtpm',
      [
        'socket',
        '--tpm2',
        '--tpmstate',
        `dir=${stateDir}`,
        '--server',
        `type=tcp,port=${port},bindaddr=127.0.0.1`,
        '--ctrl',
        `type=tcp,port=${port + 1},bindaddr=127.0.0.1`,
        '--flags',
        'not-need-init,startup-clear',
      ],
      { stdio: 'ignore' },
    );
    for (let i = 0; i < 200 && child.exitCode === null; i++) {
      const up = await new Promise((resolve) => {
        const s = net.connect(port + 1, '127.0.0.1', () => s.end(() => resolve(true)));
        s.on('error', () => resolve(false));
      });
      if (up) return { child, tcti: `swtpm:host=127.0.0.1,port=${port}` };
      await new Promise((r) => setTimeout(r, 10));
    }
    child.kill('SIGKILL');
  }
  throw new Error('swtpm did not start');
}
