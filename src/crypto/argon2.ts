import * as crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { KeystoreError } from '../core/errors';

/**
 * Argon2id, always off the main thread.
 *
 * Node >= 24.7 has `crypto.argon2`, which runs on the libuv pool: we use it when it works, which
 * a probe decides once per process (nodeArgon2Works). Presence proves nothing: the function
 * exists in every Node >= 24.7 but throws ERR_CRYPTO_ARGON2_NOT_SUPPORTED when Node was built
 * without OpenSSL >= 3.2, as Electron's Node is (BoringSSL). Older Node (20, 22) has none, and
 * OpenSSL 3.0 has no Argon2 either. Everywhere it does not work we run hash-wasm's
 * WebAssembly Argon2id in a worker thread: measured here at ~0.3 s for m=64 MiB, t=3, p=1,
 * against ~1.4 s for @noble/hashes (see docs/benchmarks.md). Both agree byte for byte
 * (test/argon2.test.ts).
 */

export interface Argon2Params {
  /** Memory in KiB. */
  m: number;
  /** Passes. */
  t: number;
  /** Lanes. */
  p: number;
}

export const DEFAULT_ARGON2: Readonly<Argon2Params> = Object.freeze({ m: 65536, t: 3, p: 1 });

/** Refuse parameters that would let a tampered file exhaust memory or time before we notice. */
export const ARGON2_LIMITS = Object.freeze({
  m: { min: 8 * 1024, max: 4 * 1024 * 1024 },
  t: { min: 1, max: 64 },
  p: { min: 1, max: 16 },
});

export function argon2ParamsValid(params: Argon2Params): boolean {
  return (Object.keys(ARGON2_LIMITS) as (keyof Argon2Params)[]).every((k) => {
    const v = params[k];
    return Number.isSafeInteger(v) && v >= ARGON2_LIMITS[k].min && v <= ARGON2_LIMITS[k].max;
  });
}

export type Argon2Implementation = 'node:crypto' | 'hash-wasm (worker thread)';

interface NodeArgon2Input {
  message: Uint8Array;
  nonce: Uint8Array;
  parallelism: number;
  tagLength: number;
  memory: number;
  passes: number;
  secret?: Uint8Array;
  associatedData?: Uint8Array;
}

type NodeArgon2 = (
  algorithm: 'argon2id',
  parameters: NodeArgon2Input,
  callback: (err: Error | null, key: ArrayBuffer) => void,
) => void;

function nodeArgon2(): NodeArgon2 | undefined {
  const fn = (crypto as unknown as { argon2?: NodeArgon2 }).argon2;
  return typeof fn === 'function' ? fn : undefined;
}

/** crypto.argon2 as a promise; a synchronous throw (the unsupported case) becomes a rejection. */
function callNodeArgon2(fn: NodeArgon2, input: NodeArgon2Input): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    try {
      fn('argon2id', input, (err, key) => (err ? reject(err) : resolve(Buffer.from(key))));
    } catch (err) {
      reject(err);
    }
  });
}

/** RFC 9106 §5.3's Argon2id test vector: 32 KiB and 3 passes, so the probe costs ~1 ms. */
const RFC9106_VECTOR = {
  input: {
    message: new Uint8Array(32).fill(0x01),
    nonce: new Uint8Array(16).fill(0x02),
    secret: new Uint8Array(8).fill(0x03),
    associatedData: new Uint8Array(12).fill(0x04),
    parallelism: 4,
    tagLength: 32,
    memory: 32,
    passes: 3,
  },
  tag: '0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659',
};

let probe: Promise<boolean> | undefined;

/**
 * Whether this process's crypto.argon2 exists and gives RFC 9106's test vector. Run once; any
 * throw, rejection or wrong answer means no (and the store falls back to hash-wasm).
 */
export function nodeArgon2Works(): Promise<boolean> {
  probe ??= (async () => {
    const fn = nodeArgon2();
    if (!fn) return false;
    const tag = await callNodeArgon2(fn, RFC9106_VECTOR.input).catch(() => undefined);
    return tag?.toString('hex') === RFC9106_VECTOR.tag;
  })();
  return probe;
}

export async function argon2Implementation(): Promise<Argon2Implementation> {
  return (await nodeArgon2Works()) ? 'node:crypto' : 'hash-wasm (worker thread)';
}

/**
 * Derive a 32-byte key. The password buffer is neither kept nor modified; the caller owns it.
 * An empty password or a salt under 8 bytes (RFC 9106's minimum) is E_INVALID_ARGUMENT.
 * Passing `force` chooses an implementation (for tests and the benchmark); without it, a
 * node:crypto failure falls back to hash-wasm, so an unlock never depends on the runtime's
 * OpenSSL.
 */
export async function argon2id(
  password: Uint8Array,
  salt: Uint8Array,
  params: Argon2Params,
  force?: Argon2Implementation,
): Promise<Buffer> {
  if (!argon2ParamsValid(params)) {
    throw new KeystoreError('E_INVALID_ARGUMENT', 'Argon2id parameters are out of range');
  }
  // RFC 9106 allows an empty password, but hash-wasm refuses one: refuse it everywhere, so that
  // the answer does not depend on the Node version. (The store never derives from one.)
  if (!(password instanceof Uint8Array) || password.length === 0) {
    throw new KeystoreError('E_INVALID_ARGUMENT', 'the Argon2id password must not be empty');
  }
  if (!(salt instanceof Uint8Array) || salt.length < 8) {
    throw new KeystoreError('E_INVALID_ARGUMENT', 'the Argon2id salt must be at least 8 bytes');
  }
  const impl = force ?? (await argon2Implementation());
  if (impl === 'node:crypto') {
    const fn = nodeArgon2();
    if (!fn) throw new KeystoreError('E_INVALID_ARGUMENT', 'this Node has no crypto.argon2');
    const derived = callNodeArgon2(fn, {
      message: password,
      nonce: salt,
      parallelism: params.p,
      tagLength: 32,
      memory: params.m,
      passes: params.t,
    });
    return force ? derived : derived.catch(() => argon2idInWorker(password, salt, params));
  }
  return argon2idInWorker(password, salt, params);
}

// The worker is an eval'd CommonJS script that touches no file: it gets hash-wasm's Argon2
// bundle as source text and compiles it itself. So it works the same from TypeScript sources
// (tests), from dist/, from a bundled app, and inside Electron's app.asar, where a worker
// thread cannot be relied on to read archive paths (Electron patches fs and require for asar
// in the main and utility processes; reading the bundle there, once, is all this needs).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const hashWasm = { exports: {} };
require('node:vm').compileFunction(workerData.hashWasmSource, ['module', 'exports'], {
  filename: 'hash-wasm/dist/argon2.umd.min.js',
})(hashWasm, hashWasm.exports);
const { argon2id } = hashWasm.exports;
const password = new Uint8Array(workerData.password);
argon2id({
  password,
  salt: new Uint8Array(workerData.salt),
  parallelism: workerData.p,
  iterations: workerData.t,
  memorySize: workerData.m,
  hashLength: 32,
  outputType: 'binary',
}).then(
  (out) => { password.fill(0); parentPort.postMessage({ ok: out.buffer }, [out.buffer]); },
  (err) => { password.fill(0); parentPort.postMessage({ error: String(err && err.message || err) }); },
);
`;

/** hash-wasm's Argon2 bundle: one 29 KiB UMD file (WebAssembly inlined), read once. */
export const HASH_WASM_ARGON2 = 'hash-wasm/dist/argon2.umd.min.js';
let hashWasmSource: string | undefined;
function hashWasmArgon2Source(): string {
  try {
    hashWasmSource ??= readFileSync(require.resolve(HASH_WASM_ARGON2), 'utf8');
  } catch (err) {
    throw new KeystoreError(
      'E_IO',
      `Argon2id: cannot read ${HASH_WASM_ARGON2} (is hash-wasm installed?): ${(err as Error).message}`,
    );
  }
  return hashWasmSource;
}

function argon2idInWorker(
  password: Uint8Array,
  salt: Uint8Array,
  params: Argon2Params,
): Promise<Buffer> {
  // Copy into transferable buffers: the worker gets the only copy, and ours is never exposed.
  const hashWasmSource = hashWasmArgon2Source();
  const pw = new Uint8Array(password).buffer;
  const saltCopy = new Uint8Array(salt).buffer;
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        password: pw,
        salt: saltCopy,
        ...params,
        hashWasmSource,
      },
      transferList: [pw, saltCopy],
      // A derivation must not keep a CLI alive once its answer is in.
      stdout: false,
      stderr: false,
    });
    let settled = false;
    worker.once('message', (msg: { ok?: ArrayBuffer; error?: string }) => {
      settled = true;
      if (msg.ok) resolve(Buffer.from(msg.ok));
      else reject(new KeystoreError('E_IO', `Argon2id failed: ${msg.error}`));
      void worker.terminate();
    });
    worker.once('error', (err) => {
      if (!settled) reject(new KeystoreError('E_IO', `Argon2id worker failed: ${err.message}`));
      settled = true;
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new KeystoreError('E_IO', `Argon2id worker exited with code ${code}`));
    });
  });
}
