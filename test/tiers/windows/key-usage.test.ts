/**
 * A certifying key's usage on the Windows tiers, bound to the key and not only to its record:
 * a PCP certifying key is made sign-only (NCRYPT_KEY_USAGE_PROPERTY = signing, or on a PCP that
 * refuses that property NCRYPT_PCP_SIGNATURE_KEY), a Software KSP certifying key is also named
 * as one, and loading reads the usage back from the key. Over a scripted provider, without
 * Windows: the native side is compile- and link-checked only (npm run check:windows).
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Keystore } from '../../../src/index';
import { setTierProvidersForTesting } from '../../../src/tiers/detect';
import { encryptedFileTier } from '../../../src/tiers/file/provider';
import type { TierProvider } from '../../../src/tiers/tier';
import { readKeyRecord, writeKeyRecord } from '../../../src/store/key-records';
import { certifyingKeyFile, keyFile, storePaths } from '../../../src/store/paths';
import { ncryptBackend } from '../../../src/tiers/windows/backend';
import { nameUsage } from '../../../src/tiers/windows/records';
import { usageOfKey, eccPublicBlob } from '../../../src/tiers/windows/key-facts';
import {
  WINDOWS_KSP_GUARANTEES,
  WINDOWS_TPM_GUARANTEES,
} from '../../../src/tiers/windows/settings';
import { PCP_BLOB_CORRUPT_HINT } from '../../../src/tiers/windows/records';
import {
  type NativeNcryptProvider,
  type NcryptCreateUsage,
  type NcryptKeyReport,
} from '../../../src/addon/windows';
import { withNcryptErrors } from '../../../src/addon/ncrypt-status';
import { rawFromPublicKeyObject } from '../../../src/crypto/p256';
import { caught, expectCode, makeTempDir, removeDir } from '../../helpers/file';
import { ROOT } from '../../helpers/common';
import { flipped, recordOf, usageHeader } from '../../helpers/key-usage';

/** What each policy makes a provider report, as the PCP and the KSP do (see `reports`). */
const REPORTED: Record<NcryptCreateUsage, Pick<NcryptKeyReport, 'usage' | 'pcpUsagePolicy'>> = {
  'key-usage': { usage: 0x6 },
  'sign-only': { usage: 0x2 },
  'pcp-generic': { pcpUsagePolicy: 0x3 },
  'pcp-signature': { pcpUsagePolicy: 0x1 },
};

/**
 * A provider that keeps its keys' usage as it was set and reports it back, as the key's own
 * property. `reports`: 'as-set' (default), 'nothing' (a provider that answers no usage
 * property), or 'ignores-sign-only' (one that takes the sign-only policy and makes a general key).
 */
function scripted(reports: 'as-set' | 'nothing' | 'ignores-sign-only' = 'as-set') {
  const keys = new Map<object, { pub: Buffer; name?: string; usage: NcryptCreateUsage }>();
  const byBlob = new Map<string, object>();
  const byName = new Map<string, object>();
  const freed: object[] = [];
  const created: (NcryptCreateUsage | undefined)[] = [];
  const counts = { signed: 0 };
  const view = (key: object) => {
    const k = keys.get(key)!;
    const usage =
      reports === 'ignores-sign-only' && k.usage === 'sign-only' ? 'key-usage' : k.usage;
    return {
      key,
      publicBlob: eccPublicBlob(k.pub),
      curveName: 'nistP256',
      ...(reports === 'nothing' ? {} : REPORTED[usage]),
      ...(k.name ? { name: k.name } : {}),
    };
  };
  const native = {
    async createKey(name?: string, usage: NcryptCreateUsage = 'key-usage') {
      created.push(usage);
      const key = {};
      const pub = rawFromPublicKeyObject(
        generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey,
      );
      keys.set(key, { pub, usage, ...(name ? { name } : {}) });
      if (name) {
        byName.set(name, key);
        return view(key);
      }
      const blob = randomBytes(40);
      byBlob.set(blob.toString('hex'), key);
      return { ...view(key), blob };
    },
    async importKey(blob: Buffer) {
      const key = byBlob.get(blob.toString('hex'));
      if (!key) throw rawErr(0x80090005, 'NCryptImportKey');
      return view(key);
    },
    async openKey(name: string) {
      const key = byName.get(name);
      if (!key) throw rawErr(0x80090016, 'NCryptOpenKey');
      return view(key);
    },
    async sign() {
      counts.signed++;
      throw new Error('no test here signs');
    },
    async releaseKey(key: object) {
      freed.push(key);
    },
    async deleteKey(key: object) {
      freed.push(key);
      byName.delete(keys.get(key)?.name ?? '');
    },
    async close() {},
  } as unknown as NativeNcryptProvider;
  return {
    native: withNcryptErrors(native),
    created,
    freed,
    get signed() {
      return counts.signed;
    },
  };
}

function rawErr(status: number, call: string) {
  return Object.assign(new Error(`${call} failed`), {
    call,
    domain: 'ncrypt',
    status,
    statusText: 'the text',
  });
}

const header = usageHeader;

describe('windows-tpm (the Platform Crypto Provider): a certifying key may only sign', () => {
  for (const policy of ['key-usage', 'pcp-generic'] as const) {
    it(`with the ${policy} policy: made sign-only, and a record edited to general is E_CORRUPT`, async () => {
      const p = scripted();
      const backend = ncryptBackend(p.native, WINDOWS_TPM_GUARANTEES, policy);
      const h = header('windows-tpm', 'certify');
      const record = recordOf(h, await backend.generateKey(h));
      expect(p.created).toEqual([policy === 'key-usage' ? 'sign-only' : 'pcp-signature']);
      await backend.loadKey(record, 'certifying/k.json');
      const err = await caught(() => backend.loadKey(flipped(record), 'certifying/k.json'));
      expect(err).toMatchObject({
        code: 'E_CORRUPT',
        path: 'certifying/k.json',
        hint: PCP_BLOB_CORRUPT_HINT,
      });
      expect(err.message).toContain(
        'the record says the key is for general use, but the TPM key (usage',
      );
      // General keys keep the policy that lets them sign and agree.
      const g = header('windows-tpm');
      await backend.loadKey(recordOf(g, await backend.generateKey(g)), 'keys/k.json');
      expect(p.created.at(-1)).toBe(policy);
    });
  }

  it('a certifying record made before the usage was bound (a sign-and-agree key) still loads', async () => {
    // What device-keystore 0.2.0 made: the certifying key with the general policy. Its record is
    // what says it certifies; the same holds for a general key's record edited to certify,
    // which cannot be told from it (docs/delegation.md, "Key usage").
    const p = scripted();
    const warnings: string[] = [];
    const backend = ncryptBackend(p.native, WINDOWS_TPM_GUARANTEES, 'key-usage', (m) =>
      warnings.push(m),
    );
    const g = header('windows-tpm');
    const old = flipped(recordOf(g, await backend.generateKey(g)));
    expect(old.usage).toBe('certify');
    await backend.loadKey(old, 'certifying/k.json');
    await backend.loadKey(old, 'certifying/k.json');
    expect(warnings).toEqual([
      expect.stringContaining(
        'certifying/k.json: only its record says this is a certifying key, not the TPM key (usage NCRYPT_KEY_USAGE_PROPERTY 0x6) (a certifying key made by device-keystore 0.2.0)',
      ),
    ]);
    expect(backend.warnings()).toContain(warnings[0]);
  });

  it('a PCP that reports no usage, or ignores sign-only, leaves the record to say it, and warns', async () => {
    const silent = scripted('nothing');
    const warnings: string[] = [];
    const b = ncryptBackend(silent.native, WINDOWS_TPM_GUARANTEES, 'key-usage', (m) =>
      warnings.push(m),
    );
    const h = header('windows-tpm', 'certify');
    const record = recordOf(h, await b.generateKey(h));
    await b.loadKey(record, 'certifying/k.json');
    await b.loadKey(flipped(record), 'keys/k.json');
    expect(warnings).toEqual([
      expect.stringContaining('the new certifying key of "k": only its record says'),
      expect.stringContaining(
        'not the TPM key (usage not reported) (the provider reports no usage for the key)',
      ),
    ]);

    // A provider that answers the sign-only policy with a key that can still agree: the key is
    // kept (refusing would stop init there), bound by its record only, and both its creation
    // and its loads say so.
    const lax = scripted('ignores-sign-only');
    const laxWarnings: string[] = [];
    const lb = ncryptBackend(lax.native, WINDOWS_TPM_GUARANTEES, 'key-usage', (m) =>
      laxWarnings.push(m),
    );
    const laxRecord = recordOf(h, await lb.generateKey(h));
    await lb.loadKey(laxRecord, 'certifying/k.json');
    expect(laxWarnings).toEqual([
      expect.stringContaining(
        'the new certifying key of "k": only its record says this is a certifying key, not the Platform Crypto Provider, which reports usage NCRYPT_KEY_USAGE_PROPERTY 0x6 for a key made sign-only',
      ),
      expect.stringContaining('certifying/k.json: only its record says'),
    ]);
  });
});

describe('windows-ksp (the Software KSP): a certifying key is named as one and may only sign', () => {
  it('the name and the usage carry it; a record edited to general is E_CORRUPT', async () => {
    const p = scripted();
    const backend = ncryptBackend(p.native, WINDOWS_KSP_GUARANTEES);
    const h = header('windows-ksp', 'certify');
    const made = await backend.generateKey(h);
    const name = made.backendData.name as string;
    expect(name).toMatch(/^device-keystore\/certifying-key\/k\/[0-9a-f]{32}$/);
    expect(nameUsage(name)).toBe('certify');
    expect(p.created).toEqual(['sign-only']);
    const record = recordOf(h, made);
    await backend.loadKey(record, 'certifying/k.json');
    const err = await caught(() => backend.loadKey(flipped(record), 'keys/k.json'));
    expect(err).toMatchObject({ code: 'E_CORRUPT', path: 'keys/k.json' });
    expect(err.message).toContain(`but its key's name (${name}) says it is a certifying key`);
    // Naming it as a general key names another key, which the provider does not have.
    const renamed = {
      ...flipped(record),
      backendData: { kind: 'ksp-key', name: name.replace('certifying-key/', '') },
    };
    const gone = await caught(() => backend.loadKey(renamed, 'keys/k.json'));
    expect(gone).toMatchObject({ code: 'E_CORRUPT' });
    expect(gone.message).toContain('is missing from the Microsoft Software Key Storage Provider');
  });

  it('general keys keep their names; a 0.2.0 certifying record (a general name) still loads', async () => {
    const p = scripted();
    const backend = ncryptBackend(p.native, WINDOWS_KSP_GUARANTEES);
    const g = header('windows-ksp');
    const made = await backend.generateKey(g);
    expect(made.backendData.name).toMatch(/^device-keystore\/k\/[0-9a-f]{32}$/);
    expect(nameUsage(made.backendData.name as string)).toBe('general');
    await backend.loadKey(flipped(recordOf(g, made)), 'certifying/k.json');
  });

  it('an alias named like the marker is still a general key', () => {
    expect(nameUsage(`device-keystore/certifying-key/${'0'.repeat(32)}`)).toBe('general');
    expect(nameUsage(`device-keystore/certifying-key/x/${'0'.repeat(32)}`)).toBe('certify');
    expect(nameUsage('device-keystore/x')).toBeUndefined();
  });
});

describe("a key's usage from its reported properties", () => {
  it('general when any lets it agree or decrypt, certify when it only signs, else unknown', () => {
    const blob = eccPublicBlob(Buffer.alloc(65, 4));
    const of = (r: Partial<NcryptKeyReport>) => usageOfKey({ publicBlob: blob, ...r });
    expect(of({ usage: 0x6 })).toBe('general');
    expect(of({ usage: 0x3 })).toBe('general');
    expect(of({ usage: 0x2 })).toBe('certify');
    expect(of({ pcpUsagePolicy: 0x3 })).toBe('general');
    expect(of({ pcpUsagePolicy: 0x1 })).toBe('certify');
    expect(of({ usage: 0x2, pcpUsagePolicy: 0x3 })).toBe('general');
    expect(of({})).toBeUndefined();
    expect(of({ usage: 0 })).toBeUndefined();
  });
});

/** A windows-tpm tier over the scripted provider `p`, for setTierProvidersForTesting. */
function scriptedTier(p: ReturnType<typeof scripted>): TierProvider {
  return {
    ...WINDOWS_TPM_GUARANTEES,
    probe: async () => ({ available: true, detail: 'scripted' }),
    open: async () => ncryptBackend(p.native, WINDOWS_TPM_GUARANTEES),
  };
}

describe('through a store on a scripted windows-tpm: an edited record is refused before any signature', () => {
  it('a certifying record moved to keys/ as general, and a general record moved to certifying/, are E_CORRUPT', async () => {
    const dir = await makeTempDir('win-usage');
    const p = scripted();
    const restore = setTierProvidersForTesting([scriptedTier(p), encryptedFileTier]);
    const open = () => Keystore.open({ dir, backend: 'windows-tpm' });
    try {
      const ks = await open();
      const paths = storePaths(dir);
      try {
        const key = await ks.createKey('a');
        expect((await key.certifyingKey()).usage).toBe('certify');
        expect(p.created).toEqual(['key-usage', 'sign-only']);
      } finally {
        await ks.close();
      }
      const certifying = await readKeyRecord(certifyingKeyFile(paths, 'a'), 'a');
      const general = await readKeyRecord(keyFile(paths, 'a'), 'a');
      // certify -> general: the certifying key as a general key "b", to sign caller data.
      const { usage: _dropped, ...asGeneral } = certifying;
      await writeKeyRecord(keyFile(paths, 'b'), { ...asGeneral, alias: 'b' });
      // general -> certify: the general key as "a"'s certifying key, to sign certificates.
      await writeKeyRecord(certifyingKeyFile(paths, 'a'), { ...general, usage: 'certify' });
      const again = await open();
      try {
        const b = await expectCode(() => again.getKey('b'), 'E_CORRUPT');
        expect(b.path).toBe(keyFile(paths, 'b'));
        const a = await again.getKey('a');
        const c = await expectCode(() => a.certifyingKey(), 'E_CORRUPT');
        expect(c.path).toBe(certifyingKeyFile(paths, 'a'));
        expect(c.message).toContain(
          `names the key of ${keyFile(paths, 'a')}, which is a general key`,
        );
        await expectCode(() => a.certificate(), 'E_CORRUPT');
        expect(p.signed).toBe(0);
      } finally {
        await again.close();
      }
    } finally {
      restore();
      await removeDir(dir);
    }
  });
});

describe('the native side, read as text (npm run check:windows compiles and links it)', () => {
  const src = () => readFileSync(path.join(ROOT, 'native', 'windows', 'win_ncrypt.cc'), 'utf8');
  it('makes certifying keys sign-only, and reads both usage properties and the name back', () => {
    const s = src();
    expect(s).toMatch(
      /case UsagePolicy::kSignOnly:\s*st = SetDword\(h, NCRYPT_KEY_USAGE_PROPERTY, NCRYPT_ALLOW_SIGNING_FLAG, persist\);/,
    );
    expect(s).toMatch(
      /case UsagePolicy::kPcpSignature:\s*st = SetDword\(h, NCRYPT_PCP_KEY_USAGE_POLICY_PROPERTY, NCRYPT_PCP_SIGNATURE_KEY, 0\);/,
    );
    const finish = s.slice(
      s.indexOf('Status Finish('),
      s.indexOf('\n}\n', s.indexOf('Status Finish(')),
    );
    expect(finish).toContain('DwordProperty(key->get(), NCRYPT_KEY_USAGE_PROPERTY, &out->usage)');
    expect(finish).toMatch(
      /DwordProperty\(key->get\(\), NCRYPT_PCP_KEY_USAGE_POLICY_PROPERTY,\s*&out->pcpPolicy\)/,
    );
    expect(finish).toContain('StringProperty(key->get(), NCRYPT_NAME_PROPERTY)');
  });
});
