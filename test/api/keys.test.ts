/**
 * Keys by alias: createKey, getKey, listKeys, deleteKey, the aliases refused, two instances on
 * one store; and the public key in every export format. Every block makes its own store.
 */
import {
  KeyObject,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  verify as cryptoVerify,
} from 'node:crypto';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DeviceKey, Keystore, KeystoreError } from '../../src/index';
import {
  BAD_NAMES,
  ECDSA_P256,
  PASS,
  closeApiStore,
  expectCode,
  msg,
  openApiStore,
  readTree,
  subtle,
  withoutKeystoreEnv,
} from '../helpers/api';

withoutKeystoreEnv();

describe('keys', () => {
  let ks: Keystore;
  let dir: string;
  beforeEach(async () => ({ ks, dir } = await openApiStore({ identity: 'keys-box' })));
  afterEach(() => closeApiStore({ ks, dir }));

  it('createKey / getKey / listKeys / deleteKey', async () => {
    const alpha = await ks.createKey('alpha');
    expect(alpha).toBeInstanceOf(DeviceKey);
    expect(alpha.alias).toBe('alpha');
    expect(alpha.tier).toBe('encrypted-file');
    expect(alpha.hardwareBacked).toBe(false);
    // A boolean, as on a CryptoKey, so `if (key.extractable)` means what it says; who, by name.
    expect(alpha.extractable).toBe(true);
    expect(alpha.extractableBy).toBe('passphrase-holder');
    expect(new Date(alpha.createdAt).toISOString()).toBe(alpha.createdAt);

    const got = await ks.getKey('alpha');
    expect(got.publicKey.equals(alpha.publicKey)).toBe(true);
    expect(cryptoVerify('sha256', msg, alpha.publicKey, await got.sign(msg))).toBe(true);

    const beta = await ks.createKey('beta');
    expect(beta.publicKey.equals(alpha.publicKey)).toBe(false);
    const list = await ks.listKeys();
    const id = await ks.identity();
    expect(list.map((k) => k.alias)).toEqual(['alpha', 'beta', id.keyAlias].sort());
    // KeyInfo.publicKey is a KeyObject; its JSON form carries the SPKI PEM.
    const listed = list.find((k) => k.alias === 'alpha')!;
    expect(listed.publicKey).toBeInstanceOf(KeyObject);
    expect(listed.publicKey.equals(alpha.publicKey)).toBe(true);
    expect(JSON.parse(JSON.stringify(listed))).toEqual({
      alias: 'alpha',
      tier: 'encrypted-file',
      hardwareBacked: false,
      extractable: true,
      extractableBy: 'passphrase-holder',
      userPresence: 'none',
      algorithm: 'ECDSA-P256',
      createdAt: alpha.createdAt,
      publicKey: alpha.exportPublicKey('pem'),
    });
    expect(alpha.info().publicKey.equals(listed.publicKey)).toBe(true);
    expect(alpha.info().toJSON()).toEqual(listed.toJSON());
    expect(alpha.toJSON()).toEqual(listed.toJSON());

    await ks.deleteKey('beta');
    expect((await ks.listKeys()).map((k) => k.alias)).toEqual(['alpha', id.keyAlias].sort());
    expect(existsSync(path.join(dir, 'keys', 'beta.json'))).toBe(false);
    await expectCode(() => ks.getKey('beta'), 'E_NOT_FOUND');
    await expectCode(() => ks.deleteKey('beta'), 'E_NOT_FOUND');
  });

  it('invalid aliases are E_INVALID_ARGUMENT and touch no file', async () => {
    const treeBefore = (await readTree(dir)).map((f) => f.file).sort();
    for (const bad of BAD_NAMES) {
      const label = JSON.stringify(bad) ?? String(bad);
      await expectCode(() => ks.createKey(bad as string), 'E_INVALID_ARGUMENT', `create ${label}`);
      await expectCode(() => ks.getKey(bad as string), 'E_INVALID_ARGUMENT', `get ${label}`);
      await expectCode(() => ks.deleteKey(bad as string), 'E_INVALID_ARGUMENT', `delete ${label}`);
    }
    // Reserved for identity keys.
    await expectCode(() => ks.createKey('identity-x'), 'E_INVALID_ARGUMENT');
    await expectCode(() => ks.createKey('identity-0123456789ab'), 'E_INVALID_ARGUMENT');
    expect((await readTree(dir)).map((f) => f.file).sort()).toEqual(treeBefore);
    expect(existsSync(path.join(path.dirname(dir), 'x.json'))).toBe(false);

    // The limits themselves are allowed.
    const longest = 'a'.repeat(64);
    await ks.createKey(longest);
    await ks.createKey('0.k_e-y');
    expect((await ks.listKeys()).map((k) => k.alias)).toEqual(
      expect.arrayContaining([longest, '0.k_e-y']),
    );
    await ks.deleteKey(longest);
    await ks.deleteKey('0.k_e-y');
  });

  it('the identity key cannot be deleted with deleteKey', async () => {
    const id = await ks.identity();
    await expectCode(() => ks.deleteKey(id.keyAlias), 'E_INVALID_ARGUMENT');
    expect(existsSync(path.join(dir, 'keys', `${id.keyAlias}.json`))).toBe(true);
    expect(await ks.identity()).toEqual(id);
  });
});

describe('keys: a store that has the key "alpha"', () => {
  let ks: Keystore;
  let dir: string;
  beforeEach(
    async () => ({ ks, dir } = await openApiStore({ identity: 'keys-box', keys: ['alpha'] })),
  );
  afterEach(() => closeApiStore({ ks, dir }));

  it('E_EXISTS for a taken alias (the old key is kept), E_NOT_FOUND for a missing one', async () => {
    const before = (await ks.getKey('alpha')).exportPublicKey('raw');
    await expectCode(() => ks.createKey('alpha'), 'E_EXISTS');
    expect((await ks.getKey('alpha')).exportPublicKey('raw')).toEqual(before);
    await expectCode(() => ks.getKey('no-such-key'), 'E_NOT_FOUND');
    await expectCode(() => ks.deleteKey('no-such-key'), 'E_NOT_FOUND');
  });

  it('a second Keystore on the same dir gets working keys; without a passphrase it cannot', async () => {
    const ks2 = await Keystore.open({ dir, passphrase: PASS });
    try {
      const alpha = await ks.getKey('alpha');
      const alpha2 = await ks2.getKey('alpha');
      expect(alpha2).not.toBe(alpha);
      expect(alpha2.publicKey.equals(alpha.publicKey)).toBe(true);
      expect(cryptoVerify('sha256', msg, alpha.publicKey, await alpha2.sign(msg))).toBe(true);
      const shared = diffieHellman({
        privateKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
        publicKey: alpha.publicKey,
      });
      expect(shared).toHaveLength(32);

      // A key created by one instance is seen by the other.
      const gamma = await ks2.createKey('gamma');
      const gamma1 = await ks.getKey('gamma');
      expect(cryptoVerify('sha256', msg, gamma.publicKey, await gamma1.sign(msg))).toBe(true);
      await ks.deleteKey('gamma');
    } finally {
      await ks2.close();
    }
    // The passphrase was an option: it is not on disk, so a store opened without one is stuck.
    const ks3 = await Keystore.open({ dir });
    try {
      await expectCode(() => ks3.getKey('alpha'), 'E_BAD_PASSPHRASE');
    } finally {
      await ks3.close();
    }
  });
});

describe('public key exports', () => {
  let ks: Keystore;
  let dir: string;
  // Read only: the test changes nothing in the store.
  beforeAll(
    async () => ({ ks, dir } = await openApiStore({ identity: 'keys-box', keys: ['alpha'] })),
  );
  afterAll(() => closeApiStore({ ks, dir }));

  it('KeyObject, SPKI DER, PEM, JWK and raw all re-import to the same key', async () => {
    const key = await ks.getKey('alpha');
    const ko = key.publicKey;
    expect(ko).toBeInstanceOf(KeyObject);
    expect(ko.type).toBe('public');
    expect(ko.asymmetricKeyType).toBe('ec');
    expect(ko.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');

    const spki = key.exportPublicKey('spki');
    expect(Buffer.isBuffer(spki)).toBe(true);
    expect(createPublicKey({ key: spki, format: 'der', type: 'spki' }).equals(ko)).toBe(true);
    expect(spki).toEqual(ko.export({ type: 'spki', format: 'der' }));

    const pem = key.exportPublicKey('pem');
    expect(pem).toBe(ko.export({ type: 'spki', format: 'pem' }));
    expect(createPublicKey(pem).equals(ko)).toBe(true);

    const jwk = key.exportPublicKey('jwk');
    expect(Object.keys(jwk).sort()).toEqual(['crv', 'kty', 'x', 'y']);
    expect(jwk).toEqual(ko.export({ format: 'jwk' }));
    expect(createPublicKey({ key: jwk, format: 'jwk' }).equals(ko)).toBe(true);

    const raw = key.exportPublicKey('raw');
    expect(raw).toHaveLength(65);
    expect(raw[0]).toBe(4);
    const fromRaw = await subtle.importKey('raw', raw, ECDSA_P256, true, ['verify']);
    expect(KeyObject.from(fromRaw).equals(ko)).toBe(true);
    expect(raw.subarray(1, 33).toString('base64url')).toBe(jwk.x);
    expect(raw.subarray(33).toString('base64url')).toBe(jwk.y);

    // Exports are copies: scribbling on one does not change the key.
    raw.fill(0);
    spki.fill(0);
    expect(key.exportPublicKey('raw')[0]).toBe(4);
    expect(createPublicKey(key.exportPublicKey('pem')).equals(ko)).toBe(true);
    expect(() => key.exportPublicKey('pkcs8' as never)).toThrow(KeystoreError);
  });
});
