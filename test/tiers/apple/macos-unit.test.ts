/**
 * The platform-independent half of the macOS tiers, tested wherever the suite runs (Linux here,
 * and the macOS runners too): the OSStatus table that the addon builds its errors from, X9.63
 * public keys into SPKI, the key and secret record formats, the DER signatures Security.framework
 * returns, and how the tiers report themselves where they cannot run.
 */
import {
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
  sign as nodeSign,
  verify as nodeVerify,
} from 'node:crypto';
import { promises as fsp, readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keychainTier, secureEnclaveTier } from '../../../src/tiers/apple/provider';
import {
  ACCESSIBILITY_ENV,
  KEYCHAIN_GUARANTEES,
  SE_GUARANTEES,
  accessibilityFrom,
} from '../../../src/tiers/apple/settings';
import {
  ECIES_ALG,
  frameSecret,
  keyDataToJson,
  BLOB_CORRUPT_HINT,
  makeKeyTag,
  parseKeyData,
  parseSecretData,
  publicKeyFromX963,
  sealTagFor,
  secretDataToJson,
  unframeSecret,
  type MacKeyData,
} from '../../../src/tiers/apple/records';
import { macBackend } from '../../../src/tiers/apple/backend';
import {
  macosSupport,
  type MacEcdhAlgorithm,
  type NativeMacSecurity,
} from '../../../src/addon/apple';
import { probeSecureEnclave, secureEnclaveFacts } from '../../../src/tiers/apple/facts';
import {
  CRYPTOTOKENKIT_DOMAIN,
  GENERIC_MACOS_CODE,
  LOCAL_AUTHENTICATION_DOMAIN,
  OSSTATUS_DOMAIN,
  STATUS_TABLE,
  codeForStatus,
  macosError,
  statusEntry,
  withMacErrors,
} from '../../../src/addon/osstatus';
import { NATIVE_REASONS } from '../../../src/addon/native-errors';
import type { Backend, BackendContext } from '../../../src/tiers/tier';
import type { KeyHandle } from '../../../src/core/key-handle';
import type { KeyRecord, SecretRecord } from '../../../src/core/records';
import { TIER_PROVIDERS } from '../../../src/tiers/detect';
import { exitCodeFor } from '../../../src/cli/exit-codes';
import { finishSignature } from '../../../src/crypto/ecdsa';
import { exportPublicKey, publicKeyObjectFromRaw } from '../../../src/crypto/p256';
import { ErrorCodes, Keystore, KeystoreError } from '../../../src/index';
import { loadNative } from '../../../src/addon/load';
import { readKeyRecord, writeKeyRecord } from '../../../src/store/key-records';
import { ensureStoreId } from '../../../src/store/store-id';
import { storePaths } from '../../../src/store/paths';
import { writeRecord } from '../../../src/store/records';
import {
  SEALING_SCHEME,
  SealingKeys,
  deriveSecretKey,
  migrateLegacySecrets,
  sealSecret,
  sealingKeyIdOf,
  sealingPoint,
  unsealSecret,
} from '../../../src/rooms/sealing';
import {
  HALF_N,
  N,
  ROOT,
  caught,
  derFromRs,
  expectCode,
  makeTempDir,
  removeDir,
  rsFromDer,
  rsFromP1363,
} from '../../helpers/apple';

function nodeKey() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  const x963 = Buffer.concat([
    Buffer.of(0x04),
    Buffer.from(jwk.x!, 'base64url'),
    Buffer.from(jwk.y!, 'base64url'),
  ]);
  return { privateKey, publicKey, x963 };
}

const ALIAS = 'laptop-key';
const CREATED = '2025-01-02T03:04:05.678Z';

const STORE_ID = 'c3RvcmUtaWQtZm9yLXRlc3';

function keyRecord(
  tier: KeyRecord['tier'],
  backendData: KeyRecord['backendData'],
  alias = ALIAS,
): KeyRecord {
  return {
    alias,
    tier,
    algorithm: 'ECDSA-P256',
    publicKey: nodeKey().x963,
    createdAt: CREATED,
    storeId: STORE_ID,
    backendData,
  };
}

// ---- OSStatus table -----------------------------------------------------------------------

describe('the OSStatus table', () => {
  it('maps the statuses the issue names to their stable codes', () => {
    expect(codeForStatus(-34018)).toBe('E_MISSING_ENTITLEMENT');
    expect(codeForStatus(-25308)).toBe('E_INTERACTION_NOT_ALLOWED');
    expect(codeForStatus(-25293)).toBe('E_AUTH_FAILED');
    expect(codeForStatus(-128)).toBe('E_USER_CANCELED');
    expect(codeForStatus(-25300)).toBe('E_NOT_FOUND');
  });

  it('names each status as SecBase.h does (numbers typed in from the SDK)', () => {
    const sdk: [string, number][] = [
      ['errSecUnimplemented', -4],
      ['errSecUserCanceled', -128],
      ['errSecMissingEntitlement', -34018],
      ['errSecNotAvailable', -25291],
      ['errSecAuthFailed', -25293],
      ['errSecNoSuchKeychain', -25294],
      ['errSecDuplicateItem', -25299],
      ['errSecItemNotFound', -25300],
      ['errSecNoDefaultKeychain', -25307],
      ['errSecInteractionNotAllowed', -25308],
      ['errSecInteractionRequired', -25315],
      ['errSecInDarkWake', -25320],
      ['errSecDecode', -26275],
      ['errSecInternal', -26276],
      ['errSecParam', -50],
      ['errSecInternalComponent', -2070],
      ['errSecNoAccessForItem', -25243],
    ];
    for (const [name, status] of sdk) expect(statusEntry(status)?.name, name).toBe(name);
    const osEntries = STATUS_TABLE.filter((e) => e.domain === OSSTATUS_DOMAIN);
    expect(osEntries.map((e) => e.name).sort()).toEqual(sdk.map(([n]) => n).sort());
  });

  it('uses only codes that exist, each with a CLI exit code and a hint', () => {
    const seen = new Set<string>();
    for (const e of STATUS_TABLE) {
      expect(ErrorCodes as readonly string[], e.name).toContain(e.code);
      expect(typeof exitCodeFor(e.code), e.code).toBe('number');
      expect(e.hint.length, e.name).toBeGreaterThan(10);
      expect(Number.isSafeInteger(e.status), e.name).toBe(true);
      const key = `${e.domain}/${e.status}`;
      expect(seen.has(key), key).toBe(false);
      seen.add(key);
    }
    expect(ErrorCodes as readonly string[]).toContain(GENERIC_MACOS_CODE);
    expect(exitCodeFor('E_MISSING_ENTITLEMENT')).toBe(8);
    expect(exitCodeFor('E_INTERACTION_NOT_ALLOWED')).toBe(8);
    expect(exitCodeFor('E_AUTH_FAILED')).toBe(11);
    expect(exitCodeFor('E_USER_CANCELED')).toBe(11);
    expect(exitCodeFor('E_MACOS')).toBe(12);
  });

  it('falls back to E_MACOS, and keeps domains apart where their numbers overlap', () => {
    expect(codeForStatus(-99999)).toBe('E_MACOS');
    expect(codeForStatus(0)).toBe('E_MACOS');
    // -4 is "unimplemented" as an OSStatus (no Secure Enclave), "canceled by user" in CTK.
    expect(codeForStatus(-4)).toBe('E_BACKEND_UNAVAILABLE');
    expect(codeForStatus(-4, CRYPTOTOKENKIT_DOMAIN)).toBe('E_USER_CANCELED');
    expect(codeForStatus(-2, LOCAL_AUTHENTICATION_DOMAIN)).toBe('E_USER_CANCELED');
    expect(codeForStatus(-25300, 'SomeOtherDomain')).toBe('E_MACOS');
    // CryptoTokenKit's TKErrorCode (TKError.h): -6 object not found, -8 bad parameter.
    expect(statusEntry(-6, CRYPTOTOKENKIT_DOMAIN)?.name).toBe('TKErrorCodeObjectNotFound');
    expect(codeForStatus(-6, CRYPTOTOKENKIT_DOMAIN)).toBe('E_NOT_FOUND');
    expect(statusEntry(-8, CRYPTOTOKENKIT_DOMAIN)?.name).toBe('TKErrorCodeBadParameter');
    expect(codeForStatus(-25243)).toBe('E_PERMISSION');
  });

  it('turns every raw status of the addon into its KeystoreError: code, hint, osStatus, text', () => {
    for (const e of STATUS_TABLE) {
      const raw = Object.assign(new Error('raw'), {
        call: 'SecItemCopyMatching',
        domain: e.domain,
        status: e.status,
        statusText: 'the OS says why',
      });
      const err = macosError(raw) as KeystoreError;
      expect(err, e.name).toBeInstanceOf(KeystoreError);
      expect(err.code, e.name).toBe(e.code);
      expect(err.hint, e.name).toBe(e.hint);
      expect(err.osStatus, e.name).toBe(e.domain === OSSTATUS_DOMAIN ? e.status : undefined);
      expect(err.message).toMatch(/^SecItemCopyMatching failed: the OS says why \(/);
    }
    const unknown = macosError(
      Object.assign(new Error('raw'), {
        call: 'SecKeyCreateSignature',
        domain: OSSTATUS_DOMAIN,
        status: -99999,
        statusText: 'odd',
      }),
    ) as KeystoreError;
    expect(unknown.code).toBe(GENERIC_MACOS_CODE);
    expect(unknown.osStatus).toBe(-99999);
    expect(unknown.message).toBe('SecKeyCreateSignature failed: odd (OSStatus -99999)');
    // Anything that is not a raw native error passes unchanged.
    const other = new KeystoreError('E_INVALID_ARGUMENT', 'x');
    expect(macosError(other)).toBe(other);
  });

  it('names every reason the C++ side reports, and the C++ side decides no code itself', () => {
    const dir = path.join(ROOT, 'native', 'macos');
    const sources = readdirSync(dir)
      .filter((f) => /\.(cc|h)$/.test(f))
      .map((f) => readFileSync(path.join(dir, f), 'utf8'))
      .join('\n');
    // The addon reports statuses with the CFError domain string the table is keyed by.
    expect(sources).toContain(`"${OSSTATUS_DOMAIN}"`);
    expect(sources.match(/"E_[A-Z_]+"/g)).toBeNull();
    const reasons = new Set([...sources.matchAll(/Ours\("\w+", "([a-z-]+)"/g)].map((m) => m[1]!));
    expect(reasons.size).toBeGreaterThan(2);
    for (const reason of reasons) {
      expect(NATIVE_REASONS as readonly string[], reason).toContain(reason);
      const err = macosError(Object.assign(new Error('raw'), { call: 'Sec', reason, detail: 'd' }));
      expect(err, reason).toBeInstanceOf(KeystoreError);
      expect(ErrorCodes as readonly string[]).toContain((err as KeystoreError).code);
    }
    const closed = macosError(
      Object.assign(new Error('raw'), { reason: 'closed' }),
    ) as KeystoreError;
    expect(closed.code).toBe('E_CLOSED');
  });

  it('maps rejections and probe results of the native object, and leaves argument throws alone', async () => {
    const raw = Object.assign(new Error('raw'), {
      call: 'SecKeyCreateRandomKey',
      domain: OSSTATUS_DOMAIN,
      status: -34018,
      statusText: 'missing',
    });
    const bad = new KeystoreError('E_INVALID_ARGUMENT', 'key must be a key handle');
    const native = withMacErrors({
      probeKeychain: async () => ({ ok: false, error: raw as unknown }),
      sign: async () => {
        throw raw;
      },
      ecdh: () => {
        throw bad;
      },
    });
    const probe = await native.probeKeychain();
    expect((probe.error as KeystoreError).code).toBe('E_MISSING_ENTITLEMENT');
    await expect(native.sign()).rejects.toMatchObject({
      code: 'E_MISSING_ENTITLEMENT',
      osStatus: -34018,
    });
    expect(() => native.ecdh()).toThrow(bad);
  });
});

// ---- what a failed rebuild of a Secure Enclave blob is called ------------------------------

/** A raw error as the addon reports it (native/common/errors.cc). */
function rawStatus(status: number, domain = OSSTATUS_DOMAIN): Error {
  return Object.assign(new Error('raw'), {
    call: 'SecKeyCreateWithData',
    domain,
    status,
    statusText: 'the OS says why',
  });
}

/** A blob-form key's backend whose rebuildKey fails (or succeeds) as scripted. */
function scriptedBlobBackend(rebuild: () => Promise<unknown>) {
  const raw = {
    probeSecureEnclave: async () => ({ ok: true }),
    probeKeychain: async () => ({ ok: true }),
    rebuildKey: rebuild,
  };
  const native = withMacErrors(raw) as unknown as NativeMacSecurity;
  const ctx = { storeDir: '/store', warn: () => {} } as unknown as BackendContext;
  return macBackend(ctx, native, SE_GUARANTEES);
}

describe('a Secure Enclave blob that does not rebuild', () => {
  const file = '/store/keys/laptop-key.json';
  const record = () =>
    keyRecord(
      'secure-enclave',
      keyDataToJson({ kind: 'se-blob', blob: randomBytes(300), accessibility: 'when-unlocked' }),
    );

  it('is E_CORRUPT only for proven damage, and never advises deleting the only copy', async () => {
    for (const cause of [
      rawStatus(-26275), // errSecDecode
      rawStatus(-3, CRYPTOTOKENKIT_DOMAIN), // TKErrorCodeCorruptedData
      Object.assign(new Error('raw'), {
        call: 'SecKeyCreateWithData',
        reason: 'corrupt',
        detail: 'd',
      }),
    ]) {
      const backend = scriptedBlobBackend(() => Promise.reject(cause));
      const err = await caught(() => backend.loadKey(record(), file));
      expect(err.code).toBe('E_CORRUPT');
      expect((err as KeystoreError).path).toBe(file);
      expect(err.hint).toBe(BLOB_CORRUPT_HINT);
      expect(err.hint).not.toMatch(/delete it and create/);
    }
    // A blob that rebuilds some other key (a missing toid makes macOS mint a new one).
    const other = nodeKey().x963;
    const backend = scriptedBlobBackend(async () => ({ key: {}, publicKey: other }));
    const err = await caught(() => backend.loadKey(record(), file));
    expect(err.code).toBe('E_CORRUPT');
    expect(err.hint).toBe(BLOB_CORRUPT_HINT);
  });

  it('keeps its own code and raw status otherwise: unmapped statuses, locks, no Secure Enclave', async () => {
    const cases: [Error, string, number | undefined][] = [
      [rawStatus(-99999), 'E_MACOS', -99999],
      [rawStatus(-67671), 'E_MACOS', -67671],
      [rawStatus(-25308), 'E_INTERACTION_NOT_ALLOWED', -25308],
      [rawStatus(-34018), 'E_MISSING_ENTITLEMENT', -34018],
      [rawStatus(-4), 'E_BACKEND_UNAVAILABLE', -4],
      [rawStatus(-4, CRYPTOTOKENKIT_DOMAIN), 'E_USER_CANCELED', undefined],
      [
        Object.assign(new Error('raw'), {
          call: 'SecKeyCopyPublicKey',
          reason: 'unexpected-response',
          detail: 'the key has no public key',
        }),
        'E_MACOS',
        undefined,
      ],
    ];
    for (const [cause, code, osStatus] of cases) {
      const backend = scriptedBlobBackend(() => Promise.reject(cause));
      const err = await caught(() => backend.loadKey(record(), file));
      expect(err.code, code).toBe(code);
      expect(err.osStatus, code).toBe(osStatus);
      expect(err.hint ?? '', code).not.toMatch(/restore|delete/);
    }
  });
});

// ---- X9.63 -> SPKI --------------------------------------------------------------------------

describe('X9.63 public keys', () => {
  it('become the same SPKI, PEM and JWK that node:crypto makes for the key', () => {
    for (let i = 0; i < 16; i++) {
      const { privateKey, publicKey, x963 } = nodeKey();
      const raw = publicKeyFromX963(x963, 'test');
      expect(raw.equals(x963)).toBe(true);
      expect(exportPublicKey(raw, 'spki')).toEqual(
        publicKey.export({ format: 'der', type: 'spki' }),
      );
      expect(exportPublicKey(raw, 'pem')).toBe(publicKey.export({ format: 'pem', type: 'spki' }));
      expect(exportPublicKey(raw, 'jwk')).toEqual(publicKey.export({ format: 'jwk' }));
      // And the SPKI is a key node:crypto verifies with.
      const spkiKey = createPublicKey({
        key: exportPublicKey(raw, 'spki'),
        format: 'der',
        type: 'spki',
      });
      const sig = nodeSign('sha256', Buffer.from('x963'), privateKey);
      expect(nodeVerify('sha256', Buffer.from('x963'), spkiKey, sig)).toBe(true);
    }
  });

  it('through DeviceKey exports: spki equals node:crypto, raw equals the X9.63 bytes', async () => {
    const dir = await makeTempDir('x963');
    try {
      const { publicKey, x963 } = nodeKey();
      const paths = storePaths(dir);
      await fsp.mkdir(paths.keysDir, { recursive: true, mode: 0o700 });
      const file = path.join(paths.keysDir, `${ALIAS}.json`);
      const data: MacKeyData = { kind: 'keychain', tag: makeKeyTag(ALIAS) };
      await writeKeyRecord(file, {
        ...keyRecord('keychain', keyDataToJson(data)),
        publicKey: publicKeyFromX963(x963, 'x'),
        storeId: await ensureStoreId(paths, async () => {}),
      });
      const ks = await Keystore.open({ dir, backend: 'encrypted-file', passphrase: 'unused' });
      try {
        const info = (await ks.listKeys()).find((k) => k.alias === ALIAS)!;
        expect(info.tier).toBe('keychain');
        expect(info.hardwareBacked).toBe(false);
        expect(info.extractable).toBe(true);
        expect(info.extractableBy).toBe('os-account-owner');
        const fromPem = createPublicKey(info.toJSON().publicKey);
        expect(info.publicKey.equals(fromPem)).toBe(true);
        expect(fromPem.export({ format: 'der', type: 'spki' })).toEqual(
          publicKey.export({ format: 'der', type: 'spki' }),
        );
      } finally {
        await ks.close();
      }
    } finally {
      await removeDir(dir);
    }
  });

  it('are refused as E_CORRUPT when they are not uncompressed P-256 points', () => {
    const { x963 } = nodeKey();
    const offCurve = Buffer.from(x963);
    offCurve[64] ^= 1;
    const xTooBig = Buffer.concat([Buffer.of(0x04), Buffer.alloc(32, 0xff), x963.subarray(33)]);
    const compressed = Buffer.concat([Buffer.of(0x02 | (x963[64]! & 1)), x963.subarray(1, 33)]);
    const hybrid = Buffer.from(x963);
    hybrid[0] = 0x06 | (x963[64]! & 1);
    for (const bad of [
      x963.subarray(0, 64),
      Buffer.concat([x963, Buffer.of(0)]),
      compressed,
      hybrid,
      offCurve,
      xTooBig,
      Buffer.alloc(65),
      new Uint8Array(0),
    ]) {
      let err: (Error & { code?: string }) | undefined;
      try {
        publicKeyFromX963(bad, 'the keychain');
      } catch (e) {
        err = e as Error & { code?: string };
      }
      expect(err?.code, bad.toString('hex')).toBe('E_CORRUPT');
      expect(err?.message).toContain('the keychain');
    }
  });
});

// ---- key records ----------------------------------------------------------------------------

describe('key records', () => {
  const blob = randomBytes(420);

  it('round-trip every kind through backendData', () => {
    const cases: [KeyRecord['tier'], MacKeyData][] = [
      ['secure-enclave', { kind: 'se-blob', blob, accessibility: 'when-unlocked' }],
      ['secure-enclave', { kind: 'se-blob', blob, accessibility: 'after-first-unlock' }],
      [
        'secure-enclave',
        { kind: 'se-keychain', tag: makeKeyTag(ALIAS), accessibility: 'when-unlocked' },
      ],
      [
        'secure-enclave',
        {
          kind: 'se-keychain',
          tag: makeKeyTag(ALIAS),
          accessibility: 'after-first-unlock',
          accessGroup: 'ABCDE12345.com.example.app',
        },
      ],
      ['keychain', { kind: 'keychain', tag: makeKeyTag(ALIAS) }],
    ];
    for (const [tier, data] of cases) {
      const json = keyDataToJson(data);
      // JSON-clean: what the store writes is exactly what it reads back.
      expect(JSON.parse(JSON.stringify(json))).toEqual(json);
      expect(parseKeyData(keyRecord(tier, json), 'f')).toEqual(data);
    }
  });

  it('survive the store: written by writeKeyRecord, read by readKeyRecord, parsed', async () => {
    const dir = await makeTempDir('record');
    try {
      const file = path.join(dir, `${ALIAS}.json`);
      const data: MacKeyData = { kind: 'se-blob', blob, accessibility: 'when-unlocked' };
      const rec = keyRecord('secure-enclave', keyDataToJson(data));
      await writeKeyRecord(file, rec);
      // POSIX modes only: on Windows the store's DACL stands in (test/tiers/windows/windows-store.test.ts).
      if (process.platform !== 'win32') expect((await fsp.stat(file)).mode & 0o777).toBe(0o600);
      const back = await readKeyRecord(file, ALIAS);
      expect(back.publicKey.equals(rec.publicKey)).toBe(true);
      expect(parseKeyData(back, file)).toEqual(data);
    } finally {
      await removeDir(dir);
    }
  });

  it('tags carry the alias and 128 random bits, and are never reused', () => {
    const tags = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const t = makeKeyTag(ALIAS);
      expect(t).toMatch(/^device-keystore\/key\/laptop-key\/[0-9a-f]{32}$/);
      tags.add(t);
    }
    expect(tags.size).toBe(50);
    expect(sealTagFor('/a/store')).toBe(sealTagFor('/a/store'));
    expect(sealTagFor('/a/store')).not.toBe(sealTagFor('/b/store'));
    expect(sealTagFor('/a/store')).toMatch(/^device-keystore\/seal\/[0-9a-f]{32}$/);
  });

  it('refuse anything off-format as E_CORRUPT naming the file', () => {
    const good = keyDataToJson({ kind: 'keychain', tag: makeKeyTag(ALIAS) });
    const goodSe = keyDataToJson({ kind: 'se-blob', blob, accessibility: 'when-unlocked' });
    const bad: [KeyRecord['tier'], KeyRecord['backendData']][] = [
      ['keychain', {}],
      ['keychain', { ...good, kind: 'se-blob' }],
      ['keychain', { ...good, tag: makeKeyTag('other-key') }],
      ['keychain', { ...good, tag: 'device-keystore/key/laptop-key/' }],
      ['keychain', { ...good, tag: `${good.tag}0` }],
      ['keychain', { ...good, tag: 42 }],
      ['keychain', { ...good, extra: true }],
      ['secure-enclave', good],
      ['secure-enclave', { ...goodSe, blob: '' }],
      ['secure-enclave', { ...goodSe, blob: 'not base64url!' }],
      ['secure-enclave', { ...goodSe, blob: randomBytes(17 * 1024).toString('base64url') }],
      ['secure-enclave', { ...goodSe, accessibility: 'always' }],
      ['secure-enclave', { ...goodSe, tag: makeKeyTag(ALIAS) }],
      [
        'secure-enclave',
        {
          kind: 'se-keychain',
          tag: makeKeyTag(ALIAS),
          accessibility: 'when-unlocked',
          accessGroup: '',
        },
      ],
      ['encrypted-file', good],
      ['tpm2', goodSe],
    ];
    for (const [tier, data] of bad) {
      let err: (Error & { code?: string }) | undefined;
      try {
        parseKeyData(keyRecord(tier, data), '/keys/laptop-key.json');
      } catch (e) {
        err = e as Error & { code?: string };
      }
      expect(err?.code, `${tier} ${JSON.stringify(data).slice(0, 120)}`).toBe('E_CORRUPT');
      expect(err?.message).toContain('/keys/laptop-key.json');
    }
  });

  it('read the accessibility option from the environment, refusing unknown values', async () => {
    expect(accessibilityFrom(undefined)).toBe('when-unlocked');
    expect(accessibilityFrom('')).toBe('when-unlocked');
    expect(accessibilityFrom('when-unlocked')).toBe('when-unlocked');
    expect(accessibilityFrom('after-first-unlock')).toBe('after-first-unlock');
    const err = await expectCode(() => accessibilityFrom('always'), 'E_INVALID_ARGUMENT');
    expect(err.message).toContain(ACCESSIBILITY_ENV);
  });
});

// ---- sealed secrets -------------------------------------------------------------------------

describe('sealed secret records', () => {
  const header = { name: 'api-token', tier: 'keychain' as const, createdAt: CREATED };
  const { x963 } = nodeKey();
  // The ECIES layout: ephemeral point || ciphertext || tag, here with a 32-byte header hash.
  const ciphertext = Buffer.concat([nodeKey().x963, randomBytes(32 + 5 + 16)]);

  function secretRecord(tier: SecretRecord['tier'], backendData: SecretRecord['backendData']) {
    return { name: header.name, tier, createdAt: CREATED, backendData };
  }

  it('bind the value to its name, tier and date', () => {
    const value = Buffer.from('s3cret value');
    const framed = frameSecret(header, value);
    expect(framed.length).toBe(32 + value.length);
    expect(unframeSecret(header, framed)).toEqual(value);
    expect(unframeSecret({ ...header, name: 'other' }, framed)).toBeUndefined();
    expect(unframeSecret({ ...header, tier: 'secure-enclave' }, framed)).toBeUndefined();
    expect(unframeSecret({ ...header, createdAt: '2025-01-02T03:04:05.679Z' }, framed)).toBe(
      undefined,
    );
    expect(unframeSecret(header, framed.subarray(0, 31))).toBeUndefined();
    expect(unframeSecret(header, frameSecret(header, Buffer.alloc(0)))).toEqual(Buffer.alloc(0));
  });

  it('round-trip both kinds and refuse damage as E_CORRUPT', () => {
    const kc = secretDataToJson({
      kind: 'keychain',
      tag: sealTagFor('/store'),
      publicKey: x963,
      ciphertext,
    });
    const se = secretDataToJson({
      kind: 'se-blob',
      blob: randomBytes(400),
      publicKey: x963,
      accessibility: 'when-unlocked',
      ciphertext,
    });
    expect(kc.alg).toBe(ECIES_ALG);
    expect(parseSecretData(secretRecord('keychain', kc), 'f')).toMatchObject({
      kind: 'keychain',
      tag: sealTagFor('/store'),
    });
    expect(parseSecretData(secretRecord('secure-enclave', se), 'f').kind).toBe('se-blob');

    const offCurve = Buffer.from(x963);
    offCurve[64] ^= 1;
    const bad: [SecretRecord['tier'], SecretRecord['backendData']][] = [
      ['keychain', { ...kc, alg: 'A256GCM' }],
      ['keychain', { ...kc, tag: makeKeyTag('api-token') }],
      ['keychain', { ...kc, ciphertext: ciphertext.subarray(0, 80).toString('base64url') }],
      [
        'keychain',
        {
          ...kc,
          ciphertext: Buffer.concat([Buffer.of(5), ciphertext.subarray(1)]).toString('base64url'),
        },
      ],
      ['keychain', { ...kc, publicKey: offCurve.toString('base64url') }],
      ['keychain', { ...kc, extra: 1 }],
      ['secure-enclave', kc],
      ['keychain', se],
      ['secure-enclave', { ...se, accessibility: 'sometimes' }],
    ];
    for (const [tier, data] of bad) {
      let err: (Error & { code?: string }) | undefined;
      try {
        parseSecretData(secretRecord(tier, data), '/secrets/api-token.json');
      } catch (e) {
        err = e as Error & { code?: string };
      }
      expect(err?.code, `${tier} ${JSON.stringify(data).slice(0, 100)}`).toBe('E_CORRUPT');
    }
  });
});

// ---- sealing through a macOS key ---------------------------------------------------------------

/**
 * What the store's sealing asks of a macOS key is one ECDH (SecKeyCopyKeyExchangeResult with
 * kSecKeyAlgorithmECDHKeyExchangeStandard: the 32-byte x-coordinate), here played by node:crypto
 * so that the derivation and the framing run on Linux.
 */
function macLikeHandle(privateKey: ReturnType<typeof nodeKey>['privateKey']): KeyHandle {
  return {
    signRaw: () => Promise.reject(new Error('unused')),
    ecdh: async (peer) => diffieHellman({ privateKey, publicKey: publicKeyObjectFromRaw(peer) }),
  };
}

describe('sealed secrets through a macOS sealing key (derivation on Linux)', () => {
  const storeId = 'AAECAwQFBgcICQoLDA0ODw';
  const salt = Buffer.alloc(16, 7);

  it('the sealing point is a curve point fixed by store id, tier and salt', () => {
    const p = sealingPoint(storeId, 'secure-enclave', salt);
    expect(p).toHaveLength(65);
    expect(p[0]).toBe(4);
    expect(publicKeyObjectFromRaw(p).asymmetricKeyType).toBe('ec');
    expect(sealingPoint(storeId, 'secure-enclave', salt)).toEqual(p);
    for (const other of [
      sealingPoint('BAECAwQFBgcICQoLDA0ODw', 'secure-enclave', salt),
      sealingPoint(storeId, 'keychain', salt),
      sealingPoint(storeId, 'secure-enclave', Buffer.alloc(16, 8)),
    ]) {
      expect(other.equals(p)).toBe(false);
    }
  });

  it('the key is HKDF over ECDH(sealing key, point); the public key alone does not reach it', async () => {
    const { privateKey, x963 } = nodeKey();
    const id = sealingKeyIdOf(x963);
    const key = await deriveSecretKey(macLikeHandle(privateKey), id, storeId, 'keychain', salt);
    const point = sealingPoint(storeId, 'keychain', salt);
    const shared = diffieHellman({ privateKey, publicKey: publicKeyObjectFromRaw(point) });
    const info = `${SEALING_SCHEME}\0${storeId}\0keychain\0${id}`;
    expect(key).toEqual(Buffer.from(hkdfSync('sha256', shared, salt, info, 32)));
    // What 0.1.0's ECIES let anyone do: an ephemeral key of their own against the public key.
    const eph = nodeKey();
    const forged = diffieHellman({
      privateKey: eph.privateKey,
      publicKey: publicKeyObjectFromRaw(x963),
    });
    expect(Buffer.from(hkdfSync('sha256', forged, salt, info, 32))).not.toEqual(key);
  });

  it('seal and unseal through the store, for both macOS tiers, bound to name and store', async () => {
    const dir = await makeTempDir('mac-sealing');
    try {
      const paths = storePaths(dir);
      await fsp.mkdir(paths.sealingDir, { recursive: true, mode: 0o700 });
      const made: string[] = [];
      const backend = (tier: 'secure-enclave' | 'keychain'): Backend =>
        ({
          tier,
          async generateKey() {
            made.push(tier);
            const { privateKey, x963 } = nodeKey();
            keys.set(x963.toString('hex'), privateKey);
            return {
              publicKey: x963,
              backendData: { kind: 'fake' },
              handle: macLikeHandle(privateKey),
            };
          },
          async loadKey(record: KeyRecord) {
            return macLikeHandle(keys.get(record.publicKey.toString('hex'))!);
          },
        }) as unknown as Backend;
      const keys = new Map<string, ReturnType<typeof nodeKey>['privateKey']>();
      const host = { paths, backend: async (t: never) => backend(t), warn: () => {} };
      for (const tier of ['secure-enclave', 'keychain'] as const) {
        const header = { name: 'api-token', tier, createdAt: CREATED, storeId };
        const sealing = new SealingKeys(host);
        const backendData = await sealSecret(sealing, header, Buffer.from('s3cret'));
        expect(backendData.scheme).toBe(SEALING_SCHEME);
        const record: SecretRecord = { ...header, backendData };
        // A new SealingKeys reads the sealing key back from sealing/<tier>.json.
        const fresh = new SealingKeys(host);
        expect((await unsealSecret(fresh, record, 'f', storeId)).toString()).toBe('s3cret');
        await expectCode(
          () => unsealSecret(fresh, { ...record, name: 'other' }, 'f', storeId),
          'E_CORRUPT',
        );
        await expectCode(
          () => unsealSecret(fresh, { ...record, storeId: 'BAECAwQFBgcICQoLDA0ODw' }, 'f', storeId),
          'E_CORRUPT',
        );
      }
      // One sealing key per tier, made once.
      expect(made).toEqual(['secure-enclave', 'keychain']);
    } finally {
      await removeDir(dir);
    }
  });
});

// ---- DER signatures from Security.framework ---------------------------------------------------

describe("signatures in the 'der' encoding (what SecKeyCreateSignature returns)", () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const message = Buffer.from('signed by the Secure Enclave, in spirit');

  function verifies(sig: Buffer, format: 'der' | 'p1363'): boolean {
    return nodeVerify(
      'sha256',
      message,
      { key: publicKey, dsaEncoding: format === 'der' ? 'der' : 'ieee-p1363' },
      sig,
    );
  }

  it('come out low-S in both formats and verify with node:crypto, high-S inputs included', () => {
    let highSeen = 0;
    for (let i = 0; i < 40; i++) {
      const der = nodeSign('sha256', message, privateKey); // X9.62 DER, as Security.framework
      const { r, s } = rsFromDer(der);
      // Feed both the signature and its high-S twin: Security.framework may return either.
      for (const input of [derFromRs(r, s), derFromRs(r, N - s)]) {
        if (rsFromDer(input).s > HALF_N) highSeen++;
        const outDer = finishSignature(input, 'der', 'der');
        const outP1363 = finishSignature(input, 'p1363', 'der');
        expect(rsFromDer(outDer)).toEqual({ r, s: s > HALF_N ? N - s : s });
        expect(rsFromP1363(outP1363)).toEqual(rsFromDer(outDer));
        expect(verifies(outDer, 'der')).toBe(true);
        expect(verifies(outP1363, 'p1363')).toBe(true);
      }
    }
    expect(highSeen).toBe(40);
  });

  it('keep a leading zero where the top bit is set, and refuse non-strict DER', async () => {
    // Find a signature whose r needs the 0x00 pad (33-byte INTEGER).
    let der: Buffer;
    do der = nodeSign('sha256', message, privateKey);
    while (rsFromDer(der).r < 1n << 255n);
    const { r, s } = rsFromDer(der);
    const out = finishSignature(derFromRs(r, s), 'der', 'der');
    expect(out[2]).toBe(0x02);
    expect(out[3]).toBe(33);
    expect(out[4]).toBe(0x00);
    expect(verifies(out, 'der')).toBe(true);

    const good = derFromRs(r, s > HALF_N ? N - s : s);
    const longForm = Buffer.concat([Buffer.of(0x30, 0x81, good.length - 2), good.subarray(2)]);
    const trailing = Buffer.concat([good, Buffer.of(0)]);
    const padded = Buffer.from(good);
    const rOnlyPad = derFromRs(1n, 1n);
    const zeroPadded = Buffer.concat([
      Buffer.of(0x30, rOnlyPad.length - 1, 0x02, 0x02, 0x00, 0x01),
      rOnlyPad.subarray(5),
    ]);
    padded[1] += 1;
    for (const bad of [
      longForm,
      trailing,
      padded,
      zeroPadded,
      derFromRs(0n, 1n),
      derFromRs(N, 1n),
    ]) {
      await expectCode(() => finishSignature(bad, 'der', 'der'), 'E_INVALID_ARGUMENT');
    }
  });
});

// ---- where the tiers cannot run -------------------------------------------------------------

describe('the macOS tiers off macOS, and in an addon built without them', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await makeTempDir('tiers');
  });
  afterAll(async () => {
    await removeDir(dir);
  });

  it('are real providers with honest guarantees, in detection order', () => {
    expect(TIER_PROVIDERS[0]).toBe(secureEnclaveTier);
    expect(TIER_PROVIDERS[1]).toBe(keychainTier);
    expect(secureEnclaveTier).toMatchObject(SE_GUARANTEES);
    expect(keychainTier).toMatchObject(KEYCHAIN_GUARANTEES);
    expect(SE_GUARANTEES).toEqual({
      tier: 'secure-enclave',
      hardwareBacked: true,
      extractableBy: 'nobody',
    });
    expect(KEYCHAIN_GUARANTEES).toEqual({
      tier: 'keychain',
      hardwareBacked: false,
      extractableBy: 'os-account-owner',
    });
  });

  it('say why they are unavailable: the OS, or an addon without the macOS exports', async () => {
    const support = macosSupport();
    if (process.platform === 'darwin') {
      // On a Mac the addon must carry the tiers: a build that lost them fails here.
      expect(support).toMatchObject({ ok: true });
      return;
    }
    expect(support).toEqual({ ok: false, reason: `macOS only (this is ${process.platform})` });
    // The real addon of this platform, asked as if this were a Mac: it has no MacSecurity.
    const native = loadNative();
    const asMac = macosSupport('darwin');
    expect(asMac.ok).toBe(false);
    expect((asMac as { reason: string }).reason).toBe(
      native.ok ? 'not built into this addon' : `the native addon did not load: ${native.error}`,
    );
    for (const tier of [secureEnclaveTier, keychainTier]) {
      const probe = await tier.probe({} as never);
      expect(probe).toEqual({
        available: false,
        reason: `macOS only (this is ${process.platform})`,
      });
      const err = await expectCode(() => tier.open({} as never), 'E_BACKEND_UNAVAILABLE');
      expect(err.message).toContain(tier.tier);
      expect(err.message).toContain('macOS only');
    }
  });

  it('show up in describe(), and a forced open off macOS fails with E_BACKEND_UNAVAILABLE', async () => {
    const ks = await Keystore.open({ dir, backend: 'encrypted-file', passphrase: 'correct horse' });
    let tiers;
    try {
      tiers = (await ks.describe()).tiers;
    } finally {
      await ks.close();
    }
    expect(tiers.slice(0, 2).map((t) => t.tier)).toEqual(['secure-enclave', 'keychain']);
    if (process.platform === 'darwin') {
      // Forced to encrypted-file: the macOS tiers were not tried, and say so.
      for (const t of tiers.slice(0, 2)) expect(t.status).toBe('not tried');
      return;
    }
    const ks2 = await Keystore.open({ dir, passphrase: 'correct horse' });
    try {
      for (const t of (await ks2.describe()).tiers.slice(0, 2)) {
        expect(t).toMatchObject({
          status: 'unavailable',
          reason: `macOS only (this is ${process.platform})`,
          chosen: false,
        });
      }
    } finally {
      await ks2.close();
    }
    for (const backend of ['secure-enclave', 'keychain'] as const) {
      const err = await caught(() => Keystore.open({ dir, backend }));
      expect(err.code).toBe('E_BACKEND_UNAVAILABLE');
      expect(err.message).toContain('macOS only');
    }
  });
});

describe('docs/macos.md "Tested where"', () => {
  it('claims no Mac run, and names every macOS runner the workflow uses, macos-15 among them', () => {
    const workflow = readFileSync(path.join(ROOT, '.github', 'workflows', 'macos.yml'), 'utf8');
    const runners = new Set(workflow.match(/\bmacos-\d+\b/g) ?? []);
    expect([...runners].sort()).toEqual(expect.arrayContaining(['macos-14', 'macos-15']));
    const doc = readFileSync(path.join(ROOT, 'docs', 'macos.md'), 'utf8');
    const tested = doc.slice(doc.indexOf('## Tested where'));
    expect(tested).toMatch(/No result from a Mac is claimed here/);
    expect(tested).toMatch(/not yet seen to pass/);
    for (const os of runners) expect(tested, os).toContain(os);
  });
});

describe('the keychain calls (native/macos/mac_keys.cc, read as text: no Mac here)', () => {
  const source = () => readFileSync(path.join(ROOT, 'native', 'macos', 'mac_keys.cc'), 'utf8');
  const body = (src: string, signature: string) => {
    const start = src.indexOf(signature);
    expect(start, signature).toBeGreaterThan(-1);
    return src.slice(start, src.indexOf('\n}\n', start));
  };

  it('do not promise a UI-free keychain probe: the login keychain is a file keychain', () => {
    const doc = readFileSync(path.join(ROOT, 'docs', 'macos.md'), 'utf8');
    const probe = doc.slice(doc.indexOf('- **Keychain probe:**'), doc.indexOf('- Off macOS'));
    expect(probe).not.toMatch(/never shows UI/);
    expect(probe).toMatch(/file keychain/);
    expect(probe).toMatch(/errSecInteractionNotAllowed/);
    expect(body(source(), 'MacResult ProbeKeychain()')).not.toMatch(/Never show UI/i);
  });

  it('remove a stored key whose public key cannot be read, and count deleted items, not calls', () => {
    const create = body(source(), 'MacResult CreateKey(const KeySpec& spec, NewKey* out)');
    const afterStore = create.slice(create.indexOf('SecKeyCreateRandomKey(attrs'));
    expect(afterStore).toMatch(/if \(!r\.ok && permanent\)[\s\S]*DeleteKeys\(spec, &deleted\)/);
    const del = body(source(), 'MacResult DeleteKeys(const KeySpec& spec, int* deleted)');
    expect(del).not.toMatch(/\+\+\*deleted/);
    expect(del).toMatch(/CountItems\(q\.get\(\), &before\)/);
    expect(del).toMatch(/\*deleted = static_cast<int>\(before\)/);
  });
});

// ---- the Secure Enclave probe, the -34018 fallback and the 0.1.0 migration, over a scripted
// MacSecurity (software keys behind the addon's interface, raw errors as the addon makes them)

interface MacFaults {
  /** ECDH with these algorithms fails with errSecParam. */
  refuseEcdh?: MacEcdhAlgorithm[];
  /** The blob rebuilds some other key (what a missing "toid" does). */
  rebuildOther?: boolean;
  badSignature?: boolean;
  /** An entitled host whose data-protection keychain answers -34018. */
  entitledButRefused?: boolean;
  /** What decrypt (a 0.1.0 secret) does. */
  decrypt?: (ciphertext: Buffer) => Promise<Buffer>;
}

const newKeyHeader = (tier: 'secure-enclave' | 'keychain') => ({
  alias: 'k',
  tier,
  algorithm: 'ECDSA-P256' as const,
  createdAt: CREATED,
  storeId: STORE_ID,
});

function scriptedMac(faults: MacFaults = {}) {
  const keys = new Map<object, ReturnType<typeof nodeKey>>();
  const blobs = new Map<string, object>();
  const ecdhCalls: (MacEcdhAlgorithm | undefined)[] = [];
  const fresh = () => {
    const ref = {};
    keys.set(ref, nodeKey());
    return ref;
  };
  const view = (ref: object) => ({ key: ref, publicKey: keys.get(ref)!.x963 });
  const raw = {
    hostInfo: async () =>
      faults.entitledButRefused
        ? { entitled: true, accessGroups: ['TEAMID.com.example.app'] }
        : { entitled: false, accessGroups: [] },
    probeKeychain: async () => ({ ok: true }),
    createKey: async (spec: { kind: string }) => {
      if (spec.kind === 'se-keychain' && faults.entitledButRefused) throw rawStatus(-34018);
      const ref = fresh();
      if (spec.kind !== 'se-blob') return view(ref);
      const blob = randomBytes(48);
      blobs.set(blob.toString('hex'), ref);
      return { ...view(ref), blob };
    },
    rebuildKey: async (blob: Buffer) => {
      const ref = faults.rebuildOther ? fresh() : blobs.get(blob.toString('hex'));
      if (!ref) throw rawStatus(-26275);
      return view(ref);
    },
    findKeys: async () => [...keys.keys()].map(view),
    sign: async (key: object, data: Buffer) =>
      nodeSign('sha256', faults.badSignature ? Buffer.from('other') : data, {
        key: keys.get(key)!.privateKey,
      }),
    ecdh: async (key: object, peer: Buffer, alg?: MacEcdhAlgorithm) => {
      ecdhCalls.push(alg);
      if (alg && faults.refuseEcdh?.includes(alg)) throw rawStatus(-50);
      return diffieHellman({
        privateKey: keys.get(key)!.privateKey,
        publicKey: publicKeyObjectFromRaw(peer),
      });
    },
    decrypt: (_key: object, ciphertext: Buffer) =>
      faults.decrypt ? faults.decrypt(ciphertext) : Promise.reject(new Error('unused')),
    close: async () => {},
  };
  const native = withMacErrors(raw) as unknown as NativeMacSecurity;
  return { native, keys, ecdhCalls };
}

describe('the Secure Enclave probe: the round trip, not just a creation', () => {
  it('creates, rebuilds from the blob, signs, and agrees with both ECDH algorithms', async () => {
    const { native, keys } = scriptedMac();
    const r = await probeSecureEnclave(native, false);
    expect(r).toEqual({
      ok: true,
      ecdh: { cofactor: 'ok', standard: 'ok' },
      ecdhAlgorithm: 'cofactor',
    });
    expect(keys.size).toBe(1); // one key, rebuilt from its own blob
  });

  it('uses the algorithm the Secure Enclave takes, and says which one failed', async () => {
    const r = await probeSecureEnclave(scriptedMac({ refuseEcdh: ['cofactor'] }).native, false);
    expect(r).toMatchObject({ ok: true, ecdhAlgorithm: 'standard' });
    expect((r as { ecdh: { cofactor: string } }).ecdh.cofactor).toContain('OSStatus -50');
  });

  it('names the step that failed: rebuild, sign, or an ECDH that no algorithm does', async () => {
    const cases: [MacFaults, string, string][] = [
      [{ rebuildOther: true }, 'rebuild it from its blob', 'rebuilt a different key'],
      [{ badSignature: true }, 'sign with it', 'does not verify with node:crypto'],
      [{ refuseEcdh: ['cofactor', 'standard'] }, 'run ECDH with it', 'neither ECDH algorithm'],
    ];
    for (const [faults, step, text] of cases) {
      const r = await probeSecureEnclave(scriptedMac(faults).native, false);
      expect(r, step).toMatchObject({ ok: false, step });
      expect(String((r as { error: Error }).error.message), step).toContain(text);
    }
  });

  it('doctor and detection report the round trip; SE keys then use the algorithm that held', async () => {
    const mac = scriptedMac({ refuseEcdh: ['cofactor'] });
    const facts = await secureEnclaveFacts({ ok: true, open: () => mac.native });
    expect(facts).toMatchObject({
      available: true,
      ecdhAlgorithm: 'standard',
      keyStorage: 'key-file-blob',
    });
    const ctx = { storeDir: '/store', warn: () => {} } as unknown as BackendContext;
    const backend = macBackend(ctx, mac.native, SE_GUARANTEES);
    const made = await backend.generateKey(newKeyHeader('secure-enclave'));
    mac.ecdhCalls.length = 0;
    await made.handle.ecdh(nodeKey().x963);
    expect(mac.ecdhCalls).toEqual(['standard']);
    // Keychain keys keep the standard algorithm whatever the Secure Enclave does.
    const kc = macBackend(ctx, mac.native, KEYCHAIN_GUARANTEES);
    const kmade = await kc.generateKey(newKeyHeader('keychain'));
    mac.ecdhCalls.length = 0;
    await kmade.handle.ecdh(nodeKey().x963);
    expect(mac.ecdhCalls).toEqual(['standard']);
  });

  it('after the -34018 fallback, doctor and detection say keys are blobs, not keychain items', async () => {
    const mac = scriptedMac({ entitledButRefused: true });
    const warnings: string[] = [];
    const ctx = { storeDir: '/store', warn: (m: string) => warnings.push(m) };
    const backend = macBackend(ctx as unknown as BackendContext, mac.native, SE_GUARANTEES);
    const made = await backend.generateKey(newKeyHeader('secure-enclave'));
    expect(made.backendData.kind).toBe('se-blob');
    expect(warnings.join('\n')).toContain('OSStatus -34018');
    const facts = await secureEnclaveFacts({ ok: true, open: () => mac.native });
    expect(facts).toMatchObject({ entitled: true, keyStorage: 'key-file-blob' });
    expect(facts.keyStorageNote).toContain('the data-protection keychain refused it');
  });
});

describe('the 0.1.0 migration when a secret does not decrypt', () => {
  const legacyHeader = { name: 'api-token', tier: 'keychain' as const, createdAt: CREATED };
  const storeId = 'AAECAwQFBgcICQoLDA0ODw';

  /** A store with one 0.1.0 keychain secret; `decrypt` decides what its decryption does. */
  async function legacyStore(dir: string, decrypt: MacFaults['decrypt']) {
    const mac = scriptedMac({ decrypt });
    const paths = storePaths(dir);
    await fsp.mkdir(paths.secretsDir, { recursive: true, mode: 0o700 });
    await fsp.mkdir(paths.sealingDir, { recursive: true, mode: 0o700 });
    const sealKey = await mac.native.createKey({ kind: 'keychain' });
    const ciphertext = Buffer.concat([Buffer.of(4), randomBytes(160)]);
    const file = path.join(paths.secretsDir, 'api-token.json');
    await writeRecord(file, {
      format: 'device-keystore/secret',
      version: 1,
      ...legacyHeader,
      backendData: secretDataToJson({
        kind: 'keychain',
        tag: sealTagFor(dir),
        publicKey: sealKey.publicKey,
        ciphertext,
      }),
    });
    const warnings: string[] = [];
    const ctx = { storeDir: dir, warn: (m: string) => warnings.push(m) };
    const backend = macBackend(ctx as unknown as BackendContext, mac.native, KEYCHAIN_GUARANTEES);
    const host = { paths, backend: async () => backend, warn: (m: string) => warnings.push(m) };
    const migrate = () => migrateLegacySecrets(host, new SealingKeys(host), storeId);
    return { file, warnings, migrate };
  }

  it('skips it for good only when the status means damage: -50, -26275, CryptoTokenKit -3', async () => {
    const damage: [Error, string][] = [
      [rawStatus(-50), 'errSecParam'],
      [rawStatus(-26275), 'errSecDecode'],
      [rawStatus(-3, CRYPTOTOKENKIT_DOMAIN), 'TKErrorCodeCorruptedData'],
    ];
    for (const [cause, name] of damage) {
      const dir = await makeTempDir('mac-migrate');
      try {
        const s = await legacyStore(dir, () => Promise.reject(cause));
        const before = await fsp.readFile(s.file, 'utf8');
        await s.migrate();
        expect(await fsp.readFile(s.file, 'utf8'), name).toBe(before);
        expect(s.warnings.join('\n'), name).toMatch(
          /left .* as it is, not migrated: .*it does not decrypt/,
        );
      } finally {
        await removeDir(dir);
      }
    }
  });

  it('leaves it in place and fails the migration for anything else, which then retries and succeeds', async () => {
    const value = Buffer.from('a capability token');
    const others: [Error, string][] = [
      [rawStatus(-25308), 'E_INTERACTION_NOT_ALLOWED'], // locked, no UI
      [rawStatus(-25293), 'E_AUTH_FAILED'],
      [rawStatus(-128), 'E_USER_CANCELED'],
      [rawStatus(-25243), 'E_PERMISSION'], // not on the item's access list
      [rawStatus(-34018), 'E_MISSING_ENTITLEMENT'],
      [rawStatus(-2070), 'E_MACOS'],
      [rawStatus(-99999), 'E_MACOS'], // a status nobody named
      [rawStatus(-9, CRYPTOTOKENKIT_DOMAIN), 'E_INTERACTION_NOT_ALLOWED'],
      [rawStatus(-8, CRYPTOTOKENKIT_DOMAIN), 'E_MACOS'],
    ];
    for (const [cause, code] of others) {
      const dir = await makeTempDir('mac-migrate');
      try {
        let failing = true;
        const s = await legacyStore(dir, async () => {
          if (failing) throw cause;
          return frameSecret(legacyHeader, value);
        });
        const before = await fsp.readFile(s.file, 'utf8');
        const err = await caught(() => s.migrate());
        expect(err.code, `${code} ${cause.message}`).toBe(code);
        expect(await fsp.readFile(s.file, 'utf8'), code).toBe(before);
        // The keychain is unlocked, access allowed...: the next try migrates it.
        failing = false;
        await s.migrate();
        const migrated = JSON.parse(await fsp.readFile(s.file, 'utf8'));
        expect(migrated.storeId, code).toBe(storeId);
        expect(migrated.version, code).toBe(2);
      } finally {
        await removeDir(dir);
      }
    }
  });
});
