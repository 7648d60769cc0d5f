/**
 * Sealed secrets: set, get, list, delete, the size limit, names and values refused. Each test
 * gets a store of its own (beforeEach): they list the secrets and must see only their own.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Keystore } from '../../src/index';
import {
  BAD_NAMES,
  PASS,
  closeApiStore,
  expectCode,
  openApiStore,
  withoutKeystoreEnv,
} from '../helpers/api';

withoutKeystoreEnv();

describe('sealed secrets', () => {
  let ks: Keystore;
  let dir: string;
  beforeEach(async () => ({ ks, dir } = await openApiStore({ identity: 'secrets-box' })));
  afterEach(() => closeApiStore({ ks, dir }));

  it('set / get / list / delete with string, binary and empty values, and overwrite', async () => {
    const s = ks.secrets;
    expect(await s.list()).toEqual([]);
    await s.set('api-token', 'hunter2-api-token-value');
    expect((await s.get('api-token')).toString('utf8')).toBe('hunter2-api-token-value');

    const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    await s.set('blob', binary);
    const got = await s.get('blob');
    expect(Buffer.isBuffer(got)).toBe(true);
    expect(got.equals(binary)).toBe(true);

    await s.set('u8', new Uint8Array([0, 255, 0, 1]));
    expect([...(await s.get('u8'))]).toEqual([0, 255, 0, 1]);
    await s.set('unicode', 'ключ 🔑');
    expect((await s.get('unicode')).toString('utf8')).toBe('ключ 🔑');
    await s.set('empty', Buffer.alloc(0));
    expect(await s.get('empty')).toHaveLength(0);

    await s.set('api-token', 'rotated-value');
    expect((await s.get('api-token')).toString()).toBe('rotated-value');
    expect(await s.list()).toEqual(['api-token', 'blob', 'empty', 'u8', 'unicode']);

    // Sealed on disk: the file holds neither the plaintext nor its base64.
    const file = await fsp.readFile(path.join(dir, 'secrets', 'api-token.json'), 'utf8');
    expect(file).not.toContain('rotated-value');
    expect(file).not.toContain(Buffer.from('rotated-value').toString('base64url'));
    expect(file).not.toContain(Buffer.from('rotated-value').toString('base64'));

    // Another instance on the same dir unseals it.
    const ks2 = await Keystore.open({ dir, passphrase: PASS });
    try {
      expect((await ks2.secrets.get('blob')).equals(binary)).toBe(true);
    } finally {
      await ks2.close();
    }

    for (const name of ['api-token', 'blob', 'empty', 'u8', 'unicode']) await s.delete(name);
    expect(await s.list()).toEqual([]);
    await expectCode(() => s.get('blob'), 'E_NOT_FOUND');
    await expectCode(() => s.delete('blob'), 'E_NOT_FOUND');
    await expectCode(() => s.get('never-set'), 'E_NOT_FOUND');
  });

  it('64 KiB is the limit; bigger is E_INVALID_ARGUMENT and writes nothing', async () => {
    const s = ks.secrets;
    const max = Buffer.alloc(64 * 1024, 7);
    await s.set('max', max);
    expect((await s.get('max')).equals(max)).toBe(true);
    await expectCode(() => s.set('too-big', Buffer.alloc(64 * 1024 + 1)), 'E_INVALID_ARGUMENT');
    await expectCode(() => s.set('max', Buffer.alloc(200 * 1024)), 'E_INVALID_ARGUMENT');
    expect((await s.get('max')).equals(max)).toBe(true);
    expect(await s.list()).toEqual(['max']);
    await s.delete('max');
  });

  it('bad names and bad values are E_INVALID_ARGUMENT', async () => {
    const s = ks.secrets;
    for (const bad of BAD_NAMES) {
      const label = JSON.stringify(bad) ?? String(bad);
      await expectCode(() => s.set(bad as string, 'v'), 'E_INVALID_ARGUMENT', `set ${label}`);
      await expectCode(() => s.get(bad as string), 'E_INVALID_ARGUMENT', `get ${label}`);
      await expectCode(() => s.delete(bad as string), 'E_INVALID_ARGUMENT', `delete ${label}`);
    }
    for (const value of [42, null, undefined, {}, [1, 2]]) {
      await expectCode(() => s.set('ok-name', value as never), 'E_INVALID_ARGUMENT');
    }
    expect(await s.list()).toEqual([]);
  });
});
