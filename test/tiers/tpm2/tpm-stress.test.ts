/**
 * The stress that found nothing in 0.1.0's outside attack, kept: worker threads signing on the
 * TPM tier and terminated at random moments, the TPM connections dropped under them, gc() after
 * every round, all in one child process (test/fixtures/tpm/stress.cjs) that must exit 0 by
 * itself. scripts/sanitize-native.sh runs this file on the ASan + UBSan build of the addon.
 */
import { fork } from 'node:child_process';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DroppingProxy, Swtpm } from '../../helpers/swtpm';
import { FIXTURES, distSnapshot, makeTempDir, removeDir, tpm2 } from '../../helpers/tpm';

interface StressSummary {
  rounds: number;
  exitCodes: number[];
  mainSigned: number;
  workerSigned: number;
  mainErrors: Record<string, number>;
  workerErrors: Record<string, number>;
  final: number;
}

let swtpm: Swtpm;
let proxy: DroppingProxy;
let dir: string;
let dist: Awaited<ReturnType<typeof distSnapshot>>;

beforeAll(async () => {
  swtpm = await Swtpm.start();
  // The resource manager's part after a drop: flush the transient objects and the sessions.
  proxy = await DroppingProxy.start(swtpm, async () => {
    for (const what of ['-t', '-l']) {
      const r = await tpm2(swtpm.tcti, 'tpm2_flushcontext', [what]);
      expect(r.code, r.stderr).toBe(0);
    }
  });
  dir = await makeTempDir('stress');
  dist = await distSnapshot();
});

afterAll(async () => {
  await proxy?.stop();
  await swtpm?.stop();
  await removeDir(dir);
  await dist?.cleanup();
});

describe('workers terminated at random, connections dropped, gc() between rounds', () => {
  it('the process lives; every failure is a typed TPM error; afterwards all works', async () => {
    const child = fork(
      path.join(FIXTURES, 'stress.cjs'),
      [JSON.stringify({ dir, tcti: proxy.tcti, rounds: 6, workers: 3, lib: dist.index })],
      {
        execArgv: ['--expose-gc'],
        env: { ...process.env, TSS2_LOG: 'all+none' },
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    // Once the child has its key, drop the link every 50-250 ms until its rounds are done.
    let chaos = true;
    const ready = new Promise<void>((resolve) =>
      child.on('message', (m: { type: string }) => m.type === 'ready' && resolve()),
    );
    const dropping = (async () => {
      await Promise.race([ready, new Promise((r) => child.once('exit', r))]);
      while (chaos) {
        await new Promise((r) => setTimeout(r, 50 + Math.random() * 200));
        if (chaos) await proxy.drop();
      }
    })();
    child.on('message', (m: { type: string }) => {
      if (m.type !== 'rounds-done') return;
      chaos = false;
      void dropping.then(() => child.send('calm'));
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.on('exit', (c, s) => resolve([c, s])),
    );
    clearTimeout(timer);
    chaos = false;
    await dropping;

    expect({ code, signal }, stderr).toEqual({ code: 0, signal: null });
    const summary = JSON.parse(stdout) as StressSummary;
    // 1: terminated; 0: a worker whose Keystore.open failed on a dropped link ended by itself.
    expect(summary.exitCodes).toHaveLength(18);
    expect(summary.exitCodes.filter((c) => c !== 0 && c !== 1)).toEqual([]);
    expect(summary.exitCodes).toContain(1);
    expect(summary.final).toBe(40);
    // The faults really happened, and signing went on between them. (The native layer
    // reconnects and retries once, so a drop between commands costs no failure at all.)
    expect(proxy.dropped).toBeGreaterThan(5);
    expect(summary.mainSigned).toBeGreaterThan(10);
    expect(summary.workerSigned).toBeGreaterThan(0);
    // A dropped link fails a call only when the native layer's one retry fails too: then it is
    // E_TPM_UNAVAILABLE. About one run in six also shows one E_TPM with TPM_RC_REFERENCE_H0
    // (0x910, "the TPM lost the objects loaded by this process ... retry"): a typed error
    // with the raw code, but not yet explained (the relay's flush should never meet a live
    // link; see the issue 10 notes). Anything else fails the test.
    const allowed = ['KeystoreError:E_TPM_UNAVAILABLE', 'KeystoreError:E_TPM:0x910'];
    const codes = new Set([
      ...Object.keys(summary.mainErrors),
      ...Object.keys(summary.workerErrors),
    ]);
    expect(
      [...codes].filter((c) => !allowed.includes(c)),
      stdout,
    ).toEqual([]);
  }, 180_000);
});
