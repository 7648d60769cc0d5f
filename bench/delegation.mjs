// Delegated session keys, measured side by side in one run:
// 1. sign/s: `await session.sign(msg)` (DER, low-S) against `crypto.sign('sha256', msg, keyObject)`
//    with a KeyObject of its own, in alternating rounds (goal >= 0.9x);
// 1b. verify/s: `verify(session.publicKey, msg, sig)` (the package's verify() with a KeyObject, as a
//    server checking session signatures calls it) against `crypto.verify` (goal >= 0.9x);
// 2. the cost to issue one session (`deviceKey.delegate()`: a new P-256 key, a certificate the
//    device key signs in its tier) on the encrypted-file tier and on the TPM tier (swtpm);
// 3. on swtpm, N requests signed with a session key against N signed by the TPM key, one awaited
//    sign after another as a request handler would, the session's issue time included.
// Run: npm run bench:delegation   (builds first; needs swtpm for 2 and 3). --json for raw figures.
import * as crypto from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, sideBySide } from './measure.mjs';
import { startSwtpm } from './swtpm.mjs';

const require = createRequire(import.meta.url);
const { Keystore, verify } = require('../dist/index.js');
const asJson = process.argv.includes('--json');
const log = (...a) => !asJson && console.log(...a);
const results = { node: process.version };

async function benchSign(session) {
  const msg = crypto.randomBytes(64);
  const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const r = await sideBySide(
    () => session.sign(msg),
    () => crypto.sign('sha256', msg, privateKey),
  );
  results.sign = r;
  log(
    `session sign (message, DER): ${r.oursPerSec}/s, crypto.sign ${r.basePerSec}/s, ratio ${r.ratio} (median of ${r.rounds} alternating rounds)`,
  );
}

async function benchVerify(session) {
  const msg = crypto.randomBytes(64);
  const sig = await session.sign(msg);
  const key = session.publicKey;
  const r = await sideBySide(
    () => verify(key, msg, sig),
    () => crypto.verify('sha256', msg, key, sig),
  );
  results.verify = r;
  log(
    `verify() with a KeyObject (DER): ${r.oursPerSec}/s, crypto.verify ${r.basePerSec}/s, ratio ${r.ratio} (median of ${r.rounds} alternating rounds)`,
  );
}

async function issueCost(key, n) {
  (await key.delegate({ ttl: '5m' })).close(); // the first makes the chain's device certificate
  const times = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const s = await key.delegate({ ttl: '5m' });
    times.push(performance.now() - t);
    s.close();
  }
  return +median(times).toFixed(3);
}

async function requests(signer, n) {
  const t = performance.now();
  for (let i = 0; i < n; i++) await signer.sign(`request ${i}`);
  return performance.now() - t;
}

const dirs = [];
const tmp = (label) => {
  const d = mkdtempSync(join(tmpdir(), `dk-bench-dlg-${label}-`));
  dirs.push(d);
  return d;
};
let tpm;
try {
  const fileStore = await Keystore.open({
    dir: tmp('file'),
    backend: 'encrypted-file',
    passphrase: 'bench passphrase, not a secret',
  });
  const fileKey = await fileStore.createKey('device');
  const session = await fileKey.delegate({ ttl: '1h' });
  await benchSign(session);
  await benchVerify(session);
  session.close();
  results.issueFileMs = await issueCost(fileKey, 50);
  log(`issue one session, encrypted-file tier: ${results.issueFileMs} ms (median of 50)`);
  await fileStore.close();

  const state = tmp('swtpm');
  tpm = await startSwtpm(state);
  const tpmStore = await Keystore.open({ dir: tmp('tpm'), backend: 'tpm2', tcti: tpm.tcti });
  const tpmKey = await tpmStore.createKey('device');
  results.issueTpmMs = await issueCost(tpmKey, 50);
  log(`issue one session, tpm2 tier (swtpm): ${results.issueTpmMs} ms (median of 50)`);

  const N = 2000;
  await requests(tpmKey, 50); // warm
  const rounds = [];
  for (let round = 0; round < 3; round++) {
    const tpmMs = await requests(tpmKey, N);
    const t = performance.now();
    const s = await tpmKey.delegate({ ttl: '1h' });
    const issueMs = performance.now() - t;
    const sessionMs = issueMs + (await requests(s, N));
    s.close();
    rounds.push({ tpmMs, sessionMs, issueMs });
  }
  const tpmMs = median(rounds.map((r) => r.tpmMs));
  const sessionMs = median(rounds.map((r) => r.sessionMs));
  results.requests = {
    n: N,
    tpmKeyMs: +tpmMs.toFixed(1),
    sessionKeyMs: +sessionMs.toFixed(1),
    speedup: +(tpmMs / sessionMs).toFixed(1),
    rounds,
  };
  log(
    `${N} awaited signs on swtpm: TPM key ${tpmMs.toFixed(0)} ms (${((tpmMs / N) * 1000).toFixed(0)} µs each), ` +
      `session key ${sessionMs.toFixed(1)} ms including its issue (${((sessionMs / N) * 1000).toFixed(1)} µs each): ` +
      `${results.requests.speedup}x (median of 3 alternating rounds)`,
  );
  await tpmStore.close();
} finally {
  tpm?.child.kill('SIGTERM');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
if (asJson) console.log(JSON.stringify(results, null, 2));
