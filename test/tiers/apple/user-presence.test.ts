/**
 * createKey's userPresence on the secure-enclave tier, without a Mac: the option's checks, what
 * reaches the addon (the SecAccessControl choice), the record and describe(), and the
 * LocalAuthentication statuses. The native side is compile- and link-checked only
 * (npm run check:macos); no Mac has run it.
 */
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Keystore } from '../../../src/index';
import { SE_GUARANTEES, KEYCHAIN_GUARANTEES } from '../../../src/tiers/apple/settings';
import { keyDataToJson, parseKeyData } from '../../../src/tiers/apple/records';
import { macBackend } from '../../../src/tiers/apple/backend';
import { type NativeKeySpec, type NativeMacSecurity } from '../../../src/addon/apple';
import { LOCAL_AUTHENTICATION_DOMAIN, macosError, statusEntry } from '../../../src/addon/osstatus';
import type { BackendContext } from '../../../src/tiers/tier';
import type { KeyRecord } from '../../../src/core/records';
import { KeystoreError } from '../../../src/core/errors';
import { setTierProvidersForTesting } from '../../../src/tiers/detect';
import type { TierProvider } from '../../../src/tiers/tier';
import { macKeyGuarantees, userPresenceOption } from '../../../src/tiers/apple/user-presence';
import { expectCode, makeTempDir, removeDir } from '../../helpers/api';
import { rewriteRecord } from '../../helpers/tpm';
import { x963 } from '../../helpers/key-usage';

/** A NativeMacSecurity that makes keys and records every spec it is given. */
function fakeMac() {
  const specs: NativeKeySpec[] = [];
  const native = {
    hostInfo: async () => ({ entitled: false, accessGroups: [] }),
    createKey: async (spec: NativeKeySpec) => {
      specs.push(spec);
      return { key: {}, publicKey: x963(), blob: Buffer.alloc(64, 7) };
    },
  } as unknown as NativeMacSecurity;
  return { native, specs };
}

const ctx = { storeDir: '/store', warn: () => {} } as unknown as BackendContext;
const header = {
  alias: 'k',
  tier: 'secure-enclave' as const,
  algorithm: 'ECDSA-P256' as const,
  createdAt: new Date(0).toISOString(),
};

describe('the userPresence option', () => {
  it('takes biometry and biometry-or-passcode; none and undefined are a plain key', () => {
    expect(userPresenceOption('biometry')).toBe('biometry');
    expect(userPresenceOption('biometry-or-passcode')).toBe('biometry-or-passcode');
    expect(userPresenceOption(undefined)).toBeUndefined();
    expect(userPresenceOption('none')).toBeUndefined();
  });

  it('refuses anything else with E_INVALID_ARGUMENT and a hint', async () => {
    for (const bad of ['any', 'Biometry', '', 1, true, {}, null]) {
      const err = await expectCode(() => userPresenceOption(bad), 'E_INVALID_ARGUMENT');
      expect(err.hint, String(bad)).toBeTruthy();
    }
    const pin = await expectCode(() => userPresenceOption('pin'), 'E_INVALID_ARGUMENT');
    expect(pin.message).toContain('{ pin }');
  });

  it('is refused by createKey where the tier cannot give it, with pin, and by getKey', async () => {
    const dir = await makeTempDir('presence');
    const ks = await Keystore.open({ dir, backend: 'encrypted-file', passphrase: 'p' });
    try {
      const err = await expectCode(
        () => ks.createKey('a', { userPresence: 'biometry' }),
        'E_INVALID_ARGUMENT',
      );
      expect(err.message).toContain('encrypted-file');
      expect(err.hint).toContain('secure-enclave');
      await expectCode(
        () => ks.createKey('b', { userPresence: 'biometry', pin: '1234' }),
        'E_INVALID_ARGUMENT',
      );
      await expectCode(
        () => ks.createKey('c', { userPresence: 'face' as never }),
        'E_INVALID_ARGUMENT',
      );
      await ks.createKey('d', { userPresence: 'none' });
      await expectCode(
        () => ks.getKey('d', { userPresence: 'biometry' } as never),
        'E_INVALID_ARGUMENT',
      );
      expect((await ks.describe()).keys.map((k) => [k.alias, k.userPresence])).toEqual([
        ['d', 'none'],
      ]);
    } finally {
      await ks.close();
      await removeDir(dir);
    }
  });
});

describe('a Secure Enclave key made with userPresence', () => {
  it('asks the addon for that SecAccessControl, records it, and reports it', async () => {
    for (const presence of ['biometry', 'biometry-or-passcode'] as const) {
      const mac = fakeMac();
      const backend = macBackend(ctx, mac.native, SE_GUARANTEES);
      expect(backend.promptKeys).toBe(true);
      const made = await backend.generateKey(header, { userPresence: presence });
      expect(mac.specs[0]).toMatchObject({ kind: 'se-blob', userPresence: presence });
      expect(made.backendData.userPresence).toBe(presence);
      expect(made.handle.userPresence).toBe(presence);
      const record = { ...header, publicKey: x963(), backendData: made.backendData } as KeyRecord;
      expect(parseKeyData(record, 'f')).toMatchObject({ userPresence: presence });
      expect(macKeyGuarantees(SE_GUARANTEES, record).userPresence).toBe(presence);
    }
    // Without the option: no flag reaches the addon, and the record has no field.
    const mac = fakeMac();
    const plain = await macBackend(ctx, mac.native, SE_GUARANTEES).generateKey(header);
    expect(mac.specs[0]!.userPresence).toBeUndefined();
    expect(plain.backendData).not.toHaveProperty('userPresence');
    expect(plain.handle.userPresence).toBeUndefined();
  });

  it('is refused by the keychain tier (a file keychain takes no SecAccessControl prompt)', async () => {
    const mac = fakeMac();
    const backend = macBackend(ctx, mac.native, KEYCHAIN_GUARANTEES);
    expect(backend.promptKeys).toBe(false);
    await expectCode(
      () => backend.generateKey({ ...header, tier: 'keychain' }, { userPresence: 'biometry' }),
      'E_INVALID_ARGUMENT',
    );
    expect(mac.specs).toEqual([]);
  });

  it('a record with a userPresence we never write is E_CORRUPT', async () => {
    const backendData = {
      ...keyDataToJson({
        kind: 'se-blob',
        blob: Buffer.alloc(8, 1),
        accessibility: 'when-unlocked',
      }),
      userPresence: 'face-id',
    };
    const record = { ...header, publicKey: x963(), backendData } as KeyRecord;
    await expectCode(() => parseKeyData(record, 'f'), 'E_CORRUPT');
    // A listing does not claim a prompt it cannot read.
    expect(macKeyGuarantees(SE_GUARANTEES, record).userPresence).toBeUndefined();
  });
});

describe('LocalAuthentication statuses of a prompted key', () => {
  const cases: [number, string, string][] = [
    [-2, 'LAErrorUserCancel', 'E_USER_CANCELED'],
    [-1, 'LAErrorAuthenticationFailed', 'E_AUTH_FAILED'],
    [-4, 'LAErrorSystemCancel', 'E_USER_CANCELED'],
    [-5, 'LAErrorPasscodeNotSet', 'E_USER_PRESENCE_UNAVAILABLE'],
    [-6, 'LAErrorBiometryNotAvailable', 'E_USER_PRESENCE_UNAVAILABLE'],
    [-7, 'LAErrorBiometryNotEnrolled', 'E_USER_PRESENCE_UNAVAILABLE'],
    [-8, 'LAErrorBiometryLockout', 'E_AUTH_FAILED'],
    [-1004, 'LAErrorNotInteractive', 'E_INTERACTION_NOT_ALLOWED'],
  ];

  it.each(cases)('%i %s is %s, with the raw status kept', (status, name, code) => {
    expect(statusEntry(status, LOCAL_AUTHENTICATION_DOMAIN)?.name).toBe(name);
    const err = macosError(
      Object.assign(new Error('raw'), {
        call: 'SecKeyCreateSignature',
        domain: LOCAL_AUTHENTICATION_DOMAIN,
        status,
        statusText: 'the OS says why',
      }),
    ) as KeystoreError;
    expect(err.code).toBe(code);
    expect(err.message).toContain(`(${LOCAL_AUTHENTICATION_DOMAIN} error ${status})`);
    expect(err.hint).toBeTruthy();
  });
});

describe('a key that asks the user: its certifying key asks the same (issue 18)', () => {
  let restore: (() => void) | undefined;
  afterEach(() => {
    restore?.();
    restore = undefined;
  });

  /** A Secure Enclave tier over a fake addon that remembers the keys it made, by blob. */
  function fakeSecureEnclave() {
    const specs: NativeKeySpec[] = [];
    const made = new Map<string, Buffer>();
    const native = {
      hostInfo: async () => ({ entitled: false, accessGroups: [] }),
      createKey: async (spec: NativeKeySpec) => {
        specs.push(spec);
        const [publicKey, blob] = [x963(), randomBytes(64)];
        made.set(blob.toString('hex'), publicKey);
        return { key: {}, publicKey, blob };
      },
      rebuildKey: async (blob: Buffer) => ({ key: {}, publicKey: made.get(blob.toString('hex')) }),
      close: async () => {},
    } as unknown as NativeMacSecurity;
    const tier: TierProvider = {
      ...SE_GUARANTEES,
      keyGuarantees: (record) => macKeyGuarantees(SE_GUARANTEES, record),
      probe: async () => ({ available: true, detail: 'a fake Secure Enclave' }),
      open: async (c) => macBackend(c, native, SE_GUARANTEES),
    };
    return { tier, specs };
  }

  it('certifyingKey() makes it with the same SecAccessControl; it loads again as such', async () => {
    for (const presence of ['biometry', 'biometry-or-passcode'] as const) {
      const se = fakeSecureEnclave();
      restore = setTierProvidersForTesting([se.tier]);
      const dir = await makeTempDir('presence-certify');
      try {
        const ks = await Keystore.open({ dir });
        const key = await ks.createKey('k', { userPresence: presence });
        const certifier = await key.certifyingKey();
        await ks.close();
        expect(se.specs.map((s) => [s.kind, s.userPresence])).toEqual([
          ['se-blob', presence],
          ['se-blob', presence],
        ]);
        expect([certifier.usage, certifier.userPresence, certifier.info().userPresence]).toEqual([
          'certify',
          presence,
          presence,
        ]);

        const again = await Keystore.open({ dir });
        const loaded = await (await again.getKey('k')).certifyingKey();
        expect(loaded.publicKey.equals(certifier.publicKey)).toBe(true);
        expect(loaded.userPresence).toBe(presence);
        await again.close();
        expect(se.specs).toHaveLength(2);

        // A certifying key that asks nobody (planted, or left from elsewhere) is not used.
        await rewriteRecord(path.join(dir, 'certifying', 'k.json'), (r) => {
          delete r.backendData.userPresence;
        });
        const third = await Keystore.open({ dir });
        const err = await expectCode(
          async () => (await third.getKey('k')).certifyingKey(),
          'E_CORRUPT',
        );
        expect(err.message).toContain(`userPresence '${presence}'`);
        await third.close();
      } finally {
        restore();
        restore = undefined;
        await removeDir(dir);
      }
    }
  });
});
