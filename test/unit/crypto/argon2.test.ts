/**
 * Argon2id: @noble/hashes is pinned to RFC 9106's own test vector, then our argon2id() (hash-wasm
 * in a worker thread on Node 20, node:crypto where Node has crypto.argon2) must match it byte for
 * byte, at the production parameters and at the edges of the accepted range.
 */
import * as crypto from 'node:crypto';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ARGON2_LIMITS,
  DEFAULT_ARGON2,
  argon2Implementation,
  argon2id,
  nodeArgon2Works,
  type Argon2Implementation,
  type Argon2Params,
} from '../../../src/crypto/argon2';
import { caught } from '../../helpers/file';
import {
  FIXTURES,
  ROOT,
  TempDirs,
  describeResult,
  runFixture,
  startNode,
} from '../../helpers/proc';

type NobleArgon2id = (
  password: Uint8Array,
  salt: Uint8Array,
  opts: {
    t: number;
    m: number;
    p: number;
    dkLen: number;
    key?: Uint8Array;
    personalization?: Uint8Array;
  },
) => Uint8Array;

let noble: NobleArgon2id;

beforeAll(async () => {
  // @noble/hashes v2 is ESM-only.
  noble = (await import('@noble/hashes/argon2.js')).argon2id as NobleArgon2id;
});

function reference(password: Uint8Array, salt: Uint8Array, p: Argon2Params): Buffer {
  return Buffer.from(noble(password, salt, { t: p.t, m: p.m, p: p.p, dkLen: 32 }));
}

const HAS_NODE_ARGON2 = typeof (crypto as unknown as { argon2?: unknown }).argon2 === 'function';
const IMPLEMENTATIONS: Argon2Implementation[] = HAS_NODE_ARGON2
  ? ['node:crypto', 'hash-wasm (worker thread)']
  : ['hash-wasm (worker thread)'];

describe('reference implementation', () => {
  it('@noble/hashes gives the RFC 9106 §5.3 Argon2id test vector', () => {
    const tag = noble(new Uint8Array(32).fill(0x01), new Uint8Array(16).fill(0x02), {
      t: 3,
      m: 32,
      p: 4,
      dkLen: 32,
      key: new Uint8Array(8).fill(0x03),
      personalization: new Uint8Array(12).fill(0x04),
    });
    expect(Buffer.from(tag).toString('hex')).toBe(
      '0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659',
    );
  });
});

describe('argon2id()', () => {
  it('uses node:crypto when this Node has crypto.argon2, hash-wasm in a worker otherwise', async () => {
    expect(await argon2Implementation()).toBe(
      HAS_NODE_ARGON2 ? 'node:crypto' : 'hash-wasm (worker thread)',
    );
    if (process.versions.node.split('.').map(Number)[0]! < 24) {
      // Node 20 and 22 have no crypto.argon2: the portable path is the one that runs here.
      expect(HAS_NODE_ARGON2).toBe(false);
      expect(await argon2Implementation()).toBe('hash-wasm (worker thread)');
    }
  });

  const productionCases: [string, Buffer, Buffer][] = [
    [
      'ASCII password, random salt',
      Buffer.from('correct horse battery staple'),
      crypto.randomBytes(16),
    ],
    [
      'non-ASCII password with NUL bytes',
      Buffer.from('p\u00e4ssw\u00f6rd\u0000\u5bc6\u7801\u0000\ud83d\udd11', 'utf8'),
      Buffer.alloc(16, 0x02),
    ],
    ['64 random bytes, 32-byte salt', crypto.randomBytes(64), crypto.randomBytes(32)],
  ];

  for (const [label, password, salt] of productionCases) {
    it(`equals @noble/hashes at m=65536, t=3, p=1: ${label}`, async () => {
      expect(DEFAULT_ARGON2).toEqual({ m: 65536, t: 3, p: 1 });
      const pwCopy = Buffer.from(password);
      const saltCopy = Buffer.from(salt);
      // Ours runs off the main thread, so noble (synchronous) computes alongside it.
      const ours = IMPLEMENTATIONS.map((impl) => argon2id(password, salt, DEFAULT_ARGON2, impl));
      const expected = reference(password, salt, DEFAULT_ARGON2);
      const got = await Promise.all(ours);
      for (const [i, out] of got.entries()) {
        expect(Buffer.isBuffer(out)).toBe(true);
        expect(out.toString('hex'), IMPLEMENTATIONS[i]).toBe(expected.toString('hex'));
      }
      // The inputs are the caller's: neither is modified.
      expect(password.equals(pwCopy)).toBe(true);
      expect(salt.equals(saltCopy)).toBe(true);
    });
  }

  it('equals @noble/hashes at the edges of the accepted range', async () => {
    const cases: [Buffer, Buffer, Argon2Params][] = [
      // The smallest memory, one pass, the shortest salt RFC 9106 allows, an all-zero password.
      [Buffer.alloc(32), Buffer.alloc(8, 0xaa), { m: ARGON2_LIMITS.m.min, t: 1, p: 1 }],
      // Several lanes.
      [Buffer.from('lanes'), crypto.randomBytes(16), { m: ARGON2_LIMITS.m.min, t: 2, p: 4 }],
      [Buffer.from([0]), crypto.randomBytes(16), { m: ARGON2_LIMITS.m.min, t: 1, p: 16 }],
      // A memory size that is not a power of two (nor a multiple of 4 lanes' segments).
      [Buffer.from('odd'), crypto.randomBytes(16), { m: 8193, t: 1, p: 1 }],
    ];
    for (const [password, salt, params] of cases) {
      const expected = reference(password, salt, params).toString('hex');
      for (const impl of IMPLEMENTATIONS) {
        const out = await argon2id(password, salt, params, impl);
        expect(out.toString('hex'), `${impl} ${JSON.stringify(params)}`).toBe(expected);
      }
    }
  });

  it('different passwords, salts or parameters give different keys', async () => {
    const small = { m: ARGON2_LIMITS.m.min, t: 1, p: 1 };
    const salt = Buffer.alloc(16, 7);
    const outs = await Promise.all([
      argon2id(Buffer.from('a'), salt, small),
      argon2id(Buffer.from('b'), salt, small),
      argon2id(Buffer.from('a'), Buffer.alloc(16, 8), small),
      argon2id(Buffer.from('a'), salt, { ...small, t: 2 }),
      argon2id(Buffer.from('a'), salt, small),
    ]);
    const hex = outs.map((o) => o.toString('hex'));
    expect(new Set(hex.slice(0, 4)).size).toBe(4);
    expect(hex[4]).toBe(hex[0]);
  });

  it('refuses parameters out of range, an empty password and a short salt: E_INVALID_ARGUMENT', async () => {
    const pw = Buffer.from('password');
    const salt = Buffer.alloc(16, 1);
    const ok = DEFAULT_ARGON2;
    const badParams: Argon2Params[] = [
      { ...ok, m: ARGON2_LIMITS.m.min - 1 },
      { ...ok, m: ARGON2_LIMITS.m.max + 1 },
      { ...ok, m: 0 },
      { ...ok, m: 65536.5 },
      { ...ok, m: Number.NaN },
      { ...ok, t: 0 },
      { ...ok, t: ARGON2_LIMITS.t.max + 1 },
      { ...ok, t: -1 },
      { ...ok, p: 0 },
      { ...ok, p: ARGON2_LIMITS.p.max + 1 },
      { ...ok, p: 1.5 },
      { ...ok, p: Number.POSITIVE_INFINITY },
      { m: '65536', t: 3, p: 1 } as unknown as Argon2Params,
    ];
    const failures: string[] = [];
    const check = async (label: string, run: () => Promise<unknown>) => {
      const err = await caught(run);
      if (err.name !== 'KeystoreError' || err.code !== 'E_INVALID_ARGUMENT') {
        failures.push(`${label}: ${String(err.code)} ${err.message}`);
      }
    };
    for (const impl of [undefined, ...IMPLEMENTATIONS]) {
      for (const params of badParams) {
        await check(`${impl} ${JSON.stringify(params)}`, () => argon2id(pw, salt, params, impl));
      }
      // RFC 9106 allows an empty password, hash-wasm does not: refused everywhere, the same way.
      await check(`${impl} empty password`, () => argon2id(Buffer.alloc(0), salt, ok, impl));
      await check(`${impl} 7-byte salt`, () => argon2id(pw, Buffer.alloc(7), ok, impl));
      await check(`${impl} empty salt`, () => argon2id(pw, Buffer.alloc(0), ok, impl));
    }
    if (!HAS_NODE_ARGON2) {
      // Forcing node:crypto where it does not exist is refused, not silently replaced.
      await check('forced node:crypto', () =>
        argon2id(pw, salt, ok, 'node:crypto' as Argon2Implementation),
      );
    }
    expect(failures).toEqual([]);
    // noble, for the record, does derive from an empty password (RFC 9106 allows it).
    expect(reference(Buffer.alloc(0), salt, { m: 8192, t: 1, p: 1 })).toHaveLength(32);
  });

  it('keeps the main thread responsive during a derivation', async () => {
    let done = false;
    const derivation = argon2id(Buffer.from('liveness'), crypto.randomBytes(16), DEFAULT_ARGON2);
    derivation.then(
      () => (done = true),
      () => (done = true),
    );
    let ticks = 0;
    await new Promise<void>((resolve) => {
      const tick = () => {
        if (done) return resolve();
        ticks++;
        setImmediate(tick);
      };
      setImmediate(tick);
    });
    expect((await derivation).length).toBe(32);
    // A derivation that blocked the event loop would let at most a tick or two through.
    expect(ticks).toBeGreaterThan(10);
  });
});

describe('a crypto.argon2 that exists but does not work (Electron: Node on BoringSSL)', () => {
  const dirs = new TempDirs();
  afterAll(() => dirs.cleanup());

  /** Creates a store in one child and unlocks it in another, both with the broken argon2. */
  async function createThenUnlock(mode: string) {
    const dir = path.join(dirs.make('dk-argon2-broken-'), 'store');
    const run = async (action: string) => {
      const r = await runFixture('argon2-unsupported.cjs', [mode, dir, action]);
      expect(r.code, describeResult(r)).toBe(0);
      return JSON.parse(r.out.trim().split('\n').pop()!) as {
        implementation: string;
        argon2Calls: number;
        publicKey: string;
        signature: string;
      };
    };
    return { created: await run('create'), unlocked: await run('unlock') };
  }

  for (const mode of ['throw', 'callback-error', 'wrong-answer']) {
    it(`${mode}: the probe refuses it once, and create and unlock run on hash-wasm`, async () => {
      const { created, unlocked } = await createThenUnlock(mode);
      for (const [label, r] of Object.entries({ created, unlocked })) {
        expect(r.implementation, label).toBe('hash-wasm (worker thread)');
        // The probe is the only call: no derivation tries it again in that process.
        expect(r.argon2Calls, label).toBe(1);
        const message = Buffer.from('signed where crypto.argon2 does not work');
        const sig = Buffer.from(r.signature, 'base64');
        expect(crypto.verify('sha256', message, r.publicKey, sig), label).toBe(true);
      }
      expect(unlocked.publicKey).toBe(created.publicKey);
    });
  }

  it('the probe is RFC 9106 §5.3: a working crypto.argon2 (Node 24) passes it', async () => {
    // Where this Node has a working crypto.argon2, the probe must accept it; on Node 20/22 the
    // same vector is checked against @noble/hashes above, so the probe's answer is not ours.
    expect(await nodeArgon2Works()).toBe(HAS_NODE_ARGON2);
  });
});

describe('the hash-wasm worker reads no file (app.asar: docs/electron.md)', () => {
  const PRELOAD = path.join(FIXTURES, 'no-files-in-workers.cjs');
  const ARGON2_JS = path.join(ROOT, 'dist', 'crypto', 'argon2.js');
  const run = (script: string) =>
    startNode(['--require', PRELOAD, '-e', script], { timeoutMs: 60_000 }).done;

  it('control: under the preload, a worker that requires a package fails', async () => {
    const r = await run(`
      const { Worker } = require('node:worker_threads');
      new Worker("require('hash-wasm')", { eval: true }).on('error', (e) => {
        console.log(e.message);
      });`);
    expect(r.out, describeResult(r)).toMatch(/worker require\(hash-wasm\) refused/);
  });

  it('under the preload, argon2id() in the worker still gives @noble/hashes result', async () => {
    const params = { m: ARGON2_LIMITS.m.min, t: 1, p: 1 };
    const r = await run(`
      require(${JSON.stringify(ARGON2_JS)})
        .argon2id(Buffer.from('asar'), Buffer.alloc(16, 5), ${JSON.stringify(params)}, 'hash-wasm (worker thread)')
        .then((k) => console.log(k.toString('hex')), (e) => { console.log('failed: ' + e.message); });`);
    expect(r.code, describeResult(r)).toBe(0);
    const expected = reference(Buffer.from('asar'), Buffer.alloc(16, 5), params).toString('hex');
    expect(r.out.trim()).toBe(expected);
  });
});
