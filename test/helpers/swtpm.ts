import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A private software TPM (swtpm) on a free loopback port pair with a temp state dir, started by
 * the tests and stopped afterwards. It can be killed (-9) and restarted on the same port and
 * state, to test what happens when a TPM dies under load.
 */
export class Swtpm {
  private child: ChildProcess | undefined;
  private stderr = '';

  private constructor(
    readonly port: number,
    readonly stateDir: string,
  ) {}

  get tcti(): string {
    return `swtpm:host=127.0.0.1,port=${this.port}`;
  }

  static async start(): Promise<Swtpm> {
    let lastError = '';
    for (let attempt = 0; attempt < 5; attempt++) {
      const tpm = new Swtpm(await freePortPair(), mkdtempSync(join(tmpdir(), 'dk-swtpm-')));
      if (await tpm.launch()) return tpm;
      lastError = tpm.stderr;
      rmSync(tpm.stateDir, { recursive: true, force: true });
    }
    throw new Error(`swtpm did not start: ${lastError}`);
  }

  /**
   * A swtpm on a state dir made beforehand (by swtpm_setup, for an EK with its certificate); the
   * dir is removed by stop() like any other.
   */
  static async startOn(stateDir: string): Promise<Swtpm> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const tpm = new Swtpm(await freePortPair(), stateDir);
      if (await tpm.launch()) return tpm;
    }
    throw new Error(`swtpm did not start on ${stateDir}`);
  }

  private async launch(): Promise<boolean> {
    this.stderr = '';
    const child = spawn(
      'swtpm',
      [
        'socket',
        '--tpm2',
        '--tpmstate',
        `dir=${this.stateDir}`,
        '--server',
        `type=tcp,port=${this.port},bindaddr=127.0.0.1`,
        '--ctrl',
        `type=tcp,port=${this.port + 1},bindaddr=127.0.0.1`,
        '--flags',
        'not-need-init,startup-clear',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    const exited = once(child, 'exit').then(() => 'exited' as const);
    const ready = await Promise.race([waitForPort(this.port, exited), exited]);
    if (ready !== 'ready') return false;
    this.child = child;
    return true;
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGSTOP / SIGCONT: a TPM that stops answering, mid-conversation, and comes back. */
  pause(): void {
    this.child!.kill('SIGSTOP');
  }

  resume(): void {
    this.child!.kill('SIGCONT');
  }

  get pid(): number {
    return this.child!.pid!;
  }

  /** kill -9: the TPM vanishes mid-conversation. */
  async kill(): Promise<void> {
    if (!this.running) return;
    const exited = once(this.child!, 'exit');
    this.child!.kill('SIGKILL');
    await exited;
  }

  /** Start again on the same port with the same state (keys made before still load). */
  async restart(): Promise<void> {
    await this.kill();
    for (let i = 0; i < 50; i++) {
      if (await this.launch()) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`swtpm did not restart: ${this.stderr}`);
  }

  async stop(): Promise<void> {
    if (this.running) {
      const exited = once(this.child!, 'exit');
      this.child!.kill('SIGTERM');
      const timer = setTimeout(() => this.child?.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.stateDir, { recursive: true, force: true });
  }
}

/**
 * A TCP relay in front of a swtpm (its command and control ports, as a pair), which can drop
 * the connections passing through it: both sides destroyed at once, mid-command or between
 * commands, the way a TPM's link goes away. `tcti` reaches the swtpm through it.
 *
 * swtpm has no resource manager: what a dropped client had loaded (its SRK, its keys, its
 * sessions) would stay in the TPM's few slots for good. On Linux the kernel's /dev/tpmrm0 (and
 * tpm2-abrmd) flush a client's objects when it goes away; `afterDrop` plays that part, and new
 * connections wait until it is done.
 */
export class DroppingProxy {
  dropped = 0;
  private gate: Promise<void> = Promise.resolve();

  private constructor(
    readonly port: number,
    private readonly servers: net.Server[],
    private readonly live: Set<net.Socket>,
    private readonly afterDrop: () => Promise<void>,
  ) {}

  get tcti(): string {
    return `swtpm:host=127.0.0.1,port=${this.port}`;
  }

  static async start(tpm: Swtpm, afterDrop: () => Promise<void>): Promise<DroppingProxy> {
    const port = await freePortPair();
    const live = new Set<net.Socket>();
    const servers: net.Server[] = [];
    const proxy = new DroppingProxy(port, servers, live, afterDrop);
    for (const i of [0, 1]) {
      const server = net.createServer({ pauseOnConnect: true }, (client) => {
        live.add(client);
        client.on('error', () => {});
        void proxy.gate.then(() => {
          const upstream = net.connect(tpm.port + i, '127.0.0.1');
          live.add(upstream);
          const pair = [client, upstream];
          for (const s of pair) {
            s.on('error', () => {});
            s.on('close', () => {
              live.delete(s);
              for (const other of pair) other.destroy();
            });
          }
          if (client.destroyed) upstream.destroy();
          client.pipe(upstream);
          upstream.pipe(client);
        });
      });
      await new Promise<void>((r) => server.listen(port + i, '127.0.0.1', r));
      servers.push(server);
    }
    return proxy;
  }

  /**
   * The link dies: every connection through the relay is destroyed (swtpm serves one client at
   * a time, so a half-dropped link would keep it busy), then afterDrop runs; connections made
   * meanwhile wait for it.
   */
  async drop(): Promise<void> {
    let open!: () => void;
    this.gate = new Promise((r) => (open = r));
    if (this.live.size > 0) this.dropped++; // counts only the drops that cut a live link
    for (const s of this.live) s.destroy();
    try {
      await this.afterDrop();
    } finally {
      open();
    }
  }

  async stop(): Promise<void> {
    for (const s of this.live) s.destroy();
    await Promise.all(this.servers.map((srv) => new Promise((r) => srv.close(r))));
  }
}

function listenOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * A free port pair below the kernel's ephemeral range (ip_local_port_range, 32768 and up by
 * default). A port that listen(0) hands out comes from that range, and once swtpm is killed the
 * kernel may give the same number to some other connection as its local port, so the restart
 * could not bind it again. Ports below the range are only ever taken by a listener.
 */
export async function freePortPair(): Promise<number> {
  for (;;) {
    const p = 20000 + 2 * Math.floor(Math.random() * 6000);
    if ((await listenOnce(p)) && (await listenOnce(p + 1))) return p;
  }
}

// swtpm serves one client at a time; probing the control port leaves the data port alone.
async function waitForPort(port: number, exited: Promise<'exited'>): Promise<'ready' | 'exited'> {
  let gone = false;
  void exited.then(() => (gone = true));
  for (let i = 0; i < 500 && !gone; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port + 1, '127.0.0.1');
      s.once('connect', () => {
        s.end();
        s.once('close', () => resolve(true));
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return 'ready';
    await new Promise((r) => setTimeout(r, 10));
  }
  return 'exited';
}

/**
 * tpm2-abrmd, the user-space TPM resource manager, in front of a swtpm: on a private D-Bus
 * session bus of its own (dbus-daemon --session on a socket in a temp dir), never the system
 * bus. `tcti` reaches the TPM through it; `env` is what a client process needs to find the bus.
 */
export class Abrmd {
  private constructor(
    private readonly dbus: ChildProcess,
    private readonly daemon: ChildProcess,
    private readonly dir: string,
    readonly busAddress: string,
    readonly busName: string,
  ) {}

  get tcti(): string {
    return `tabrmd:bus_type=session,bus_name=${this.busName}`;
  }

  get env(): Record<string, string> {
    return { DBUS_SESSION_BUS_ADDRESS: this.busAddress };
  }

  static async start(tpm: Swtpm): Promise<Abrmd> {
    const dir = mkdtempSync(join(tmpdir(), 'dk-abrmd-'));
    const dbus = spawn(
      'dbus-daemon',
      ['--session', '--nofork', '--print-address=1', `--address=unix:path=${join(dir, 'bus')}`],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    let out = '';
    dbus.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    for (let i = 0; i < 200 && !out.includes('\n'); i++)
      await new Promise((r) => setTimeout(r, 10));
    const busAddress = out.split('\n')[0]!.trim();
    if (!busAddress) throw new Error('dbus-daemon printed no address');
    const busName = `com.intel.tss2.Tabrmd.dk${process.pid}x${tpm.port}`;
    const args = ['--session', `--tcti=${tpm.tcti}`, `--dbus-name=${busName}`, '--flush-all'];
    // It refuses to run as root unless told to (CI containers run the tests as root).
    if (process.getuid?.() === 0) args.push('--allow-root');
    const daemon = spawn('tpm2-abrmd', args, {
      env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: busAddress },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    daemon.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const abrmd = new Abrmd(dbus, daemon, dir, busAddress, busName);
    // Ready once its name is on the bus: a client call then succeeds.
    for (let i = 0; i < 100; i++) {
      if (daemon.exitCode !== null) break;
      if (await abrmd.answers()) return abrmd;
      await new Promise((r) => setTimeout(r, 50));
    }
    await abrmd.stop();
    throw new Error(`tpm2-abrmd did not start: ${stderr}`);
  }

  private answers(): Promise<boolean> {
    return new Promise((resolve) => {
      const c = spawn('tpm2_getcap', ['properties-fixed'], {
        env: { ...process.env, ...this.env, TPM2TOOLS_TCTI: this.tcti, TSS2_LOG: 'all+none' },
        stdio: 'ignore',
      });
      c.on('exit', (code) => resolve(code === 0));
      c.on('error', () => resolve(false));
    });
  }

  async stop(): Promise<void> {
    for (const child of [this.daemon, this.dbus]) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        await exited;
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
