/**
 * Helpers for test/tiers/apple/macos-unit.test.ts (Linux and macOS) and test/tiers/apple/*.mac-test.ts (macOS
 * runners only). The DER code here is written independently of src/crypto so that it can
 * disagree with it.
 */
import { spawn } from 'node:child_process';
import { expect } from 'vitest';
import { tempDirsNamed } from './common';

export { HALF_N, N, ROOT, caught, expectCode, removeDir } from './common';
export const makeTempDir = tempDirsNamed('dk-macos');

function bigintOf(bytes: Uint8Array): bigint {
  return BigInt('0x' + (Buffer.from(bytes).toString('hex') || '0'));
}

/** (r, s) from strict DER: SEQUENCE { INTEGER r, INTEGER s }, short lengths only (P-256). */
export function rsFromDer(der: Uint8Array): { r: bigint; s: bigint } {
  const b = Buffer.from(der);
  if (b[0] !== 0x30 || b[1] !== b.length - 2) throw new Error('not a DER SEQUENCE');
  const ints: bigint[] = [];
  let at = 2;
  for (let i = 0; i < 2; i++) {
    if (b[at] !== 0x02) throw new Error('not an INTEGER');
    const len = b[at + 1]!;
    ints.push(bigintOf(b.subarray(at + 2, at + 2 + len)));
    at += 2 + len;
  }
  if (at !== b.length) throw new Error('trailing bytes');
  return { r: ints[0]!, s: ints[1]! };
}

function derInt(v: bigint): Buffer {
  let hex = v.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  if (parseInt(hex.slice(0, 2), 16) & 0x80) hex = '00' + hex;
  const body = Buffer.from(hex, 'hex');
  return Buffer.concat([Buffer.of(0x02, body.length), body]);
}

export function derFromRs(r: bigint, s: bigint): Buffer {
  const body = Buffer.concat([derInt(r), derInt(s)]);
  return Buffer.concat([Buffer.of(0x30, body.length), body]);
}

export function rsFromP1363(sig: Uint8Array): { r: bigint; s: bigint } {
  expect(sig.length).toBe(64);
  return { r: bigintOf(sig.subarray(0, 32)), s: bigintOf(sig.subarray(32)) };
}

/** Runs `node script args…` and returns its exit code, stdout and stderr. */
export function runNode(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { env, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
