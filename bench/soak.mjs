// Memory over a long run: RSS and the JS heap sampled every N signatures, and the drift after
// warm-up (goal: < 5 MiB over 1,000,000 signatures on each tier).
//   --tier file    the encrypted-file tier, 32 signs in flight on the main thread
//   --tier tpm     the TPM tier on a private swtpm started here, 32 in flight
//   --tier mixed   both at once in one process: --workers worker threads (half file, half TPM),
//                  each with its own store, 32 in flight each; --count is the total
// Options: --count N (default 1000000), --every N (sample interval, default count/50),
// --warmup N (signatures before the baseline sample, default count/10), --json. RSS is the whole
// process (every thread); the heap figure is the main thread's.
// Run: npm run bench:soak -- --tier tpm   (builds first; node runs with --expose-gc so each
// sample follows a full GC and the heap figure is what is live, not what is not yet collected).
// Allocator experiments go through the environment, e.g. MALLOC_ARENA_MAX=2 npm run bench:soak.
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { startSwtpm } from './swtpm.mjs';

const require = createRequire(import.meta.url);
const { Keystore } = require('../dist/index.js');
const MiB = 1024 * 1024;
const IN_FLIGHT = 32;

/**
 * Signs `total` messages (or until stopped()), IN_FLIGHT at a time; calls onBatch(n) after every
 * `batch` signatures.
 */
async function signLoop(key, total, batch, onBatch, stopped = () => false) {
  const msg = Buffer.from('soak message');
  let started = 0;
  let done = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (started++ < total && !stopped()) {
        await key.sign(msg);
        if (++done % batch === 0) await onBatch(done);
      }
    }),
  );
}

async function openTier(tier, dir, tcti) {
  const ks =
    tier === 'tpm'
      ? await Keystore.open({ dir, backend: 'tpm2', tcti })
      : await Keystore.open({ dir, backend: 'encrypted-file', passphrase: 'soak' });
  return { ks, key: await ks.createKey('soak') };
}

if (!isMainThread) {
  // A mixed-soak worker: signs until told to stop, reporting every 1,000 signatures.
  const { tier, dir, tcti } = workerData;
  const { ks, key } = await openTier(tier, dir, tcti);
  let stop = false;
  parentPort.on('message', (m) => m === 'stop' && (stop = true));
  parentPort.postMessage({ ready: true });
  // The file tier's sign never leaves the microtask queue: yield to the event loop each batch
  // so that the 'stop' message gets through.
  const report = async () => {
    parentPort.postMessage(1_000);
    await new Promise(setImmediate);
  };
  await signLoop(key, Infinity, 1_000, report, () => stop);
  await ks.close();
  parentPort.close(); // lets the thread exit
} else {
  const arg = (name, fallback) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : fallback;
  };
  const tier = arg('tier', 'file');
  const count = Number(arg('count', 1_000_000));
  const every = Number(arg('every', Math.max(1_000, Math.round(count / 50))));
  const warmup = Number(arg('warmup', Math.round(count / 10)));
  const workers = Number(arg('workers', 4));
  const asJson = process.argv.includes('--json');
  if (!['file', 'tpm', 'mixed'].includes(tier))
    throw new Error(`--tier file|tpm|mixed, not ${tier}`);

  const work = mkdtempSync(join(tmpdir(), 'dk-soak-'));
  const swtpm = tier === 'file' ? undefined : await startSwtpm(work);
  const samples = [];
  let signaturesByTier;
  const started = performance.now();
  // Linux splits RSS: RssAnon is what the process allocated (heaps, stacks, arenas); RssFile is
  // mapped files (node's binary, libraries), which the kernel pages out and back in under
  // memory pressure from other processes, and which therefore says nothing about a leak.
  const procStatus = () => {
    try {
      const text = readFileSync('/proc/self/status', 'utf8');
      const kib = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1]);
      return { anon: kib('RssAnon') / 1024, file: kib('RssFile') / 1024 };
    } catch {
      return { anon: NaN, file: NaN };
    }
  };
  const sample = (n) => {
    globalThis.gc?.();
    const m = process.memoryUsage();
    const rss = procStatus();
    const s = {
      signatures: n,
      seconds: +((performance.now() - started) / 1000).toFixed(1),
      rssMiB: +(m.rss / MiB).toFixed(2),
      rssAnonMiB: +rss.anon.toFixed(2),
      rssFileMiB: +rss.file.toFixed(2),
      heapUsedMiB: +(m.heapUsed / MiB).toFixed(2),
      // What V8 has committed for the heap (the young generation grows and shrinks with the
      // allocation rate): part of RSS that heapUsed does not show.
      heapTotalMiB: +(m.heapTotal / MiB).toFixed(2),
      externalMiB: +(m.external / MiB).toFixed(2),
    };
    samples.push(s);
    if (!asJson)
      console.log(
        `${String(n).padStart(9)} sigs  ${String(s.seconds).padStart(7)} s  rss ${s.rssMiB.toFixed(2)} MiB (anon ${s.rssAnonMiB.toFixed(2)}, file ${s.rssFileMiB.toFixed(2)})  heap ${s.heapUsedMiB.toFixed(2)}/${s.heapTotalMiB.toFixed(2)} MiB  external ${s.externalMiB.toFixed(2)} MiB`,
      );
  };
  try {
    if (tier !== 'mixed') {
      const { ks, key } = await openTier(tier, join(work, 'store'), swtpm?.tcti);
      sample(0);
      await signLoop(key, count, every, async (n) => sample(n));
      await ks.close();
    } else {
      const threads = Array.from(
        { length: workers },
        (_, i) =>
          new Worker(new URL(import.meta.url), {
            workerData: {
              tier: i % 2 ? 'tpm' : 'file',
              dir: join(work, `store-${i}`),
              tcti: swtpm.tcti,
            },
          }),
      );
      let total = 0;
      let nextSample = every;
      const byTier = { file: 0, tpm: 0 };
      await Promise.all(
        threads.map(
          (w) =>
            new Promise((resolve, reject) => {
              w.once('error', reject);
              w.on('message', function ready(m) {
                if (m.ready) resolve(w.off('message', ready));
              });
            }),
        ),
      );
      sample(0);
      await new Promise((resolve, reject) => {
        threads.forEach((w, i) => {
          w.on('error', reject);
          w.on('message', (m) => {
            if (typeof m !== 'number' || total >= count) return;
            total += m;
            byTier[i % 2 ? 'tpm' : 'file'] += m;
            if (total >= nextSample) {
              sample(nextSample);
              nextSample += every;
            }
            if (total >= count) resolve();
          });
        });
      });
      signaturesByTier = byTier;
      for (const w of threads) w.postMessage('stop');
      await Promise.all(threads.map((w) => once(w, 'exit')));
    }
    const base = samples.find((s) => s.signatures >= warmup) ?? samples[0];
    const after = samples.filter((s) => s.signatures >= base.signatures);
    const rss = after.map((s) => s.rssMiB);
    const result = {
      tier,
      node: process.version,
      signatures: samples.at(-1).signatures,
      perSecond: Math.round(samples.at(-1).signatures / samples.at(-1).seconds),
      signaturesByTier,
      warmup: base.signatures,
      rssAtWarmupMiB: base.rssMiB,
      rssEndMiB: samples.at(-1).rssMiB,
      rssDriftMiB: +(samples.at(-1).rssMiB - base.rssMiB).toFixed(2),
      rssSpreadAfterWarmupMiB: +(Math.max(...rss) - Math.min(...rss)).toFixed(2),
      rssAnonDriftMiB: +(samples.at(-1).rssAnonMiB - base.rssAnonMiB).toFixed(2),
      rssAnonMaxOverWarmupMiB: +(
        Math.max(...after.map((s) => s.rssAnonMiB)) - base.rssAnonMiB
      ).toFixed(2),
      rssFileDriftMiB: +(samples.at(-1).rssFileMiB - base.rssFileMiB).toFixed(2),
      heapTotalDriftMiB: +(samples.at(-1).heapTotalMiB - base.heapTotalMiB).toFixed(2),
      heapDriftMiB: +(samples.at(-1).heapUsedMiB - base.heapUsedMiB).toFixed(2),
      mallocArenaMax: process.env.MALLOC_ARENA_MAX ?? null,
      samples,
    };
    if (asJson) console.log(JSON.stringify(result, null, 2));
    else
      console.log(
        `${tier}: ${result.signatures} signatures${signaturesByTier ? ` (file ${signaturesByTier.file}, TPM ${signaturesByTier.tpm})` : ''} at ${result.perSecond}/s; RSS after warm-up (${result.warmup}) ${result.rssAtWarmupMiB} -> ${result.rssEndMiB} MiB: drift ${result.rssDriftMiB} MiB (spread ${result.rssSpreadAfterWarmupMiB}; goal < 5); anonymous RSS drift ${result.rssAnonDriftMiB} MiB (highest ${result.rssAnonMaxOverWarmupMiB} over), file-backed ${result.rssFileDriftMiB} MiB; JS heap drift ${result.heapDriftMiB} MiB, V8's committed heap ${result.heapTotalDriftMiB} MiB`,
      );
  } finally {
    if (swtpm) {
      swtpm.child.kill('SIGTERM');
      await once(swtpm.child, 'exit');
    }
    rmSync(work, { recursive: true, force: true });
  }
}
