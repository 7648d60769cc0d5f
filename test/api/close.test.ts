/**
 * close() means the same on every tier: it waits for the work in flight, afterwards every call
 * on the store and on every key it handed out is E_CLOSED, and a second close() resolves.
 * Run on the encrypted-file tier and on the TPM tier (swtpm).
 */
import { createPublicKey, generateKeyPairSync, verify as nodeVerify } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keystore, type OpenOptions } from '../../src/index';
import { Swtpm } from '../helpers/swtpm';
import { expectCode, makeTempDir, removeDir, withTimeout } from '../helpers/tpm';
import { WINDOWS } from '../helpers/windows-skips';

const PASS = 'close-test passphrase';

let swtpm: Swtpm;
const dirs: string[] = [];

beforeAll(async () => {
  // The tpm2 half needs swtpm, a Linux program (listed in test/helpers/windows-skips.ts).
  if (!WINDOWS) swtpm = await Swtpm.start();
});

afterAll(async () => {
  await swtpm?.stop();
  for (const d of dirs) await removeDir(d);
});

async function freshDir(label: string): Promise<string> {
  const d = await makeTempDir(label);
  dirs.push(d);
  return d;
}

describe('close() on the encrypted-file tier', () =>
  closeTests((dir) => ({ dir, backend: 'encrypted-file', passphrase: PASS })));

describe.skipIf(WINDOWS)('close() on the tpm2 tier', () =>
  closeTests((dir) => ({ dir, backend: 'tpm2', tcti: swtpm.tcti })),
);

function closeTests(options: (dir: string) => OpenOptions): void {
  it('waits for signs in flight, which all complete and verify', async () => {
    const ks = await Keystore.open(options(await freshDir('close-wait')));
    const key = await ks.createKey('k');
    const pending = Array.from({ length: 50 }, (_, i) => key.sign(`message ${i}`));
    let settled = 0;
    for (const p of pending) void p.then(() => settled++);
    let settledAtClose = -1;
    const closing = ks.close().then(() => (settledAtClose = settled));
    // Work that had started is not cut off: every signature arrives and verifies.
    const sigs = await Promise.all(pending);
    const pub = createPublicKey(key.exportPublicKey('pem'));
    sigs.forEach((sig, i) =>
      expect(nodeVerify('sha256', Buffer.from(`message ${i}`), pub, sig)).toBe(true),
    );
    await withTimeout(closing, 10_000, 'close() after the signs');
    expect(settledAtClose).toBe(50);
  });

  it('afterwards every key it handed out is E_CLOSED for sign, verify and ecdh', async () => {
    const ks = await Keystore.open(options(await freshDir('close-keys')));
    const key = await ks.createKey('k');
    const other = await Keystore.open(options(ks.dir));
    const loaded = await other.getKey('k');
    const sig = await key.sign('before');
    await ks.close();
    const peer = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    await expectCode(() => key.sign('after'), 'E_CLOSED', 'sign');
    await expectCode(() => key.sign(Buffer.alloc(32), { prehashed: true }), 'E_CLOSED', 'digest');
    await expectCode(() => key.verify('before', sig), 'E_CLOSED', 'verify');
    await expectCode(() => key.ecdh(peer), 'E_CLOSED', 'ecdh');
    await expectCode(() => ks.getKey('k'), 'E_CLOSED', 'getKey');
    // The public half stays readable, as a KeyObject's would.
    expect(key.exportPublicKey('raw').length).toBe(65);
    // Another Keystore's key for the same alias is not affected.
    expect((await loaded.sign('other store')).length).toBeGreaterThan(0);
    await other.close();
  });

  it('a second close() resolves, and so do two at once', async () => {
    const ks = await Keystore.open(options(await freshDir('close-twice')));
    await ks.createKey('k');
    await withTimeout(Promise.all([ks.close(), ks.close()]), 10_000, 'two closes at once');
    await withTimeout(ks.close(), 10_000, 'a third close');
  });
}
