/**
 * libtss2-mu as the outside parser of TPM2B structures: test/fuzz/mu-harness.c, compiled once
 * per process with the system compiler against the system libtss2-mu (scripts/install-test-deps.sh
 * installs both), checks each input the way the addon does before a blob reaches the TPM.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const SOURCE = path.join(__dirname, 'mu-harness.c');

let binary: string | undefined;

function harness(): string {
  if (binary) return binary;
  const src = readFileSync(SOURCE);
  const dir = path.join(os.tmpdir(), 'dk-fuzz-mu');
  mkdirSync(dir, { recursive: true });
  const out = path.join(
    dir,
    `mu-harness-${createHash('sha256').update(src).digest('hex').slice(0, 12)}`,
  );
  if (!existsSync(out)) {
    const tmp = `${out}.${process.pid}`;
    execFileSync('cc', ['-O2', '-Wall', '-Werror', '-o', tmp, SOURCE, '-ltss2-mu'], {
      stdio: 'pipe',
    });
    execFileSync('mv', [tmp, out]);
  }
  binary = out;
  return out;
}

export type MuKind = 'public' | 'private';

/**
 * One line per input: "ERR <why>" or "OK type=… nameAlg=… …" (see mu-harness.c for the fields).
 */
export function muCheck(inputs: { kind: MuKind; bytes: Buffer }[]): string[] {
  if (inputs.length === 0) return [];
  const records = inputs.flatMap(({ kind, bytes }) => {
    const head = Buffer.alloc(5);
    head[0] = kind === 'public' ? 0x50 : 0x56;
    head.writeUInt32BE(bytes.length, 1);
    return [head, bytes];
  });
  const r = spawnSync(harness(), [], { input: Buffer.concat(records), maxBuffer: 64 << 20 });
  if (r.status !== 0) {
    throw new Error(`mu-harness failed (${r.status ?? r.signal}): ${r.stderr.toString()}`);
  }
  const lines = r.stdout.toString().split('\n');
  lines.pop();
  if (lines.length !== inputs.length) {
    throw new Error(`mu-harness answered ${lines.length} of ${inputs.length} inputs`);
  }
  return lines;
}
