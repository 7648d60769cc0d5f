/**
 * Several processes on one TPM at once: 8 processes × 200 signatures, straight to swtpm (no
 * resource manager: the TPM's ~3 object slots are shared by everyone) and through tpm2-abrmd
 * (each client gets its own slots). Without a resource manager the library cannot make room
 * in slots other processes hold, so what it must do is fail with one typed code naming the fix,
 * and never return a signature by the wrong key.
 */
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keystore } from '../../../src/index';
import { Abrmd, Swtpm } from '../../helpers/swtpm';
import { FIXTURES, distSnapshot, makeTempDir, removeDir, runNodeScript } from '../../helpers/tpm';

const PROCESSES = 8;
const SIGNS = 200;

interface ChildReport {
  ok: number;
  bad: number;
  failures: Record<string, number>;
  messages: Record<string, string>;
}

let swtpm: Swtpm;
let dir: string;
let dist: { index: string; cleanup: () => Promise<void> };

beforeAll(async () => {
  dist = await distSnapshot();
  swtpm = await Swtpm.start();
  dir = await makeTempDir('processes');
  const ks = await Keystore.open({ dir, tcti: swtpm.tcti, backend: 'tpm2' });
  for (let i = 0; i < PROCESSES; i++) await ks.createKey(`p${i}`);
  await ks.close();
});

afterAll(async () => {
  await swtpm?.stop();
  await removeDir(dir);
  await dist?.cleanup();
});

async function signEverywhere(tcti: string, env: Record<string, string> = {}) {
  const script = path.join(FIXTURES, 'sign-many.cjs');
  const runs = await Promise.all(
    Array.from({ length: PROCESSES }, (_, i) =>
      runNodeScript(
        script,
        [dir, tcti, `p${i}`, String(SIGNS)],
        { ...env, DK_TEST_DIST: dist.index },
        120_000,
      ),
    ),
  );
  return runs.map((r) => {
    expect(r.code, r.stderr).toBe(0);
    return r.json as ChildReport;
  });
}

describe(`${PROCESSES} processes × ${SIGNS} signatures on one TPM`, () => {
  it('without a resource manager: every failure is E_TPM_OBJECT_MEMORY naming the fix; no wrong signature', async () => {
    const reports = await signEverywhere(swtpm.tcti);
    let ok = 0;
    let failed = 0;
    for (const r of reports) {
      expect(r.bad).toBe(0);
      ok += r.ok;
      for (const [code, count] of Object.entries(r.failures)) {
        expect(code, r.messages[code]).toBe('E_TPM_OBJECT_MEMORY');
        expect(r.messages[code]).toMatch(/\/dev\/tpmrm0/);
        expect(r.messages[code]).toMatch(/tpm2-abrmd/);
        failed += count;
      }
    }
    expect(ok + failed).toBe(PROCESSES * SIGNS);
  }, 180_000);

  it('through tpm2-abrmd (on a private D-Bus): all of them succeed and verify', async () => {
    const abrmd = await Abrmd.start(swtpm);
    try {
      const reports = await signEverywhere(abrmd.tcti, abrmd.env);
      expect(reports.map((r) => r.failures)).toEqual(reports.map(() => ({})));
      expect(reports.map((r) => [r.ok, r.bad])).toEqual(reports.map(() => [SIGNS, 0]));
    } finally {
      await abrmd.stop();
    }
  }, 180_000);
});
