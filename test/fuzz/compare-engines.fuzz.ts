/**
 * `npm run fuzz -- --compare-engines`: the measurement behind choosing the hand-made engine
 * (test/fuzz/README.md). The same oracle (the ecdsa-signature fuzzer's, and the tss2-pem one's)
 * driven for the same time by engine.ts and by fast-check 4.10.2 (a pinned devDependency
 * used by this comparison only), with fast-check given both an unstructured
 * byte arbitrary and a structured one. Prints inputs per second and how many inputs got past the
 * parser (the share that tests anything beyond the first length check).
 */
import { createRequire } from 'node:module';
import { expect, it } from 'vitest';
import { P256_N, encodeDerSignature } from '../../src/crypto/ecdsa';
import { fuzz, type Target } from './engine';
import { ecdsaTarget } from './targets/ecdsa';
import { tss2PemTarget } from './targets/tss2-pem';

const SECONDS = Number(process.env.FUZZ_SECONDS ?? '10');

type Fc = typeof import('fast-check');

function loadFastCheck(): Fc {
  try {
    return createRequire(__filename)('fast-check') as Fc;
  } catch {
    throw new Error('fast-check (a devDependency) is not installed: run npm install');
  }
}

/** fast-check drives `target` one input per property run, for SECONDS. */
function withFastCheck(fc: Fc, target: Target, arb: import('fast-check').Arbitrary<Uint8Array>) {
  let inputs = 0;
  let accepted = 0;
  const t0 = performance.now();
  fc.assert(
    fc.property(arb, (bytes) => {
      inputs++;
      const labels = target.check([Buffer.from(bytes)]) as string[];
      if (labels[0]!.startsWith('accepted')) accepted++;
    }),
    {
      numRuns: Number.MAX_SAFE_INTEGER,
      interruptAfterTimeLimit: SECONDS * 1000,
      markInterruptAsFailure: false,
    },
  );
  const s = (performance.now() - t0) / 1000;
  return { perSecond: Math.round(inputs / s), accepted: accepted / inputs };
}

it('hand-made engine against fast-check on the same oracles', async () => {
  const fc = loadFastCheck();
  const lines: string[] = [];
  const ours = async (t: Target) => {
    const st = await fuzz(t, SECONDS, 1);
    return { perSecond: st.perSecond, accepted: st.accepted / st.inputs };
  };
  const show = (what: string, r: { perSecond: number; accepted: number }) =>
    lines.push(`${what}: ${r.perSecond}/s, ${(r.accepted * 100).toFixed(1)}% got past the parser`);

  const scalar = fc.oneof(
    fc.bigInt({ min: 1n, max: P256_N - 1n }),
    fc.constantFrom(0n, 1n, P256_N - 1n, P256_N, P256_N + 1n),
  );
  const derSig = fc.tuple(scalar, scalar).map(([r, s]) => {
    try {
      return Buffer.concat([Buffer.of(0), encodeDerSignature(r, s)]);
    } catch {
      return Buffer.of(0, 0x30, 0);
    }
  });
  show('ecdsa-signature, engine.ts', await ours(ecdsaTarget));
  show(
    'ecdsa-signature, fast-check uint8Array',
    withFastCheck(fc, ecdsaTarget, fc.uint8Array({ maxLength: 80 })),
  );
  show('ecdsa-signature, fast-check structured (r, s)', withFastCheck(fc, ecdsaTarget, derSig));
  show('tss2-pem, engine.ts', await ours(tss2PemTarget));
  show(
    'tss2-pem, fast-check uint8Array',
    withFastCheck(fc, tss2PemTarget, fc.uint8Array({ maxLength: 900 })),
  );
  console.log(lines.join('\n'));
  expect(lines).toHaveLength(5);
});
