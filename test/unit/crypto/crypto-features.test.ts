/**
 * node:crypto feature probes (src/crypto/features.ts): what the package takes from node:crypto
 * is exercised once, with known answers where published ones exist, so a runtime whose
 * node:crypto lacks a feature (Electron's BoringSSL) is found out by detection, not by a
 * failure half-way through writing a key. Here (OpenSSL) every file-tier feature works; in
 * child processes that break one the way BoringSSL can (the function exists and throws), the
 * encrypted-file tier is unavailable, E_BACKEND_UNAVAILABLE names the feature, and no key
 * file is written.
 */
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cryptoFeatures } from '../../../src/crypto/features';
import { nodeArgon2Works } from '../../../src/crypto/argon2';
import { TempDirs, describeResult, keyFiles, runFixture } from '../../helpers/proc';

const dirs = new TempDirs();
afterAll(() => dirs.cleanup());

const run = async (feature: string) => {
  const dir = path.join(dirs.make('dk-features-'), 'store');
  const r = await runFixture('crypto-feature-missing.cjs', [feature, dir]);
  return { r, dir, out: JSON.parse(r.out.trim().split('\n').pop() ?? '{}') };
};

describe('cryptoFeatures() on this Node', () => {
  it('every file-tier feature works; argon2 is reported as its probe says', async () => {
    const results = await cryptoFeatures();
    expect(results.filter((f) => f.fileTier && !f.ok)).toEqual([]);
    expect(results.find((f) => f.feature.startsWith('argon2'))?.ok).toBe(await nodeArgon2Works());
    expect(results.map((f) => f.feature)).toContain('aes-256-gcm');
  });
});

describe('a node:crypto that lacks one feature (BoringSSL-style: the function throws)', () => {
  it('control: nothing broken, the key is created on encrypted-file', async () => {
    const { r, out } = await run('none');
    expect(r.code, describeResult(r)).toBe(0);
    expect(out.tier).toBe('encrypted-file');
  });

  for (const [feature, named] of [
    ['aes-256-gcm', 'aes-256-gcm'],
    ['hkdf', 'hkdf-sha256'],
    ['sec1', 'p256-keys'],
  ]) {
    it(`${feature}: E_BACKEND_UNAVAILABLE naming ${named}, and no key file`, async () => {
      const { r, out, dir } = await run(feature!);
      expect(r.code, describeResult(r)).toBe(1);
      expect(out.error?.code, r.out).toBe('E_BACKEND_UNAVAILABLE');
      expect(out.error.message).toContain(`lacks ${named}`);
      expect(await keyFiles(dir)).toEqual([]);
    });
  }
});
