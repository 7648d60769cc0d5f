// Shared by the benchmarks: rates measured side by side in alternating rounds, so that the
// ratio holds on a shared, noisy machine.

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Calls per second of `fn` (awaited one after another) over about `ms` milliseconds. */
export async function timeLoop(fn, ms) {
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 200; i++) await fn();
    n += 200;
    now = performance.now();
  }
  return (n * 1000) / (now - start);
}

/** `ours` against `base`: both warmed, then 7 alternating 400 ms rounds; medians and ratio. */
export async function sideBySide(ours, base) {
  await timeLoop(ours, 300);
  await timeLoop(base, 300);
  const o = [];
  const b = [];
  for (let round = 0; round < 7; round++) {
    b.push(await timeLoop(base, 400));
    o.push(await timeLoop(ours, 400));
  }
  return {
    oursPerSec: Math.round(median(o)),
    basePerSec: Math.round(median(b)),
    ratio: +(median(o) / median(b)).toFixed(3),
    rounds: o.length,
  };
}
