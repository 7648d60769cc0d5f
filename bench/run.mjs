// Benchmarks for the encrypted-file tier, measured side by side in one run so that the ratios
// hold on a shared, noisy machine. Run: npm run bench  (builds first). Add --json for raw figures.
//
// 1. sign/s: `await key.sign(msg)` (DER, low-S) against `crypto.sign('sha256', msg, keyObject)`,
//    in alternating rounds.
// 2. unlock: the first key load of a fresh store (Argon2id + unwrap + decrypt) and the raw
//    Argon2id implementations at m=64 MiB, t=3, p=1.
// 3. the event loop's worst delay while an unlock runs.
import * as crypto from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { median, sideBySide } from './measure.mjs';

const require = createRequire(import.meta.url);
const { Keystore } = require('../dist/index.js');
const argon2 = require('../dist/crypto/argon2.js');

const asJson = process.argv.includes('--json');
const results = {};
const log = (...a) => !asJson && console.log(...a);

async function benchSign(key, keyObject) {
  const msg = crypto.randomBytes(64);
  const m = await sideBySide(
    () => key.sign(msg),
    () => crypto.sign('sha256', msg, keyObject),
  );
  // The JSON keeps its field names of before.
  const r = {
    oursPerSec: m.oursPerSec,
    cryptoSignPerSec: m.basePerSec,
    ratio: m.ratio,
    rounds: m.rounds,
  };
  results.sign = r;
  log(
    `sign (message, DER): device-keystore ${r.oursPerSec}/s, crypto.sign ${r.cryptoSignPerSec}/s, ratio ${r.ratio} (median of ${r.rounds} alternating rounds)`,
  );
}

async function benchArgon2() {
  const password = Buffer.from('correct horse battery staple');
  const salt = crypto.randomBytes(16);
  const params = { m: 65536, t: 3, p: 1 };
  const { argon2id: nobleArgon2id } = await import('@noble/hashes/argon2.js');
  const { argon2id: hashWasm } = await import('hash-wasm');
  const impls = {
    [`ours: ${await argon2.argon2Implementation()}`]: () => argon2.argon2id(password, salt, params),
    'hash-wasm, main thread': () =>
      hashWasm({
        password,
        salt,
        parallelism: 1,
        iterations: 3,
        memorySize: 65536,
        hashLength: 32,
        outputType: 'binary',
      }),
    '@noble/hashes 2.x (baseline)': () =>
      nobleArgon2id(password, salt, { t: 3, m: 65536, p: 1, dkLen: 32 }),
  };
  if (await argon2.nodeArgon2Works()) {
    impls['node:crypto argon2'] = () => argon2.argon2id(password, salt, params, 'node:crypto');
  }
  const rows = {};
  for (let round = 0; round < 3; round++) {
    for (const [name, fn] of Object.entries(impls)) {
      const t = performance.now();
      await fn();
      (rows[name] ??= []).push(performance.now() - t);
    }
  }
  results.argon2 = Object.fromEntries(
    Object.entries(rows).map(([k, v]) => [k, Math.round(median(v))]),
  );
  log('Argon2id m=64MiB t=3 p=1, median of 3 (ms):');
  for (const [k, v] of Object.entries(results.argon2)) log(`  ${k.padEnd(58)} ${v}`);
}

async function benchUnlock(dir) {
  // The unlock cache is keyed by the master record, so re-wrapping the master under a new
  // passphrase makes the next open a cold unlock: Argon2id + unwrap + decrypt.
  const times = [];
  const delays = [];
  for (let round = 0; round < 3; round++) {
    const d = join(dir, `unlock-${round}`);
    const passphrase = crypto.randomBytes(16).toString('hex');
    const ks = await Keystore.open({ dir: d, backend: 'encrypted-file', passphrase });
    await ks.createKey('k');
    await ks.close();
    const ks2 = await Keystore.open({ dir: d, backend: 'encrypted-file', passphrase });
    const next = crypto.randomBytes(16).toString('hex');
    await ks2.changePassphrase({ newPassphrase: next });
    await ks2.close();

    const h = monitorEventLoopDelay({ resolution: 1 });
    let worst = 0;
    let last = performance.now();
    const tick = setInterval(() => {
      const now = performance.now();
      worst = Math.max(worst, now - last);
      last = now;
    }, 1);
    h.enable();
    const t = performance.now();
    const ks3 = await Keystore.open({ dir: d, backend: 'encrypted-file', passphrase: next });
    await ks3.getKey('k');
    times.push(performance.now() - t);
    h.disable();
    clearInterval(tick);
    delays.push(Math.max(worst, h.max / 1e6));
    await ks3.close();
  }
  results.unlock = {
    firstKeyLoadMs: Math.round(median(times)),
    worstEventLoopDelayMs: +Math.max(...delays).toFixed(1),
  };
  log(`unlock (open + first getKey, cold): median ${results.unlock.firstKeyLoadMs} ms`);
  log(
    `event loop worst delay during an unlock: ${results.unlock.worstEventLoopDelayMs} ms (max over 3 unlocks; 1 ms timer granularity)`,
  );
}

const dir = mkdtempSync(join(tmpdir(), 'dk-bench-'));
try {
  log(
    `node ${process.version}, ${process.platform}-${process.arch}, ${(await import('node:os')).cpus().length} cpus`,
  );
  const ks = await Keystore.open({
    dir: join(dir, 'sign'),
    backend: 'encrypted-file',
    passphrase: 'bench',
  });
  const key = await ks.createKey('bench');
  const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  await benchSign(key, privateKey);
  await ks.close();
  await benchUnlock(dir);
  await benchArgon2();
  if (asJson) console.log(JSON.stringify({ node: process.version, ...results }, null, 2));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
