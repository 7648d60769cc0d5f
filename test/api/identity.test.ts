/**
 * The store's identity: init and its options, init again, init --force, exportIdentity. Every
 * test gets a store of its own (beforeEach), fresh or already initialized.
 */
import { createHash, createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Keystore } from '../../src/index';
import {
  PASS,
  caught,
  closeApiStore,
  expectCode,
  msg,
  openApiStore,
  withoutKeystoreEnv,
} from '../helpers/api';
import { statModeFor } from '../helpers/file';

withoutKeystoreEnv();

describe('identity: a store before init', () => {
  let ks: Keystore;
  let dir: string;
  beforeEach(async () => ({ ks, dir } = await openApiStore()));
  afterEach(() => closeApiStore({ ks, dir }));

  it('identity() is E_NOT_INITIALIZED before init; init validates its options', async () => {
    await expectCode(() => ks.identity(), 'E_NOT_INITIALIZED');
    await expectCode(() => ks.exportIdentity(), 'E_NOT_INITIALIZED');
    await expectCode(() => ks.init({ name: '' }), 'E_INVALID_ARGUMENT');
    await expectCode(() => ks.init({ name: 'bell\u0007' }), 'E_INVALID_ARGUMENT');
    await expectCode(() => ks.init({ name: 'x'.repeat(129) }), 'E_INVALID_ARGUMENT');
    await expectCode(() => ks.init({} as never), 'E_INVALID_ARGUMENT');
    await expectCode(() => ks.init({ name: 'n', force: 'yes' } as never), 'E_INVALID_ARGUMENT');
    expect((await ks.describe()).initialized).toBe(false);
  });

  it('init creates an identity: deviceId = base64url(sha256(SPKI DER)), encrypted-file tier', async () => {
    const id = await ks.init({ name: 'laptop-01' });
    expect(id.name).toBe('laptop-01');
    expect(id.tier).toBe('encrypted-file');
    expect(id.keyAlias).toMatch(/^identity-/);
    expect(new Date(id.createdAt).toISOString()).toBe(id.createdAt);

    // A KeyObject, as everywhere in the API; PEM in its JSON.
    const pub = id.publicKey;
    expect(pub.type).toBe('public');
    expect(createPublicKey(id.toJSON().publicKey).equals(pub)).toBe(true);
    expect(pub.asymmetricKeyType).toBe('ec');
    expect(pub.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    const spki = pub.export({ type: 'spki', format: 'der' });
    expect(id.deviceId).toBe(createHash('sha256').update(spki).digest('base64url'));
    expect(id.deviceId).toMatch(/^[A-Za-z0-9_-]{43}$/);

    expect((await ks.identity()).toJSON()).toEqual(id.toJSON());
    const key = await ks.identityKey();
    expect(key.alias).toBe(id.keyAlias);
    expect(key.publicKey.equals(pub)).toBe(true);
    expect(key.exportPublicKey('pem')).toBe(id.toJSON().publicKey);
    // The published key is the one that signs for the identity.
    expect(cryptoVerify('sha256', msg, pub, await key.sign(msg))).toBe(true);

    const file = path.join(dir, 'identity.json');
    expect((await fsp.stat(file)).mode & 0o777).toBe(statModeFor(0o600));
    expect(JSON.parse(await fsp.readFile(file, 'utf8'))).toMatchObject(id);
  });
});

describe('identity: an initialized store', () => {
  let ks: Keystore;
  let dir: string;
  beforeEach(async () => ({ ks, dir } = await openApiStore({ identity: 'laptop-01' })));
  afterEach(() => closeApiStore({ ks, dir }));

  it('init again is E_EXISTS and leaves the identity as it was', async () => {
    const before = await ks.identity();
    const keysBefore = (await ks.listKeys()).map((k) => k.alias);
    await expectCode(() => ks.init({ name: 'other' }), 'E_EXISTS');
    await expectCode(() => ks.init({ name: 'other', force: false }), 'E_EXISTS');
    expect(await ks.identity()).toEqual(before);
    expect((await ks.listKeys()).map((k) => k.alias)).toEqual(keysBefore);
  });

  it('init({ force: true }) makes a new identity, removes the old identity key, keeps other keys', async () => {
    const old = await ks.identity();
    const survivor = await ks.createKey('survivor');
    const next = await ks.init({ name: 'laptop-02', force: true });
    expect(next.name).toBe('laptop-02');
    expect(next.keyAlias).not.toBe(old.keyAlias);
    expect(next.deviceId).not.toBe(old.deviceId);
    expect(next.publicKey).not.toBe(old.publicKey);
    expect(await ks.identity()).toEqual(next);
    expect((await ks.identityKey()).alias).toBe(next.keyAlias);

    const oldFile = path.join(dir, 'keys', `${old.keyAlias}.json`);
    expect((await caught(() => fsp.access(oldFile))).code).toBe('ENOENT');
    await expectCode(() => ks.getKey(old.keyAlias), 'E_NOT_FOUND');
    const aliases = (await ks.listKeys()).map((k) => k.alias);
    expect(aliases).toContain(next.keyAlias);
    expect(aliases).toContain('survivor');
    expect(aliases).not.toContain(old.keyAlias);
    expect(aliases.filter((a) => a.startsWith('identity-'))).toEqual([next.keyAlias]);
    expect((await ks.getKey('survivor')).publicKey.equals(survivor.publicKey)).toBe(true);
    await ks.deleteKey('survivor');
  });

  it('exportIdentity() holds exactly the public fields', async () => {
    const exported = await ks.exportIdentity();
    expect(Object.keys(exported).sort()).toEqual([
      'createdAt',
      'deviceId',
      'keyAlias',
      'name',
      'publicKey',
      'tier',
    ]);
    expect(exported.toJSON()).toEqual((await ks.identity()).toJSON());
    expect(exported.publicKey.type).toBe('public');
    for (const v of Object.values(exported.toJSON())) expect(typeof v).toBe('string');
    const text = JSON.stringify(exported);
    expect(JSON.parse(text)).toEqual(exported.toJSON());
    expect(text).not.toMatch(/PRIVATE|passphrase|checksum|backendData|ciphertext/);
    expect(text).not.toContain(PASS);
  });
});
