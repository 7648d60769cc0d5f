/**
 * createKey's pin on the windows-tpm tier, without Windows: what reaches the addon (the PIN at
 * creation, and on a fresh handle at each use), the record and describe(), the checks before
 * the provider is asked, and how the PCP's statuses map. The native side
 * (NCRYPT_PIN_PROPERTY) is compile- and link-checked only (npm run check:windows); no PCP has
 * run it, and the Software KSP that Windows CI runners have cannot make such a key.
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  WINDOWS_KSP_GUARANTEES,
  WINDOWS_TPM_GUARANTEES,
} from '../../../src/tiers/windows/settings';
import { ncryptBackend } from '../../../src/tiers/windows/backend';
import { parseKeyData } from '../../../src/tiers/windows/records';
import { type NativeNcryptProvider } from '../../../src/addon/windows';
import { ncryptError } from '../../../src/addon/ncrypt-status';
import type { KeyRecord } from '../../../src/core/records';
import { pcpKeyGuarantees } from '../../../src/tiers/windows/pcp-pin';
import { expectCode } from '../../helpers/api';

const NTE_INCORRECT_PASSWORD = 0x80090033;
const TPM_20_E_AUTH_FAIL = 0x8028098e;
const NTE_NOT_SUPPORTED = 0x80090029;
const NTE_USER_CANCELLED = 0x80090036;

function publicBlob(): Buffer {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const jwk = publicKey.export({ format: 'jwk' });
  const head = Buffer.alloc(8);
  head.writeUInt32LE(0x314b4345, 0); // BCRYPT_ECDH_PUBLIC_P256_MAGIC
  head.writeUInt32LE(32, 4);
  return Buffer.concat([head, Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
}

function rawStatus(call: string, status: number) {
  return Object.assign(new Error('raw'), {
    call,
    domain: 'ncrypt',
    status: status | 0,
    statusText: 'the OS says why',
  });
}

/** A platform provider that keeps one key and logs every call with the PIN it was given. */
function fakePcp(signFails?: number, createFails?: [string, number]) {
  const calls: string[] = [];
  const live = new Set<object>();
  const pub = publicBlob();
  const blob = Buffer.alloc(40, 9);
  const made = () => {
    const key = {};
    live.add(key);
    return { key, publicBlob: pub, blob };
  };
  const pinOf = (pin?: Buffer) => (pin ? pin.toString('utf8') : '-');
  const native = {
    async createKey(_name?: string, _usage?: string, pin?: Buffer) {
      calls.push(`create pin=${pinOf(pin)}`);
      if (createFails) throw ncryptError(rawStatus(...createFails));
      return made();
    },
    async importKey() {
      calls.push('import');
      return made();
    },
    async sign(key: object, _digest: Buffer, pin?: Buffer) {
      calls.push(`sign pin=${pinOf(pin)} live=${live.has(key)}`);
      if (signFails) throw ncryptError(rawStatus('NCryptSignHash', signFails));
      return Buffer.alloc(64, 1);
    },
    async ecdh(key: object, _peer: Buffer, pin?: Buffer) {
      calls.push(`ecdh pin=${pinOf(pin)} live=${live.has(key)}`);
      return Buffer.alloc(32, 2);
    },
    async releaseKey(key: object) {
      calls.push('release');
      live.delete(key);
    },
    async close() {},
  } as unknown as NativeNcryptProvider;
  return { native, calls, live };
}

const header = {
  alias: 'k',
  tier: 'windows-tpm' as const,
  algorithm: 'ECDSA-P256' as const,
  createdAt: new Date(0).toISOString(),
};

describe('a windows-tpm key made with a PIN', () => {
  it('sets the PIN at creation, and on a fresh handle freed after each use', async () => {
    const pcp = fakePcp();
    const backend = ncryptBackend(pcp.native, WINDOWS_TPM_GUARANTEES);
    expect(backend.pinKeys).toBe(true);
    const made = await backend.generateKey(header, { pin: Buffer.from('1234') });
    expect(made.backendData).toMatchObject({ kind: 'pcp-blob', userPresence: 'pin' });
    expect(made.handle.userPresence).toBe('pin');
    await made.handle.signRaw(Buffer.from('m'), false, { pin: Buffer.from('1234') });
    await made.handle.ecdh(Buffer.alloc(65, 4), { pin: Buffer.from('1234') });
    expect(pcp.calls).toEqual([
      'create pin=1234',
      'release', // the creating handle is not kept
      'import',
      'sign pin=1234 live=true',
      'release',
      'import',
      'ecdh pin=1234 live=true',
      'release',
    ]);
    expect(pcp.live.size).toBe(0);
  });

  it('without its PIN nothing reaches the provider; a cached PIN is used, then wiped', async () => {
    const pcp = fakePcp();
    const made = await ncryptBackend(pcp.native, WINDOWS_TPM_GUARANTEES).generateKey(header, {
      pin: Buffer.from('1234'),
    });
    pcp.calls.length = 0;
    const err = await expectCode(
      () => made.handle.signRaw(Buffer.from('m'), false),
      'E_INVALID_ARGUMENT',
    );
    expect(err.message).toContain('nothing was sent to the TPM');
    expect(pcp.calls).toEqual([]);
    made.handle.cachePin!(Buffer.from('5678'), 60_000);
    await made.handle.signRaw(Buffer.from('m'), false);
    expect(pcp.calls).toContain('sign pin=5678 live=true');
  });

  it('its certifying key gets the same PIN, proven first, and uses the PIN cached for the key (issue 18)', async () => {
    const pcp = fakePcp();
    const backend = ncryptBackend(pcp.native, WINDOWS_TPM_GUARANTEES);
    const key = await backend.generateKey(header, { pin: Buffer.from('1234') });
    key.handle.cachePin!(Buffer.from('1234'), 60_000);
    pcp.calls.length = 0;
    const proven = await key.handle.provePin!();
    expect(proven.toString()).toBe('1234');
    const certifying = await backend.generateKey(
      { ...header, usage: 'certify' },
      { pin: proven, samePinAs: key.handle },
    );
    expect(certifying.backendData).toMatchObject({ kind: 'pcp-blob', userPresence: 'pin' });
    expect(certifying.handle.userPresence).toBe('pin');
    await certifying.handle.signRaw(Buffer.from('tbs'), false);
    expect(pcp.calls).toEqual([
      'import',
      'sign pin=1234 live=true', // the proof
      'release',
      'create pin=1234',
      'release',
      'import',
      'sign pin=1234 live=true', // the key's cached PIN
      'release',
    ]);
    // A loaded one shares the cache too, and close() wipes it for both.
    const record = {
      ...header,
      usage: 'certify',
      publicKey: certifying.publicKey,
      backendData: certifying.backendData,
    } as KeyRecord;
    const loaded = await backend.loadKey(record, 'certifying/k.json', { samePinAs: key.handle });
    await loaded.signRaw(Buffer.from('tbs'), false);
    await backend.close();
    await expectCode(() => loaded.signRaw(Buffer.from('tbs'), false), 'E_INVALID_ARGUMENT');
    await expectCode(() => key.handle.signRaw(Buffer.from('m'), false), 'E_INVALID_ARGUMENT');
  });

  it('a wrong PIN proves nothing: E_TPM_AUTH, and no certifying key is made', async () => {
    const pcp = fakePcp(NTE_INCORRECT_PASSWORD);
    const key = await ncryptBackend(pcp.native, WINDOWS_TPM_GUARANTEES).generateKey(header, {
      pin: Buffer.from('1234'),
    });
    pcp.calls.length = 0;
    await expectCode(() => key.handle.provePin!({ pin: Buffer.from('9999') }), 'E_TPM_AUTH');
    expect(pcp.calls.filter((c) => c.startsWith('create'))).toEqual([]);
  });

  it('a wrong PIN is E_TPM_AUTH whichever status says it; the raw status is kept', async () => {
    for (const status of [NTE_INCORRECT_PASSWORD, TPM_20_E_AUTH_FAIL]) {
      const pcp = fakePcp(status);
      const made = await ncryptBackend(pcp.native, WINDOWS_TPM_GUARANTEES).generateKey(header, {
        pin: Buffer.from('1234'),
      });
      const err = (await expectCode(
        () => made.handle.signRaw(Buffer.from('m'), false, { pin: Buffer.from('0000') }),
        'E_TPM_AUTH',
      )) as { osStatus?: number };
      expect(err.osStatus).toBe(status);
      expect(pcp.live.size).toBe(0); // the handle is freed on failure too
    }
    const cancelled = fakePcp(NTE_USER_CANCELLED);
    const made = await ncryptBackend(cancelled.native, WINDOWS_TPM_GUARANTEES).generateKey(header, {
      pin: Buffer.from('1234'),
    });
    await expectCode(
      () => made.handle.signRaw(Buffer.from('m'), false, { pin: Buffer.from('1234') }),
      'E_USER_CANCELED',
    );
  });

  it('a PCP that will not take a PIN is E_USER_PRESENCE_UNAVAILABLE at creation', async () => {
    const pcp = fakePcp(undefined, ['NCryptSetProperty (NCRYPT_PIN_PROPERTY)', NTE_NOT_SUPPORTED]);
    const err = await expectCode(
      () =>
        ncryptBackend(pcp.native, WINDOWS_TPM_GUARANTEES).generateKey(header, {
          pin: Buffer.from('1'),
        }),
      'E_USER_PRESENCE_UNAVAILABLE',
    );
    expect(err.hint).toBeTruthy();
  });

  it('the Software KSP makes no PIN keys; a record that says pin is read, describe() says so', async () => {
    const ksp = ncryptBackend(fakePcp().native, WINDOWS_KSP_GUARANTEES);
    expect(ksp.pinKeys).toBe(false);
    await expectCode(
      () => ksp.generateKey({ ...header, tier: 'windows-ksp' }, { pin: Buffer.from('1') }),
      'E_INVALID_ARGUMENT',
    );
    const record = (userPresence?: string) =>
      ({
        ...header,
        publicKey: Buffer.alloc(65),
        backendData: {
          kind: 'pcp-blob',
          blob: Buffer.alloc(8, 1).toString('base64url'),
          ...(userPresence ? { userPresence } : {}),
        },
      }) as KeyRecord;
    expect(parseKeyData(record('pin'), 'f')).toMatchObject({ pin: true });
    expect(parseKeyData(record(), 'f')).not.toHaveProperty('pin');
    await expectCode(() => parseKeyData(record('biometry'), 'f'), 'E_CORRUPT');
    expect(pcpKeyGuarantees(WINDOWS_TPM_GUARANTEES, record('pin')).userPresence).toBe('pin');
    expect(pcpKeyGuarantees(WINDOWS_TPM_GUARANTEES, record()).userPresence).toBeUndefined();
  });
});
