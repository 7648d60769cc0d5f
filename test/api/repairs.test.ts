/**
 * Ways out that must stay open: init --force over a damaged identity, a Keystore that keeps
 * working after changing the passphrase it was opened with, and options that are checked as
 * strictly on every call as on Keystore.open.
 */
import { verify as cryptoVerify } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Keystore } from '../../src/index';
import {
  PASS,
  closeApiStore,
  expectCode,
  msg,
  openApiStore,
  withoutKeystoreEnv,
} from '../helpers/api';

withoutKeystoreEnv();

describe('repairs and options', () => {
  let ks: Keystore;
  let dir: string;
  beforeEach(async () => ({ ks, dir } = await openApiStore({ identity: 'before' })));
  afterEach(() => closeApiStore({ ks, dir }));

  it('init({ force: true }) replaces a damaged identity (the way out an E_CORRUPT hint names)', async () => {
    const old = await ks.identity();
    await fsp.writeFile(path.join(dir, 'identity.json'), '{ torn', { mode: 0o600 });
    const fresh = await Keystore.open({ dir, passphrase: PASS });
    try {
      await expectCode(() => fresh.identity(), 'E_CORRUPT');
      // Without force the damage is still reported, never papered over.
      await expectCode(() => fresh.init({ name: 'after' }), 'E_CORRUPT');
      const next = await fresh.init({ name: 'after', force: true });
      expect(next.name).toBe('after');
      expect((await fresh.identity()).toJSON()).toEqual(next.toJSON());
      const key = await fresh.identityKey();
      expect(cryptoVerify('sha256', msg, next.publicKey, await key.sign(msg))).toBe(true);
      // The old identity key went with the old identity.
      const keys = (await fresh.listKeys()).map((k) => k.alias);
      expect(keys).toEqual([next.keyAlias]);
      expect(keys).not.toContain(old.keyAlias);
    } finally {
      await fresh.close();
    }
  });

  it('after changePassphrase, the Keystore opened with the old passphrase still unlocks', async () => {
    await ks.createKey('later');
    const opened = await Keystore.open({ dir, passphrase: PASS });
    try {
      await opened.changePassphrase({ newPassphrase: `${PASS} (new)` });
      // Not loaded before the change: this needs a new unlock, under the new passphrase.
      const key = await opened.getKey('later');
      expect(cryptoVerify('sha256', msg, key.publicKey, await key.sign(msg))).toBe(true);
      await expectCode(
        () => Keystore.open({ dir, passphrase: PASS }).then((k) => k.getKey('later')),
        'E_BAD_PASSPHRASE',
      );
    } finally {
      await opened.close();
    }
  });

  it('a misspelled option is E_INVALID_ARGUMENT on every call that takes options', async () => {
    const signal = new AbortController().signal;
    const calls: [string, () => Promise<unknown>][] = [
      ['createKey', () => ks.createKey('k', { sginal: signal } as never)],
      ['getKey', () => ks.getKey('k', { timeout: 1 } as never)],
      ['deleteKey', () => ks.deleteKey('k', { force: true } as never)],
      ['identityKey', () => ks.identityKey({ signl: signal } as never)],
      ['init', () => ks.init({ name: 'x', forse: true } as never)],
      ['changePassphrase', () => ks.changePassphrase({ newPasphrase: 'x' } as never)],
      ['importKey', () => ks.importKey('k', 'pem', { teir: 'tpm2' } as never)],
      ['secrets.set', () => ks.secrets.set('s', 'v', { ttl: 1 } as never)],
      ['secrets.get', () => ks.secrets.get('s', { sig: signal } as never)],
      ['secrets.delete', () => ks.secrets.delete('s', { all: true } as never)],
    ];
    for (const [label, call] of calls) {
      const err = await expectCode(call, 'E_INVALID_ARGUMENT', label);
      expect(err.message, label).toMatch(/unknown option/);
    }
    expect(await fsp.readdir(path.join(dir, 'keys'))).toHaveLength(1);
  });
});
