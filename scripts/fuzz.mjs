// npm run fuzz [-- --seconds N] [--seed S] [--make-corpus | --compare-engines] [name ...]
// Runs the fuzzers of test/fuzz/ (the fuzzers project of vitest.config.mts), each for N seconds (default 10), one
// after the other; prints inputs per second. --make-corpus rewrites the seed corpus instead;
// --compare-engines measures engine.ts against fast-check (test/fuzz/README.md).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const env = { ...process.env };
const names = [];
let file = 'test/fuzz/run.fuzz.ts';
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--seconds' || a === '--seed') {
    const v = Number(args[++i]);
    if (!Number.isFinite(v) || v <= 0) {
      console.error(`fuzz: ${a} needs a positive number`);
      process.exit(2);
    }
    env[a === '--seconds' ? 'FUZZ_SECONDS' : 'FUZZ_SEED'] = String(v);
  } else if (a === '--make-corpus') {
    file = 'test/fuzz/make-corpus.fuzz.ts';
  } else if (a === '--compare-engines') {
    file = 'test/fuzz/compare-engines.fuzz.ts';
  } else if (a.startsWith('-')) {
    console.error(`fuzz: unknown option ${a}`);
    process.exit(2);
  } else {
    names.push(a);
  }
}
env.FUZZ_TARGETS = names.join(',');
const vitest = join(root, 'node_modules/vitest/vitest.mjs');
// An input that sends a parser into an endless loop blocks the worker for good, and no vitest
// timeout can fire inside it: the whole run gets a deadline here instead (9 fuzzers at most),
// and on it the whole process group (vitest and its worker) is killed.
const seconds = Number(env.FUZZ_SECONDS ?? '10');
const deadlineMs = ((names.length || 9) * (seconds + 30) + 120) * 1000;
const child = spawn(process.execPath, [vitest, 'run', '--project', 'fuzzers', file], {
  cwd: root,
  env,
  stdio: 'inherit',
  detached: true,
});
// Its own process group, so it can be killed whole: pass on what a terminal would have sent it.
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.kill(-child.pid, sig));
let hung = false;
const timer = file.endsWith('run.fuzz.ts')
  ? setTimeout(() => {
      hung = true;
      process.kill(-child.pid, 'SIGKILL');
    }, deadlineMs)
  : undefined;
const [code] = await once(child, 'exit');
clearTimeout(timer);
if (hung) console.error(`fuzz: no answer within ${deadlineMs / 1000} s: a hang`);
const r = { status: hung ? 1 : code };
const inflight = join(root, 'test/fuzz/.inflight');
const left = existsSync(inflight) ? readdirSync(inflight) : [];
if (r.status !== 0 && left.length) {
  console.error(
    `fuzz: a fuzzer died mid-batch; its batch is in ${inflight}/ (${left.join(', ')}), ` +
      'one input after the other with a 4-byte length (readInflight in test/fuzz/engine.ts)',
  );
}
process.exit(r.status ?? 1);
