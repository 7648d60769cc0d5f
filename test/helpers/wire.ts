import * as net from 'node:net';
import { freePortPair, type Swtpm } from './swtpm';

/** TPM command codes the wire tests look for. */
export const CC = {
  CreatePrimary: 0x131,
  Create: 0x153,
  ECDH_ZGen: 0x154,
  Load: 0x157,
  Sign: 0x15d,
  Unseal: 0x15e,
  ReadPublic: 0x173,
  StartAuthSession: 0x176,
} as const;

/**
 * A relay between the addon and swtpm that sees the TPM commands and responses whole: it
 * records every byte both ways, can flip one bit of the next response to a given command, and
 * can send given commands to another TPM (an interposer answering for the SRK).
 */
export class WireRelay {
  readonly sent: Buffer[] = [];
  readonly received: Buffer[] = [];
  /** The command code of every command forwarded, in order. */
  readonly commands: number[] = [];
  #flip: number | undefined;
  /** Commands with these codes go to `other` instead. */
  divert: { codes: number[]; to: Swtpm } | undefined;

  private constructor(
    readonly port: number,
    private readonly servers: net.Server[],
    private readonly live: Set<net.Socket>,
  ) {}

  get tcti(): string {
    return `swtpm:host=127.0.0.1,port=${this.port}`;
  }

  /** Everything that crossed the relay, both ways. */
  get capture(): Buffer {
    return Buffer.concat([...this.sent, ...this.received]);
  }

  /** One bit of the parameter area of the next response to `code` is flipped. */
  flipNextResponseTo(code: number): void {
    this.#flip = code;
  }

  static async start(tpm: Swtpm): Promise<WireRelay> {
    const port = await freePortPair();
    const live = new Set<net.Socket>();
    const relay = new WireRelay(port, [], live);
    // The control channel passes through untouched.
    relay.servers.push(
      await listen(port + 1, (client) => {
        const upstream = net.connect(tpm.port + 1, '127.0.0.1');
        pipePair(client, upstream, live);
      }),
    );
    relay.servers.push(await listen(port, (client) => relay.#serve(client, tpm, live)));
    return relay;
  }

  #serve(client: net.Socket, tpm: Swtpm, live: Set<net.Socket>): void {
    live.add(client);
    client.on('error', () => {});
    const upstreams = new Map<Swtpm, net.Socket>();
    const upstreamFor = (t: Swtpm) => {
      let s = upstreams.get(t);
      if (!s) {
        s = net.connect(t.port, '127.0.0.1');
        s.on('error', () => client.destroy());
        live.add(s);
        upstreams.set(t, s);
      }
      return s;
    };
    client.on('close', () => {
      live.delete(client);
      for (const s of upstreams.values()) s.destroy();
    });
    let pending = Buffer.alloc(0);
    let busy = Promise.resolve();
    client.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 10 && pending.length >= pending.readUInt32BE(2)) {
        const size = pending.readUInt32BE(2);
        const command = pending.subarray(0, size);
        pending = pending.subarray(size);
        busy = busy.then(() => this.#forward(command, client, upstreamFor, tpm));
      }
    });
  }

  async #forward(
    command: Buffer,
    client: net.Socket,
    upstreamFor: (t: Swtpm) => net.Socket,
    tpm: Swtpm,
  ): Promise<void> {
    const code = command.readUInt32BE(6);
    this.commands.push(code);
    this.sent.push(Buffer.from(command));
    const target = this.divert?.codes.includes(code) ? this.divert.to : tpm;
    const upstream = upstreamFor(target);
    const response = await readResponse(upstream, command);
    if (this.#flip === code && response.readUInt32BE(6) === 0 && response.length > 20) {
      this.#flip = undefined;
      // A bit in the middle of the parameters: past the header and the parameterSize field.
      response[16] ^= 0x01;
    }
    this.received.push(Buffer.from(response));
    if (!client.destroyed) client.write(response);
  }

  async stop(): Promise<void> {
    for (const s of this.live) s.destroy();
    await Promise.all(this.servers.map((srv) => new Promise((r) => srv.close(r))));
  }
}

function listen(port: number, onClient: (s: net.Socket) => void): Promise<net.Server> {
  return new Promise((resolve) => {
    const server = net.createServer(onClient);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

function pipePair(a: net.Socket, b: net.Socket, live: Set<net.Socket>): void {
  for (const s of [a, b]) {
    live.add(s);
    s.on('error', () => {});
    s.on('close', () => {
      live.delete(s);
      a.destroy();
      b.destroy();
    });
  }
  a.pipe(b);
  b.pipe(a);
}

/** Sends one command and reads its whole response. */
function readResponse(upstream: net.Socket, command: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let got = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      if (got.length >= 10 && got.length >= got.readUInt32BE(2)) {
        upstream.off('data', onData);
        upstream.off('close', onClose);
        resolve(got);
      }
    };
    const onClose = () => reject(new Error('the TPM closed the connection'));
    upstream.on('data', onData);
    upstream.once('close', onClose);
    upstream.write(command);
  });
}
