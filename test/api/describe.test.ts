/**
 * describe() and Keystore.open(): what the store says about itself and the tiers it tried,
 * requireHardware, forced tiers, options refused, and close(). The block's store is made in its
 * beforeAll; no test changes it.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keystore, TIERS } from '../../src/index';
import { PASS, closeApiStore, expectCode, openApiStore, withoutKeystoreEnv } from '../helpers/api';

withoutKeystoreEnv();

describe('describe() and open()', () => {
  let ks: Keystore;
  let dir: string;
  beforeAll(
    async () => ({ ks, dir } = await openApiStore({ identity: 'laptop-01', keys: ['alpha'] })),
  );
  afterAll(() => closeApiStore({ ks, dir }));

  it('describes the store honestly', async () => {
    const d = await ks.describe();
    expect(d.dir).toBe(path.resolve(dir));
    expect(d.tier).toBe('encrypted-file');
    expect(d.hardwareBacked).toBe(false);
    expect(d.extractable).toBe(true);
    expect(d.extractableBy).toBe('passphrase-holder');
    expect(d.initialized).toBe(true);
    expect(d.identity).toEqual(await ks.identity());
    expect(d.keys.map((k) => k.toJSON())).toEqual((await ks.listKeys()).map((k) => k.toJSON()));

    expect(d.tiers.map((t) => t.tier)).toEqual([
      'secure-enclave',
      'keychain',
      'tpm2',
      'windows-tpm',
      'windows-ksp',
      'encrypted-file',
    ]);
    expect(d.tiers.map((t) => t.tier)).toEqual([...TIERS]);
    expect(d.tiers.map((t) => t.hardwareBacked)).toEqual([true, false, true, true, false, false]);
    for (const t of d.tiers.slice(0, 5)) {
      expect(t.status, t.tier).toBe('unavailable');
      expect(t.chosen).toBe(false);
      expect(typeof t.reason).toBe('string');
      expect(t.reason!.length, t.tier).toBeGreaterThan(5);
    }
    expect(d.tiers[5]).toMatchObject({ tier: 'encrypted-file', status: 'available', chosen: true });

    expect(
      d.warnings.some((w) => /software/i.test(w)),
      d.warnings.join('\n'),
    ).toBe(true);
    expect(d.warnings.some((w) => w.includes('encrypted-file'))).toBe(true);
    // The passphrase is an option, not a file beside the keys: no such warning.
    expect(d.warnings.some((w) => /passphrase file/.test(w))).toBe(false);

    // The result is a copy.
    d.tiers[0]!.status = 'available';
    d.warnings.length = 0;
    const again = await ks.describe();
    expect(again.tiers[0]!.status).toBe('unavailable');
    expect(again.warnings.length).toBeGreaterThan(0);
  });

  it('requireHardware, a forced unavailable tier, and bad options fail with precise codes', async () => {
    await expectCode(() => Keystore.open({ dir, requireHardware: true }), 'E_HARDWARE_REQUIRED');
    await expectCode(
      () => Keystore.open({ dir, backend: 'encrypted-file', requireHardware: true }),
      'E_HARDWARE_REQUIRED',
    );

    const tpmReason = (await ks.describe()).tiers.find((t) => t.tier === 'tpm2')!.reason!;
    const err = await expectCode(
      () => Keystore.open({ dir, backend: 'tpm2' }),
      'E_BACKEND_UNAVAILABLE',
    );
    expect(err.message).toContain('tpm2');
    expect(err.message).toContain(tpmReason);
    await expectCode(
      () => Keystore.open({ dir, backend: 'secure-enclave' }),
      'E_BACKEND_UNAVAILABLE',
    );

    const unknown = await expectCode(
      () => Keystore.open({ dir, pasphrase: PASS } as never),
      'E_INVALID_ARGUMENT',
    );
    expect(unknown.message).toContain('pasphrase');
    expect(unknown.message).not.toContain(PASS);
    for (const opts of [
      { backend: 'hsm' },
      { dir: '' },
      { dir: 42 },
      { passphrase: '' },
      { passphrase: 42 },
      { requireHardware: 'yes' },
      { lockTimeoutMs: -1 },
      { onWarning: 'log' },
    ]) {
      await expectCode(
        () => Keystore.open({ dir, ...opts } as never),
        'E_INVALID_ARGUMENT',
        JSON.stringify(opts),
      );
    }
    await expectCode(() => Keystore.open(null as never), 'E_INVALID_ARGUMENT');

    // Forcing the file tier works and says which tiers were skipped.
    const forced = await Keystore.open({ dir, backend: 'encrypted-file', passphrase: PASS });
    try {
      const d = await forced.describe();
      expect(d.tiers.map((t) => t.status)).toEqual([
        'not tried',
        'not tried',
        'not tried',
        'not tried',
        'not tried',
        'available',
      ]);
      expect(d.tiers.slice(0, 5).every((t) => (t.reason ?? '').length > 0)).toBe(true);
    } finally {
      await forced.close();
    }
  });

  it('after close() every call is E_CLOSED', async () => {
    const k = await Keystore.open({ dir, passphrase: PASS });
    const secrets = k.secrets;
    await k.close();
    const calls: [string, () => unknown][] = [
      ['init', () => k.init({ name: 'x' })],
      ['identity', () => k.identity()],
      ['identityKey', () => k.identityKey()],
      ['exportIdentity', () => k.exportIdentity()],
      ['createKey', () => k.createKey('closed-key')],
      ['getKey', () => k.getKey('alpha')],
      ['listKeys', () => k.listKeys()],
      ['deleteKey', () => k.deleteKey('alpha')],
      ['describe', () => k.describe()],
      ['changePassphrase', () => k.changePassphrase({ newPassphrase: 'new one' })],
      ['secrets.set', () => secrets.set('s', 'v')],
      ['secrets.get', () => secrets.get('s')],
      ['secrets.list', () => secrets.list()],
      ['secrets.delete', () => secrets.delete('s')],
    ];
    for (const [label, call] of calls) await expectCode(call, 'E_CLOSED', label);
    await k.close(); // a second close is harmless
    expect(existsSync(path.join(dir, 'keys', 'closed-key.json'))).toBe(false);
    // Closing one instance does not affect another.
    expect((await ks.getKey('alpha')).alias).toBe('alpha');
  });
});
