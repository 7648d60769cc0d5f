/**
 * The fuzz corpus as a normal test: every committed input (the seeds made from real stores, and
 * every crash-* input a fuzzer once found) goes through its fuzzer's oracle again, so a finding
 * stays fixed. The fuzzing itself is `npm run fuzz` (test/fuzz/README.md).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { corpusFiles, FuzzFailure } from './engine';
import { TARGETS } from './targets';
import { removeRecordScratch } from './targets/records';

afterAll(removeRecordScratch);

describe('fuzz corpus replay', () => {
  for (const target of TARGETS) {
    it(`${target.name}: every corpus input passes the oracle`, async () => {
      const corpus = corpusFiles(target.name);
      // A fuzzer without committed inputs would replay nothing and prove nothing.
      expect(corpus.filter((c) => c.file.includes('seed-')).length).toBeGreaterThan(0);
      for (const { file, bytes } of corpus) {
        try {
          await target.check([bytes]);
        } catch (err) {
          if (err instanceof FuzzFailure) throw new Error(`${file}: ${err.message}`);
          throw err;
        }
      }
      const seeds = target.seeds();
      expect((await target.check(seeds)).length).toBe(seeds.length);
    });
  }

  it('the crash inputs found so far are in the corpus, each refused with a typed error', async () => {
    const crashes = TARGETS.flatMap((t) =>
      corpusFiles(t.name)
        .filter((c) => c.file.includes('crash-'))
        .map((c) => ({ t, c })),
    );
    expect(crashes.length).toBeGreaterThanOrEqual(3);
    for (const { t, c } of crashes) {
      const [label] = await t.check([c.bytes]);
      expect(label, c.file).toMatch(/^E_[A-Z_]+ /);
    }
  });
});
