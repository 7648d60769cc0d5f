// The device side of TPM key attestation on swtpm, side by side in one run: key.attest() (one
// TPM2_Certify by the AK, through the salted session) against key.sign() (one TPM2_Sign) of
// the same key, alternating rounds (bench/measure.mjs). The AK, the key and the endorsement are
// made and read first, as after a store's first attest; what is timed is the steady state.
// Run: npm run bench:attest   (builds first; needs swtpm). --json
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sideBySide } from './measure.mjs';
import { startSwtpm } from './swtpm.mjs';

const require = createRequire(import.meta.url);
const { Keystore, verifyKeyAttestation } = require('../dist/index.js');
const asJson = process.argv.includes('--json');

const work = mkdtempSync(join(tmpdir(), 'dk-bench-attest-device-'));
const state = join(work, 'state');
mkdirSync(state);
const { child, tcti } = await startSwtpm(state);
try {
  const ks = await Keystore.open({ dir: join(work, 'store'), backend: 'tpm2', tcti });
  const key = await ks.createKey('bench');
  const nonce = randomBytes(32);
  const digest = randomBytes(32);
  // Warm, and prove the statements verify (a benchmark of a broken path proves nothing).
  const ak = await ks.attestationKey();
  const att = await key.attest({ nonce });
  verifyKeyAttestation(att.encode(), { nonce, akPublic: ak.publicArea, akName: ak.name });
  const r = await sideBySide(
    () => key.attest({ nonce }),
    () => key.sign(digest, { prehashed: true }),
  );
  const results = {
    node: process.version,
    attestPerSec: r.oursPerSec,
    signPerSec: r.basePerSec,
    attestMs: +(1000 / r.oursPerSec).toFixed(2),
    signMs: +(1000 / r.basePerSec).toFixed(2),
    ratio: r.ratio,
    rounds: r.rounds,
  };
  await ks.close();
  if (asJson) console.log(JSON.stringify(results, null, 2));
  else {
    console.log(
      `key.attest ${results.attestPerSec}/s (${results.attestMs} ms) against key.sign ${results.signPerSec}/s (${results.signMs} ms) on swtpm: ratio ${results.ratio}`,
    );
  }
} finally {
  child.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
}
