/**
 * `npm run fuzz [-- --seconds N] [name…]`: each named fuzzer (all by default) for N seconds
 * (FUZZ_SECONDS, default 10), one after the other, printing inputs per second. A violation fails
 * the run and leaves the input in test/fuzz/corpus/<name>/crash-*.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { fuzz, type FuzzStats } from './engine';
import { TARGETS } from './targets';
import { removeRecordScratch } from './targets/records';

afterAll(removeRecordScratch);
import { stricterThanMu } from './targets/tpm2b-public';

const seconds = Number(process.env.FUZZ_SECONDS ?? '10');
const wanted = (process.env.FUZZ_TARGETS ?? '').split(',').filter(Boolean);
const unknown = wanted.filter((w) => !TARGETS.some((t) => t.name === w));
const chosen = TARGETS.filter((t) => wanted.length === 0 || wanted.includes(t.name));
const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;

describe(`fuzz, ${seconds} s each`, () => {
  it('names only fuzzers that exist', () => {
    expect(unknown, `known: ${TARGETS.map((t) => t.name).join(', ')}`).toEqual([]);
  });
  for (const target of chosen) {
    it(target.name, async () => {
      const stats: FuzzStats = await fuzz(target, seconds, seed);
      console.log(
        `fuzz ${stats.name}: ${stats.inputs} inputs in ${stats.seconds.toFixed(1)} s = ${stats.perSecond}/s, ` +
          `${stats.accepted} accepted, ${stats.outcomes} distinct outcomes, pool ${stats.pool}`,
      );
      if (target.name === 'tpm2b-public' && stricterThanMu.size) {
        console.log(
          'refused by us, taken by libtss2-mu:\n' +
            [...stricterThanMu].map(([k, v]) => `  ${v} × ${k}`).join('\n'),
        );
      }
      expect(stats.inputs).toBeGreaterThan(0);
    });
  }
});
