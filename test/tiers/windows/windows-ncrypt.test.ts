/**
 * The Windows NCrypt tiers (windows-tpm: the Platform Crypto Provider; windows-ksp: the
 * Software KSP), for real wherever this runs:
 * - on Linux: both report "Windows only", and the store detects past them;
 * - in the Windows leg under Wine (scripts/windows/test-leg.sh): Wine's ncrypt.dll opens both
 *   providers and then cannot make a P-256 key (NTE_NOT_SUPPORTED, 0x80090029), so detection
 *   falls back to the file tier with that reason, and doctor says so;
 * - on windows-latest (.github/workflows/windows.yml): the software KSP's full round trip,
 *   with node:crypto as the outside verifier and a second process finding the key.
 * The PCP cannot be asserted on hosted runners (they may have no TPM): the workflow's
 * report-only step (scripts/windows/pcp-report.cjs) prints what it finds.
 */
import {
  createHash,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  verify,
} from 'node:crypto';
import { existsSync, promises as fsp, renameSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Keystore } from '../../../src/keystore';
import { NCRYPT_PROVIDERS_ENV } from '../../../src/tiers/windows/settings';
import { ncryptSupport, type NativeNcryptProvider } from '../../../src/addon/windows';
import { windowsKspTier, windowsTpmTier } from '../../../src/tiers/windows/provider';
import { caught, expectCode, isolateEnv, makeTempDir, removeDir } from '../../helpers/file';
import { describeResult, jsonOf, runCli, startNode } from '../../helpers/proc';
import { WINDOWS, WINE } from '../../helpers/windows-skips';

const NTE_NOT_SUPPORTED = 0x80090029;
const TBS_E_TPM_NOT_FOUND = 0x8028400f;

let dir: string | undefined;
let restoreEnv: () => void;
let savedProviders: string | undefined;
beforeEach(async () => {
  restoreEnv = isolateEnv();
  savedProviders = process.env[NCRYPT_PROVIDERS_ENV];
  // What the machine can do, not what the leg's config restricts (vitest.config.mts's windows project).
  delete process.env[NCRYPT_PROVIDERS_ENV];
  process.env.DEVICE_KEYSTORE_PASSPHRASE = 'windows ncrypt test';
  dir = await makeTempDir('ncrypt');
});
afterEach(async () => {
  restoreEnv();
  if (savedProviders === undefined) delete process.env[NCRYPT_PROVIDERS_ENV];
  else process.env[NCRYPT_PROVIDERS_ENV] = savedProviders;
  await removeDir(dir);
});

const ctx = () => ({
  storeDir: dir!,
  warn: () => {},
  unlockDataKey: () => Promise.reject(new Error('not used')),
});

function nativeProvider(kind: 'platform' | 'software'): NativeNcryptProvider {
  const support = ncryptSupport();
  if (!support.ok) throw new Error(`the NCrypt tiers are not built in: ${support.reason}`);
  return support.open(kind);
}

describe('detection of the NCrypt tiers', () => {
  it('offers a tier only after its provider made, used and deleted a throwaway key; else says why', async () => {
    const tpm = await windowsTpmTier.probe(ctx());
    const ksp = await windowsKspTier.probe(ctx());
    if (!WINDOWS) {
      expect(tpm).toEqual({
        available: false,
        reason: `Windows only (this is ${process.platform})`,
      });
      expect(ksp).toEqual({
        available: false,
        reason: `Windows only (this is ${process.platform})`,
      });
      return;
    }
    if (WINE) {
      for (const [probe, provider] of [
        [tpm, 'Microsoft Platform Crypto Provider'],
        [ksp, 'Microsoft Software Key Storage Provider'],
      ] as const) {
        expect(probe.available).toBe(false);
        const reason = (probe as { reason: string }).reason;
        expect(reason).toContain(
          `${provider} could not make a throwaway P-256 key: NCryptCreatePersistedKey failed`,
        );
        expect(reason).toContain('NTE_NOT_SUPPORTED (0x80090029)');
        expect(reason).toMatch(/this is Wine \S+, whose ncrypt\.dll makes RSA keys only/);
      }
      return;
    }
    // A real Windows: every edition has the software KSP; a TPM may or may not be there.
    expect(ksp).toMatchObject({ available: true });
    console.log(`windows-tpm on this machine: ${JSON.stringify(tpm)}`);
  });

  it("the store falls back to the file tier with each NCrypt tier's reason, and requireHardware refuses", async () => {
    // Under Wine no P-256 key can be made; a real Windows is told not to use either provider.
    if (WINDOWS && !WINE) process.env[NCRYPT_PROVIDERS_ENV] = 'none';
    const why = !WINDOWS
      ? 'Windows only'
      : WINE
        ? 'NTE_NOT_SUPPORTED (0x80090029)'
        : 'not used (DEVICE_KEYSTORE_NCRYPT_PROVIDERS=none)';
    const ks = await Keystore.open({ dir: dir! });
    try {
      const d = await ks.describe();
      expect(d.tier).toBe('encrypted-file');
      const byTier = new Map(d.tiers.map((t) => [t.tier, t]));
      for (const tier of ['windows-tpm', 'windows-ksp'] as const) {
        expect(byTier.get(tier)?.status, tier).toBe('unavailable');
        expect(byTier.get(tier)?.reason, tier).toContain(why);
      }
      expect(byTier.get('encrypted-file')).toMatchObject({ status: 'available', chosen: true });
    } finally {
      await ks.close();
    }
    const hw = await expectCode(
      () => Keystore.open({ dir: dir!, requireHardware: true }),
      'E_HARDWARE_REQUIRED',
    );
    expect(hw.message).toContain(
      `windows-tpm: ${WINDOWS ? 'Microsoft Platform Crypto Provider' : ''}`,
    );
    expect(hw.message).toContain(why);
    const forced = await expectCode(
      () => Keystore.open({ dir: dir!, backend: 'windows-ksp' }),
      'E_BACKEND_UNAVAILABLE',
    );
    expect(forced.message).toContain(why);
  });

  it('DEVICE_KEYSTORE_NCRYPT_PROVIDERS keeps detection off a provider, and a bad value is named', async () => {
    process.env[NCRYPT_PROVIDERS_ENV] = 'platform';
    const ksp = await windowsKspTier.probe(ctx());
    expect(ksp.available).toBe(false);
    expect((ksp as { reason: string }).reason).toMatch(
      WINDOWS ? /not used \(DEVICE_KEYSTORE_NCRYPT_PROVIDERS=platform\)/ : /Windows only/,
    );
    process.env[NCRYPT_PROVIDERS_ENV] = 'tpm';
    const bad = await windowsTpmTier.probe(ctx());
    expect((bad as { reason: string }).reason).toMatch(
      WINDOWS ? /DEVICE_KEYSTORE_NCRYPT_PROVIDERS="tpm" is not/ : /Windows only/,
    );
  });
});

describe('raw statuses', () => {
  it.runIf(WINDOWS)(
    'every NCrypt and TBS failure arrives as a KeystoreError with the raw status and its text',
    async () => {
      const ksp = nativeProvider('software');
      const pcp = nativeProvider('platform');
      try {
        // An opaque blob that is not one: refused by the provider, never a crash.
        const garbage = await caught(() => pcp.importKey(Buffer.alloc(64, 0x5a)));
        expect(garbage.name).toBe('KeystoreError');
        expect(garbage.osStatus).toBeGreaterThanOrEqual(0x80000000);
        expect(garbage.message).toMatch(/^NCryptImportKey failed with \S+ \(0x[0-9A-F]{8}\)/);
        const missing = await caught(() => ksp.openKey('device-keystore/none/' + '0'.repeat(32)));
        expect(missing.name).toBe('KeystoreError');
        expect(missing.message).toMatch(/^NCryptOpenKey failed with/);
        if (WINE) {
          expect(missing).toMatchObject({
            code: 'E_BACKEND_UNAVAILABLE',
            osStatus: NTE_NOT_SUPPORTED,
          });
          const made = await caught(() => pcp.createKey());
          expect(made).toMatchObject({
            code: 'E_BACKEND_UNAVAILABLE',
            osStatus: NTE_NOT_SUPPORTED,
          });
          expect(made.message).toContain(
            'NCryptCreatePersistedKey failed with NTE_NOT_SUPPORTED (0x80090029)',
          );
          const tbs = await caught(() => pcp.tpmInfo());
          expect(tbs).toMatchObject({ code: 'E_TPM_UNAVAILABLE', osStatus: TBS_E_TPM_NOT_FOUND });
          expect(tbs.message).toContain('Tbsi_GetDeviceInfo failed with TBS_E_TPM_NOT_FOUND');
        } else {
          // A name nobody made: NTE_BAD_KEYSET, the table's E_NOT_FOUND.
          expect(missing).toMatchObject({ code: 'E_NOT_FOUND', osStatus: 0x80090016 });
          expect(missing.message.length).toBeGreaterThan(40); // the system's own text is in it
        }
      } finally {
        await Promise.all([ksp.close(), pcp.close()]);
      }
      // A closed provider refuses further work with E_CLOSED.
      await expectCode(() => ksp.createKey('device-keystore/x/' + 'a'.repeat(32)), 'E_CLOSED');
    },
  );

  it('doctor reports the Windows build, the TPM as TBS sees it and each provider', async () => {
    const r = await runCli(['info', '--json', '--dir', dir!], {
      env: { DEVICE_KEYSTORE_PASSPHRASE: 'windows ncrypt test' },
    });
    expect(r.code, describeResult(r)).toBe(0);
    const json = jsonOf(r);
    if (!WINDOWS) {
      expect(json.windows).toBeUndefined();
      return;
    }
    expect(json.windows.build).toMatch(/^\d+\.\d+\.\d+/);
    if (WINE) {
      expect(json.windows.wine).toMatch(/^\d/);
      expect(json.windows.tpm).toMatchObject({ present: false, osStatus: TBS_E_TPM_NOT_FOUND });
      expect(json.windows.platformCryptoProvider.usable).toBe(false);
      expect(json.windows.platformCryptoProvider.reason).toContain('0x80090029');
      expect(json.windows.softwareKsp.usable).toBe(false);
    } else {
      expect(json.windows.softwareKsp).toMatchObject({ usable: true, usagePolicy: 'key-usage' });
      console.log(`doctor on this machine: ${JSON.stringify(json.windows)}`);
    }
    const text = await runCli(['info', '--dir', dir!], {
      env: { DEVICE_KEYSTORE_PASSPHRASE: 'windows ncrypt test' },
    });
    expect(text.out).toMatch(/Windows:\n {2}Windows \d+\.\d+\.\d+/);
    expect(text.out).toContain('Microsoft Platform Crypto Provider: ');
  });
});

describe('without TPM Base Services', () => {
  // tbs.dll is loaded when first needed, not imported: a Windows without it (Server Core, some
  // VMs) still loads the addon, and with it the store's DACL checks. Under Wine the test renames
  // tbs.dll away from the prefix's system32 while a child process runs (the other test files of
  // the leg run with DEVICE_KEYSTORE_NCRYPT_PROVIDERS=none and never probe the PCP); the build
  // before this, which imported tbs.dll, then failed to load at all ("Module not found").
  it.runIf(WINE)(
    'the addon loads without tbs.dll; the windows-tpm tier says it is missing, the rest works',
    async () => {
      const system32 = path.join(process.env.SystemRoot ?? 'C:\\windows', 'system32');
      const tbs = path.join(system32, 'tbs.dll');
      const away = `${tbs}.dk-away`;
      if (existsSync(away) && !existsSync(tbs)) renameSync(away, tbs); // an interrupted run
      const dist = path.resolve(__dirname, '..', '..', '..', 'dist');
      const script = `
        const path = require('path');
        const { Keystore } = require(path.join(${JSON.stringify(dist)}, 'index.js'));
        const { windowsTpmTier } = require(path.join(${JSON.stringify(dist)}, 'tiers', 'windows', 'provider.js'));
        (async () => {
          const probe = await windowsTpmTier.probe({});
          const ks = await Keystore.open({ dir: process.argv[1] });
          const d = await ks.describe();
          const key = await ks.createKey('k');
          const sig = (await key.sign('without tbs')).toString('base64');
          await ks.close();
          process.stdout.write(JSON.stringify({ probe, tier: d.tier, sig, publicKey: key.publicKey.export({ format: 'jwk' }) }));
        })().catch((e) => { process.stderr.write(String(e.code) + ' ' + e.stack); process.exit(1); });`;
      renameSync(tbs, away);
      let r;
      try {
        r = await startNode(['-e', script, dir!], {
          env: { [NCRYPT_PROVIDERS_ENV]: 'platform' },
          timeoutMs: 60_000,
        }).done;
      } finally {
        renameSync(away, tbs);
      }
      expect(r.code, describeResult(r)).toBe(0);
      const out = JSON.parse(r.out);
      expect(out.probe.available).toBe(false);
      expect(out.probe.reason).toMatch(
        /^Microsoft Platform Crypto Provider: LoadLibraryExW\(tbs\.dll\) failed: TPM Base Services \(tbs\.dll\) is not on this Windows \(Win32 error 126/,
      );
      expect(out.probe.reason).toContain('the windows-tpm tier is unavailable');
      expect(out.tier).toBe('encrypted-file');
      const pub = createPublicKey({ key: out.publicKey, format: 'jwk' });
      expect(
        verify('sha256', Buffer.from('without tbs'), pub, Buffer.from(out.sig, 'base64')),
      ).toBe(true);
    },
  );
});

/** Signs `message` with `alias` in a new process: the key is found again from the store alone. */
async function signInChild(store: string, alias: string, message: string): Promise<Buffer> {
  const script = `
    const { Keystore } = require(${JSON.stringify(path.resolve(__dirname, '..', '..', '..', 'dist', 'index.js'))});
    (async () => {
      const ks = await Keystore.open({ dir: process.argv[1], backend: 'windows-ksp' });
      const key = await ks.getKey(process.argv[2]);
      process.stdout.write((await key.sign(process.argv[3])).toString('base64'));
      await ks.close();
    })().catch((e) => { process.stderr.write(String(e.code) + ' ' + e.message); process.exit(1); });`;
  const r = await startNode(['-e', script, store, alias, message], {
    env: { [NCRYPT_PROVIDERS_ENV]: 'software' },
    timeoutMs: 60_000,
  }).done;
  expect(r.code, describeResult(r)).toBe(0);
  return Buffer.from(r.out, 'base64');
}

async function kspNameOf(file: string): Promise<string> {
  const record = JSON.parse(await fsp.readFile(file, 'utf8'));
  expect(record.backendData.kind).toBe('ksp-key');
  return record.backendData.name as string;
}

describe('the windows-ksp tier on a real Windows', () => {
  it.runIf(WINDOWS && !WINE)(
    'create, sign (node:crypto verifies), ECDH (equal to node:crypto), a new process, seal, delete, nothing left',
    async () => {
      process.env[NCRYPT_PROVIDERS_ENV] = 'software';
      const ks = await Keystore.open({ dir: dir!, backend: 'windows-ksp' });
      const native = nativeProvider('software');
      try {
        const d = await ks.describe();
        expect(d).toMatchObject({
          tier: 'windows-ksp',
          hardwareBacked: false,
          extractable: true,
          extractableBy: 'os-account-owner',
        });
        expect(d.warnings.join('\n')).toContain('DPAPI');

        const key = await ks.createKey('alpha');
        const message = Buffer.from('signed by the Microsoft Software KSP');
        expect(verify('sha256', message, key.publicKey, await key.sign(message))).toBe(true);
        const p1363 = await key.sign(message, { format: 'p1363' });
        expect(
          verify('sha256', message, { key: key.publicKey, dsaEncoding: 'ieee-p1363' }, p1363),
        ).toBe(true);
        const digest = createHash('sha256').update(message).digest();
        expect(
          verify('sha256', message, key.publicKey, await key.sign(digest, { prehashed: true })),
        ).toBe(true);
        expect(
          verify('sha256', Buffer.from('another'), key.publicKey, await key.sign(message)),
        ).toBe(false);

        const peer = generateKeyPairSync('ec', { namedCurve: 'P-256' });
        expect((await key.ecdh(peer.publicKey)).toString('hex')).toBe(
          diffieHellman({ privateKey: peer.privateKey, publicKey: key.publicKey }).toString('hex'),
        );

        // The key file names the provider's key; no private material is in it.
        const keyFile = path.join(dir!, 'keys', 'alpha.json');
        const name = await kspNameOf(keyFile);
        expect(name).toMatch(/^device-keystore\/alpha\/[0-9a-f]{32}$/);
        expect(
          Object.keys(JSON.parse(await fsp.readFile(keyFile, 'utf8')).backendData).sort(),
        ).toEqual(['kind', 'name']);

        const fromChild = await signInChild(dir!, 'alpha', 'from another process');
        expect(
          verify('sha256', Buffer.from('from another process'), key.publicKey, fromChild),
        ).toBe(true);

        await ks.secrets.set('token', Buffer.from('a capability token'));
        expect((await ks.secrets.get('token')).toString()).toBe('a capability token');
        const sealingName = await kspNameOf(path.join(dir!, 'sealing', 'windows-ksp.json'));

        await ks.deleteKey('alpha');
        await expectCode(() => ks.getKey('alpha'), 'E_NOT_FOUND');
        await expectCode(() => native.openKey(name), 'E_NOT_FOUND');

        // Nothing of this store is left in the provider once its sealing key goes too.
        await ks.secrets.delete('token');
        const sealing = await native.openKey(sealingName);
        await native.deleteKey(sealing.key);
        await expectCode(() => native.openKey(sealingName), 'E_NOT_FOUND');
      } finally {
        await ks.close();
        await native.close();
      }
    },
  );
});
