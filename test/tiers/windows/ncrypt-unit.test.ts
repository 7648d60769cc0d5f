/**
 * The TypeScript half of the Windows NCrypt tiers, on any OS: the status table (checked against
 * mingw-w64's winerror.h where it is installed), the key-record formats, and the backend and
 * probe logic over a scripted provider. The scripted provider is a test seam of the kind
 * macos-unit.test.ts uses: software P-256 keys (node:crypto, @noble/curves for signing a bare
 * digest) behind the addon's NcryptProvider interface, so that this file can make the provider
 * misbehave. What the real providers do is tested in test/windows-ncrypt.test.ts.
 */
import {
  createHash,
  diffieHellman,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  verify,
  type KeyObject,
} from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { p256 } from '@noble/curves/p256';
import { describe, expect, it } from 'vitest';
import { KeystoreError } from '../../../src/core/errors';
import {
  NCRYPT_STATUS_TABLE,
  isTbsMissing,
  ncryptError,
  ncryptStatusEntry,
  withNcryptErrors,
} from '../../../src/addon/ncrypt-status';
import {
  PCP_BLOB_CORRUPT_HINT,
  keyDataToJson,
  makeKeyName,
  parseKeyData,
} from '../../../src/tiers/windows/records';
import {
  WINDOWS_KSP_GUARANTEES,
  WINDOWS_TPM_GUARANTEES,
  allowedProviders,
} from '../../../src/tiers/windows/settings';
import { ncryptBackend } from '../../../src/tiers/windows/backend';
import { probeProvider } from '../../../src/tiers/windows/facts';
import { type NativeNcryptKey, type NativeNcryptProvider } from '../../../src/addon/windows';
import type { KeyRecord } from '../../../src/core/records';
import { publicKeyObjectFromRaw, rawFromPublicKeyObject } from '../../../src/crypto/p256';
import { eccPublicBlob, publicPointOf } from '../../../src/tiers/windows/key-facts';
import { caught } from '../../helpers/file';

const raw = (status: number, call = 'NCryptSignHash', domain = 'ncrypt') =>
  Object.assign(new Error(`${call} failed`), { call, domain, status, statusText: 'the text' });

describe('the NCrypt status table', () => {
  const header = '/usr/share/mingw-w64/include/winerror.h';
  it.runIf(existsSync(header))(
    "names each NTE_*, TBS_E_* and E_ACCESSDENIED status by the value mingw-w64's winerror.h gives it",
    () => {
      const text = readFileSync(header, 'utf8');
      let checked = 0;
      for (const e of NCRYPT_STATUS_TABLE) {
        if (!/^(NTE_|TBS_E_|E_ACCESSDENIED$)/.test(e.name)) continue;
        const m = new RegExp(`#define ${e.name}\\s+_HRESULT_TYPEDEF_\\((0x[0-9A-Fa-f]+)L?\\)`).exec(
          text,
        );
        expect(m, e.name).not.toBeNull();
        expect(Number(m![1]), e.name).toBe(e.status);
        checked++;
      }
      expect(checked).toBeGreaterThan(25);
    },
  );

  it('turns a raw status into its code, with the name, the hex value, the text and osStatus', () => {
    for (const e of NCRYPT_STATUS_TABLE) {
      const err = ncryptError(raw(e.status)) as KeystoreError;
      expect(err, e.name).toBeInstanceOf(KeystoreError);
      expect(err.code, e.name).toBe(e.code);
      expect(err.osStatus, e.name).toBe(e.status);
      const hex = e.status.toString(16).toUpperCase().padStart(8, '0');
      expect(err.message, e.name).toContain(
        `NCryptSignHash failed with ${e.name} (0x${hex}): the text`,
      );
      expect(err.hint, e.name).toBe(e.hint);
    }
  });

  it('decodes TPM 2.0 response codes the PCP reports as 0x80280000 | TPM_RC, and not TBS ones', () => {
    const code = (s: number) => (ncryptError(raw(s)) as KeystoreError).code;
    expect(code(0x80280921)).toBe('E_TPM_LOCKOUT');
    expect(code(0x8028098e)).toBe('E_TPM_AUTH'); // TPM_RC_AUTH_FAIL on session 1
    expect(code(0x802809a2)).toBe('E_TPM_AUTH'); // TPM_RC_BAD_AUTH on session 1
    expect(code(0x80280902)).toBe('E_TPM_OBJECT_MEMORY');
    expect(code(0x802801df)).toBe('E_CORRUPT'); // TPM_RC_INTEGRITY on parameter 1
    expect(code(0x80280101)).toBe('E_TPM'); // TPM_RC_FAILURE
    expect(ncryptStatusEntry(0x80280101)?.name).toBe('TPM_RC 0x101');
    expect(code(0x8028400f)).toBe('E_TPM_UNAVAILABLE'); // TBS_E_TPM_NOT_FOUND, from the table
    expect(code(0x8028401f)).toBe('E_WINDOWS'); // a TBS status the table does not name
  });

  it('keeps an unknown status raw as E_WINDOWS, names TBS ones, and maps the reasons the addon names', () => {
    const unknown = ncryptError(raw(0x8009ffff)) as KeystoreError;
    expect(unknown).toMatchObject({ code: 'E_WINDOWS', osStatus: 0x8009ffff });
    expect(unknown.message).toBe(
      'NCryptSignHash failed with SECURITY_STATUS (0x8009FFFF): the text',
    );
    const tbs = ncryptError(raw(0x80284fff, 'Tbsi_GetDeviceInfo', 'tbs')) as KeystoreError;
    expect(tbs.message).toBe('Tbsi_GetDeviceInfo failed with TBS_RESULT (0x80284FFF): the text');
    const noText = ncryptError(Object.assign(raw(0x80090029), { statusText: '' })) as KeystoreError;
    expect(noText.message).toMatch(
      /^NCryptSignHash failed with NTE_NOT_SUPPORTED \(0x80090029\) \(/,
    );
    const reason = (r: string) =>
      ncryptError(Object.assign(new Error('x'), { reason: r, detail: 'd', call: 'C' }));
    expect(reason('closed')).toMatchObject({ code: 'E_CLOSED' });
    expect(reason('bad-argument')).toMatchObject({
      code: 'E_INVALID_ARGUMENT',
      message: 'C failed: d',
    });
    expect(reason('unexpected-response')).toMatchObject({ code: 'E_WINDOWS' });
    const plain = new Error('not from the addon');
    expect(ncryptError(plain)).toBe(plain);
  });
});

describe('statuses read per operation and call', () => {
  const mapped = (status: number, call: string, op?: string) =>
    ncryptError(raw(status, call), op) as KeystoreError;

  it('NTE_BAD_DATA: a damaged blob on importKey, the peer key on ecdh', () => {
    expect(mapped(0x80090005, 'NCryptImportKey', 'importKey')).toMatchObject({
      code: 'E_CORRUPT',
    });
    const peer = mapped(0x80090005, 'NCryptImportKey', 'ecdh');
    expect(peer.code).toBe('E_INVALID_ARGUMENT');
    expect(peer.hint).toContain("peer's public key");
  });

  it('NTE_NOT_FOUND: a gone key on openKey, a missing provider on NCryptOpenStorageProvider', () => {
    expect(mapped(0x80090011, 'NCryptOpenKey', 'openKey')).toMatchObject({ code: 'E_NOT_FOUND' });
    expect(mapped(0x80090011, 'NCryptOpenStorageProvider', 'openKey')).toMatchObject({
      code: 'E_BACKEND_UNAVAILABLE',
      hint: 'this key storage provider is not installed or registered on this Windows',
    });
  });

  it('NTE_BAD_KEY on sign and ecdh points at the key usage, not at a damaged blob', () => {
    for (const [op, call] of [
      ['sign', 'NCryptSignHash'],
      ['ecdh', 'NCryptSecretAgreement'],
    ] as const) {
      const err = mapped(0x80090003, call, op);
      expect(err.code, op).toBe('E_WINDOWS');
      expect(err.hint, op).toContain('does not allow');
    }
    expect(mapped(0x80090003, 'NCryptImportKey', 'importKey').code).toBe('E_CORRUPT');
  });

  it('withNcryptErrors passes the method name on', async () => {
    const p = withNcryptErrors({
      ecdh: () => Promise.reject(raw(0x80090005, 'NCryptImportKey')),
      importKey: () => Promise.reject(raw(0x80090005, 'NCryptImportKey')),
    });
    expect(await caught(() => p.ecdh())).toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    expect(await caught(() => p.importKey())).toMatchObject({ code: 'E_CORRUPT' });
  });

  it('a missing tbs.dll is E_TPM_UNAVAILABLE that says so', () => {
    const err = ncryptError(
      Object.assign(new Error('x'), {
        call: 'LoadLibraryExW(tbs.dll)',
        reason: 'tbs-missing',
        detail: 'TPM Base Services (tbs.dll) is not on this Windows (Win32 error 126: not found)',
      }),
    ) as KeystoreError;
    expect(err.code).toBe('E_TPM_UNAVAILABLE');
    expect(isTbsMissing(err)).toBe(true);
    expect(err.message).toContain('LoadLibraryExW(tbs.dll) failed: TPM Base Services (tbs.dll)');
    expect(isTbsMissing(ncryptError(raw(0x8028400f, 'Tbsi_GetDeviceInfo', 'tbs')))).toBe(false);
  });

  it('names the PCP statuses a usage-policy refusal brings', () => {
    expect(ncryptStatusEntry(0x80290415)?.name).toBe('TPM_E_KEY_USAGE_POLICY_NOT_SUPPORTED');
    expect(ncryptStatusEntry(0x80290404)?.name).toBe('TPM_E_PCP_FLAG_NOT_SUPPORTED');
    expect(ncryptStatusEntry(0x80290422)?.code).toBe('E_TPM_UNAVAILABLE');
    const statuses = NCRYPT_STATUS_TABLE.map((e) => e.status);
    expect(new Set(statuses).size).toBe(statuses.length);
  });
});

describe('key records', () => {
  const record = (tier: 'windows-tpm' | 'windows-ksp', backendData: object): KeyRecord =>
    ({
      alias: 'laptop-key',
      tier,
      algorithm: 'ECDSA-P256',
      publicKey: Buffer.alloc(65, 4),
      createdAt: '2026-01-01T00:00:00.000Z',
      backendData,
    }) as KeyRecord;

  it('reads back what it writes, for both tiers', () => {
    const blob = randomBytes(300);
    expect(
      parseKeyData(record('windows-tpm', keyDataToJson({ kind: 'pcp-blob', blob })), 'f'),
    ).toEqual({ kind: 'pcp-blob', blob });
    const name = makeKeyName('laptop-key');
    expect(name).toMatch(/^device-keystore\/laptop-key\/[0-9a-f]{32}$/);
    expect(
      parseKeyData(record('windows-ksp', keyDataToJson({ kind: 'ksp-key', name })), 'f'),
    ).toEqual({ kind: 'ksp-key', name });
  });

  it('refuses what does not fit its tier or alias as E_CORRUPT', () => {
    const blob = keyDataToJson({ kind: 'pcp-blob', blob: randomBytes(32) });
    const named = keyDataToJson({ kind: 'ksp-key', name: makeKeyName('laptop-key') });
    const bad: [string, 'windows-tpm' | 'windows-ksp', object][] = [
      ['a ksp key in the tpm tier', 'windows-tpm', named],
      ['a blob in the ksp tier', 'windows-ksp', blob],
      [
        'another alias',
        'windows-ksp',
        keyDataToJson({ kind: 'ksp-key', name: makeKeyName('other') }),
      ],
      [
        'a name without the random part',
        'windows-ksp',
        { kind: 'ksp-key', name: 'device-keystore/laptop-key/' },
      ],
      ['an extra field', 'windows-tpm', { ...blob, name: 'x' }],
      ['an empty blob', 'windows-tpm', { kind: 'pcp-blob', blob: '' }],
      [
        'a huge blob',
        'windows-tpm',
        { kind: 'pcp-blob', blob: randomBytes(20_000).toString('base64url') },
      ],
      ['no kind', 'windows-tpm', { blob: blob.blob }],
    ];
    for (const [label, tier, data] of bad) {
      let err: unknown;
      try {
        parseKeyData(record(tier, data), 'the file');
      } catch (e) {
        err = e;
      }
      expect(err, label).toMatchObject({ code: 'E_CORRUPT' });
    }
  });
});

/** Software keys behind the NcryptProvider interface; `faults` make it misbehave. */
function scriptedProvider(
  faults: {
    badSignature?: boolean;
    wrongEcdh?: boolean;
    importStatus?: number;
    openStatus?: number;
    otherKeyOnLoad?: boolean;
    /** Answer with this dwMagic in the public blob (Chromium: a generic one for a P-256 key). */
    magic?: number;
    /** NCRYPT_ECC_CURVE_NAME_PROPERTY; null: the provider has none. */
    curveName?: string | null;
    /** NCryptDeleteKey of a key without a name fails with this status (a PCP may). */
    unnamedDeleteStatus?: number;
    /** NCRYPT_KEY_USAGE_PROPERTY = signing | key agreement is refused at NCryptSetProperty. */
    refuseKeyUsage?: boolean;
    /** The generic PCP policy is refused too. */
    refusePcpGeneric?: boolean;
    /** openKey reports this NCRYPT_KEY_USAGE_PROPERTY (a key stored without its usage). */
    usageOnOpen?: number;
  } = {},
) {
  const keys = new Map<object, { priv: KeyObject; pub: Buffer; name?: string }>();
  const byName = new Map<string, object>();
  const deleted: object[] = [];
  const released: object[] = [];
  const usages: (string | undefined)[] = [];
  const report = (pub: Buffer, usage = 0x6) => ({
    publicBlob: eccPublicBlob(pub, faults.magic),
    ...(faults.curveName === null ? {} : { curveName: faults.curveName ?? 'nistP256' }),
    algorithm: 'ECDH_P256',
    usage,
  });
  const make = (name?: string): NativeNcryptKey => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const key = {};
    const pub = rawFromPublicKeyObject(pair.publicKey);
    keys.set(key, { priv: pair.privateKey, pub, ...(name ? { name } : {}) });
    if (name) byName.set(name, key);
    return {
      key,
      ...report(pub),
      ...(name ? {} : { blob: Buffer.from(JSON.stringify({ pub: pub.toString('hex') })) }),
    };
  };
  const privateScalar = (k: KeyObject) => Buffer.from(k.export({ format: 'jwk' }).d!, 'base64url');
  const native: NativeNcryptProvider = {
    async createKey(name, usage) {
      usages.push(usage);
      if (usage === 'key-usage' && faults.refuseKeyUsage)
        throw raw(0x80090029, 'NCryptSetProperty');
      if (usage === 'pcp-generic' && faults.refusePcpGeneric)
        throw raw(0x80290415, 'NCryptSetProperty');
      return make(name);
    },
    async importKey(blob) {
      if (faults.importStatus) throw raw(faults.importStatus, 'NCryptImportKey');
      const pub = Buffer.from(JSON.parse(blob.toString()).pub, 'hex');
      const found = [...keys.entries()].find(([, v]) => v.pub.equals(pub));
      if (!found) throw raw(0x80090005, 'NCryptImportKey');
      return faults.otherKeyOnLoad ? make() : { key: found[0], ...report(found[1].pub) };
    },
    async openKey(name) {
      if (faults.openStatus) throw raw(faults.openStatus, 'NCryptOpenKey');
      const key = byName.get(name);
      if (!key) throw raw(0x80090016, 'NCryptOpenKey');
      return { key, ...report(keys.get(key)!.pub, faults.usageOnOpen) };
    },
    async sign(key, digest) {
      const k = keys.get(key)!;
      const sig = Buffer.from(p256.sign(digest, privateScalar(k.priv)).toCompactRawBytes());
      if (faults.badSignature) sig[10] ^= 1;
      return sig;
    },
    async ecdh(key, peer) {
      const k = keys.get(key)!;
      const jwk = {
        kty: 'EC',
        crv: 'P-256',
        x: peer.subarray(1, 33).toString('base64url'),
        y: peer.subarray(33).toString('base64url'),
      };
      const z = diffieHellman({
        privateKey: k.priv,
        publicKey: createPublicKey({ key: jwk, format: 'jwk' }),
      });
      if (faults.wrongEcdh) z[0] ^= 1;
      return z;
    },
    async deleteKey(key) {
      const k = keys.get(key);
      if (k && !k.name && faults.unnamedDeleteStatus)
        throw raw(faults.unnamedDeleteStatus, 'NCryptDeleteKey');
      if (k?.name) byName.delete(k.name);
      keys.delete(key);
      deleted.push(key);
    },
    async releaseKey(key) {
      keys.delete(key);
      released.push(key);
    },
    async tpmInfo() {
      throw raw(0x8028400f, 'Tbsi_GetDeviceInfo', 'tbs');
    },
    async close() {},
  };
  return { native: withNcryptErrors(native), keys, byName, deleted, released, usages };
}

const header = (alias: string, tier: 'windows-tpm' | 'windows-ksp') => ({
  alias,
  tier,
  algorithm: 'ECDSA-P256' as const,
  createdAt: '2026-01-01T00:00:00.000Z',
  storeId: 'AAAAAAAAAAAAAAAAAAAAAA',
});

/** The key record the store would write for a key the backend made. */
const recordOf = (
  made: { publicKey: Buffer; backendData: KeyRecord['backendData'] },
  tier: 'windows-tpm' | 'windows-ksp',
) => ({ ...header('k', tier), publicKey: made.publicKey, backendData: made.backendData });

describe('the backend over a scripted provider', () => {
  it('windows-tpm keeps only the blob: loads it again, checks the key, hashes messages', async () => {
    const p = scriptedProvider();
    const backend = ncryptBackend(p.native, WINDOWS_TPM_GUARANTEES);
    const made = await backend.generateKey(header('k', 'windows-tpm'));
    expect(made.backendData.kind).toBe('pcp-blob');
    const record = recordOf(made, 'windows-tpm');
    const handle = await backend.loadKey(record, 'k.json');
    const message = Buffer.from('a message');
    const sig = await handle.signRaw(message, false);
    expect(sig.encoding).toBe('p1363');
    const pub = publicKeyObjectFromRaw(made.publicKey);
    expect(verify('sha256', message, { key: pub, dsaEncoding: 'ieee-p1363' }, sig.bytes)).toBe(
      true,
    );
    const digest = createHash('sha256').update(message).digest();
    const pre = await handle.signRaw(digest, true);
    expect(verify('sha256', message, { key: pub, dsaEncoding: 'ieee-p1363' }, pre.bytes)).toBe(
      true,
    );
    await backend.destroyKey(record); // nothing in the provider to delete
    expect(p.deleted).toHaveLength(0);
    expect(backend.warnings().join(' ')).toContain('no PIN');
  });

  it('windows-tpm: a blob the TPM refuses, or one that loads another key, is E_CORRUPT that says it is the only copy', async () => {
    for (const faults of [{ importStatus: 0x80090005 }, { otherKeyOnLoad: true }]) {
      const p = scriptedProvider(faults);
      const backend = ncryptBackend(p.native, WINDOWS_TPM_GUARANTEES);
      const made = await backend.generateKey(header('k', 'windows-tpm'));
      const record = recordOf(made, 'windows-tpm');
      const err = await caught(() => backend.loadKey(record, 'k.json'));
      expect(err, JSON.stringify(faults)).toMatchObject({
        code: 'E_CORRUPT',
        hint: PCP_BLOB_CORRUPT_HINT,
      });
    }
    // Anything else keeps its own code: proof of damage is what E_CORRUPT promises.
    const p = scriptedProvider({ importStatus: 0x80290401 });
    const backend = ncryptBackend(p.native, WINDOWS_TPM_GUARANTEES);
    const made = await backend.generateKey(header('k', 'windows-tpm'));
    const record = recordOf(made, 'windows-tpm');
    expect(await caught(() => backend.loadKey(record, 'k.json'))).toMatchObject({
      code: 'E_TPM_UNAVAILABLE',
      osStatus: 0x80290401,
    });
  });

  it('windows-ksp names its key, says when it is gone, and deletes it from the provider', async () => {
    const p = scriptedProvider();
    const backend = ncryptBackend(p.native, WINDOWS_KSP_GUARANTEES);
    const made = await backend.generateKey(header('k', 'windows-ksp'));
    const name = made.backendData.name as string;
    expect(p.byName.has(name)).toBe(true);
    const record = recordOf(made, 'windows-ksp');
    const peer = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const handle = await backend.loadKey(record, 'k.json');
    const pub = publicKeyObjectFromRaw(made.publicKey);
    expect(await handle.ecdh(rawFromPublicKeyObject(peer.publicKey))).toEqual(
      diffieHellman({ privateKey: peer.privateKey, publicKey: pub }),
    );
    await backend.destroyKey(record);
    expect(p.byName.has(name)).toBe(false);
    await backend.destroyKey(record); // already gone: not an error
    const gone = await caught(() => backend.loadKey(record, 'k.json'));
    expect(gone).toMatchObject({ code: 'E_CORRUPT' });
    expect(gone.message).toContain('is missing from the Microsoft Software Key Storage Provider');
    expect(backend.warnings().join(' ')).toContain('DPAPI');
    // A key that may not be opened is not "gone": destroyKey reports it.
    const denied = ncryptBackend(
      scriptedProvider({ openStatus: 0x80090010 }).native,
      WINDOWS_KSP_GUARANTEES,
    );
    expect(await caught(() => denied.destroyKey(record))).toMatchObject({ code: 'E_PERMISSION' });
  });

  it('0.1.0 had no Windows tiers, so a legacy secret of theirs is E_CORRUPT', async () => {
    const backend = ncryptBackend(scriptedProvider().native, WINDOWS_KSP_GUARANTEES);
    const err = await caught(() =>
      backend.unsealLegacySecret(
        { name: 's', tier: 'windows-ksp', createdAt: '', backendData: {} },
        's.json',
      ),
    );
    expect(err).toMatchObject({ code: 'E_CORRUPT' });
  });
});

describe('the probe', () => {
  it('passes when the throwaway key signs and agrees, and leaves nothing behind', async () => {
    for (const kind of ['platform', 'software'] as const) {
      const p = scriptedProvider();
      expect(await probeProvider(p.native, kind)).toEqual({
        ok: true,
        usage: 'key-usage',
        key: {
          magic: 'BCRYPT_ECDH_PUBLIC_P256_MAGIC (0x314B4345)',
          curveName: 'nistP256',
          algorithm: 'ECDH_P256',
          usage: 6,
        },
        attempts: [{ usage: 'key-usage' }],
      });
      expect(p.keys.size).toBe(0);
      // The named KSP key is deleted; the PCP key, which has no name, is only freed.
      expect(p.deleted).toHaveLength(kind === 'software' ? 1 : 0);
      expect(p.released).toHaveLength(kind === 'platform' ? 1 : 0);
    }
  });

  it('frees, never deletes, the PCP key: a PCP that refuses to delete an unnamed key still passes', async () => {
    const p = scriptedProvider({ unnamedDeleteStatus: 0x80090029 });
    expect(await probeProvider(p.native, 'platform')).toMatchObject({ ok: true });
    expect(p.released).toHaveLength(1);
    // A failed probe frees its key too.
    const bad = scriptedProvider({ unnamedDeleteStatus: 0x80090029, wrongEcdh: true });
    expect(await probeProvider(bad.native, 'platform')).toMatchObject({ ok: false });
    expect(bad.keys.size).toBe(0);
  });

  it('accepts a generic dwMagic when the curve property says nistP256, and says so', async () => {
    for (const magic of [0x50444345, 0x504b4345]) {
      const p = scriptedProvider({ magic });
      const r = await probeProvider(p.native, 'platform');
      expect(r, magic.toString(16)).toMatchObject({ ok: true });
      expect((r as { key: { magic: string } }).key.magic).toMatch(/_PUBLIC_GENERIC_MAGIC \(0x50/);
      // The backend takes such keys too, and loads them again.
      const backend = ncryptBackend(p.native, WINDOWS_TPM_GUARANTEES);
      const made = await backend.generateKey(header('k', 'windows-tpm'));
      const record = recordOf(made, 'windows-tpm');
      await backend.loadKey(record, 'k.json');
    }
  });

  it('refuses a generic dwMagic on another curve or without one, and unknown magics', async () => {
    const cases = [
      [{ magic: 0x50444345, curveName: 'nistP384' }, 'curve is "nistP384", not nistP256'],
      [{ magic: 0x504b4345, curveName: null }, 'curve is not reported'],
      [{ magic: 0x32534345 }, 'an unknown magic (0x32534345)'],
    ] as const;
    for (const [faults, text] of cases) {
      const p = scriptedProvider(faults);
      const r = await probeProvider(p.native, 'software');
      expect(r, text).toMatchObject({ ok: false, step: 'read its public key' });
      const err = (r as { error: KeystoreError }).error;
      expect(err.code).toBe('E_WINDOWS');
      expect(err.message).toContain(text);
      expect(p.keys.size).toBe(0);
    }
    const point = rawFromPublicKeyObject(
      generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey,
    );
    expect(publicPointOf({ publicBlob: eccPublicBlob(point) })).toEqual(point);
    const short = eccPublicBlob(point).subarray(0, 40);
    expect(() => publicPointOf({ publicBlob: short })).toThrow(/cbKey is 32 and the blob 40 bytes/);
    const offCurve = eccPublicBlob(point);
    offCurve[offCurve.length - 1]! ^= 1;
    expect(() => publicPointOf({ publicBlob: offCurve })).toThrow(/not a point on P-256/);
  });

  it('PCP: when the key usage property is refused, the generic usage policy is tried, and reported', async () => {
    const p = scriptedProvider({ refuseKeyUsage: true });
    const r = await probeProvider(p.native, 'platform');
    expect(r).toMatchObject({ ok: true, usage: 'pcp-generic' });
    expect(r.attempts.map((a) => [a.usage, a.step])).toEqual([
      ['key-usage', 'make a throwaway P-256 key'],
      ['pcp-generic', undefined],
    ]);
    // The backend then makes its keys with the policy that held.
    const backend = ncryptBackend(p.native, WINDOWS_TPM_GUARANTEES, 'pcp-generic');
    await backend.generateKey(header('k', 'windows-tpm'));
    expect(p.usages.at(-1)).toBe('pcp-generic');
    // The software KSP has no such policy: its probe fails with the first reason.
    const ksp = scriptedProvider({ refuseKeyUsage: true });
    const k = await probeProvider(ksp.native, 'software');
    expect(k).toMatchObject({ ok: false, step: 'make a throwaway P-256 key' });
    expect(ksp.usages).toEqual(['key-usage']);
    // Both refused: unavailable, with both reasons.
    const both = scriptedProvider({ refuseKeyUsage: true, refusePcpGeneric: true });
    const b = await probeProvider(both.native, 'platform');
    expect(b).toMatchObject({ ok: false });
    expect(b.attempts.map((a) => (a.error as KeystoreError).osStatus)).toEqual([
      0x80090029, 0x80290415,
    ]);
    expect((b.attempts[1]!.error as KeystoreError).message).toContain(
      'TPM_E_KEY_USAGE_POLICY_NOT_SUPPORTED',
    );
  });

  it('a KSP key that comes back without its usage (stored without NCRYPT_PERSIST_FLAG) is refused by name', async () => {
    const p = scriptedProvider({ usageOnOpen: 0x4 });
    const backend = ncryptBackend(p.native, WINDOWS_KSP_GUARANTEES);
    const made = await backend.generateKey(header('k', 'windows-ksp'));
    const record = recordOf(made, 'windows-ksp');
    const err = await caught(() => backend.loadKey(record, 'k.json'));
    expect(err).toMatchObject({ code: 'E_WINDOWS' });
    expect(err.message).toContain('allows usage 0x4, not signing and key agreement (0x6)');
  });

  it('names the step that failed, and still deletes the key', async () => {
    const cases = [
      [{ badSignature: true }, 'sign with it', 'does not verify with node:crypto'],
      [{ wrongEcdh: true }, 'run ECDH with it', "differs from node:crypto's"],
    ] as const;
    for (const [faults, step, text] of cases) {
      const p = scriptedProvider(faults);
      const r = await probeProvider(p.native, 'software');
      expect(r).toMatchObject({ ok: false, step });
      expect(String((r as { error: Error }).error.message)).toContain(text);
      expect(p.keys.size, step).toBe(0);
    }
  });

  it('DEVICE_KEYSTORE_NCRYPT_PROVIDERS: both by default, a list, none, or a refusal', () => {
    // The default comes from the environment, which the Windows leg sets to `none`.
    const saved = process.env.DEVICE_KEYSTORE_NCRYPT_PROVIDERS;
    delete process.env.DEVICE_KEYSTORE_NCRYPT_PROVIDERS;
    try {
      expect(allowedProviders()).toEqual({ ok: true, kinds: ['platform', 'software'] });
    } finally {
      if (saved !== undefined) process.env.DEVICE_KEYSTORE_NCRYPT_PROVIDERS = saved;
    }
    expect(allowedProviders(' ')).toEqual({ ok: true, kinds: ['platform', 'software'] });
    expect(allowedProviders('software')).toEqual({ ok: true, kinds: ['software'] });
    expect(allowedProviders('platform, software')).toEqual({
      ok: true,
      kinds: ['platform', 'software'],
    });
    expect(allowedProviders('none')).toEqual({ ok: true, kinds: [] });
    expect(allowedProviders('tpm')).toMatchObject({ ok: false });
    expect(allowedProviders('none,software')).toMatchObject({ ok: false });
  });
});

describe('the Windows build (binding.gyp and the cross-build read as text)', () => {
  const root = path.join(__dirname, '..', '..', '..') + path.sep;
  const gyp = JSON.parse(readFileSync(`${root}binding.gyp`, 'utf8').replace(/#.*$/gm, ''));
  const target = gyp.targets[0];
  const win = target.conditions.find(([c]: [string]) => /OS==["']win["']/.test(c))[1];

  it('MSVC keeps C++ exceptions on (_HAS_EXCEPTIONS=1, as node-addon-api except.gypi sets it)', () => {
    expect(win.defines).toContain('_HAS_EXCEPTIONS=1');
    expect(target.defines).toContain('NAPI_CPP_EXCEPTIONS');
    // Any C++ exception out of a JS call becomes a JS error, not a terminated process.
    expect(target.defines).toContain('NODE_ADDON_API_CPP_EXCEPTIONS_ALL');
  });

  it('does not import tbs.dll: it is loaded at run time (win_ncrypt.cc)', () => {
    expect(win.libraries).not.toContain('-ltbs');
    expect(readFileSync(`${root}scripts/windows/build-addon.sh`, 'utf8')).not.toMatch(/-ltbs\b/);
    expect(readFileSync(`${root}native/windows/win_ncrypt.cc`, 'utf8')).toContain(
      'LoadLibraryExW(L"tbs.dll", nullptr, LOAD_LIBRARY_SEARCH_SYSTEM32)',
    );
  });
});
