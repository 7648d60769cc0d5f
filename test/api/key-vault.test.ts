/**
 * The key-vault contract over a Keystore: capabilities as each tier really provides them (here the
 * encrypted-file tier; test/tiers/tpm2/key-vault-tpm.test.ts a TPM on swtpm), protect/unprotect of identity records and recovery
 * envelopes bound to one device and store, exportIdentity with public parts only, typed errors,
 * and the contract published on its own with no import.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keystore, createKeyVault, type KeyVault } from '../../src/index';
import type { KeyVault as ContractKeyVault } from '../../src/key-vault-contract';
import {
  PASS,
  ROOT,
  closeApiStore,
  expectCode,
  makeTempDir,
  openApiStore,
  removeDir,
  withoutKeystoreEnv,
  type ApiStore,
} from '../helpers/api';

withoutKeystoreEnv();

const RECORD = JSON.stringify({
  peer: 'device-B',
  publicKey: 'public',
  note: 'identity record 7731',
});
const ENVELOPE = Buffer.from('recovery envelope: Plover-Sound-4412-beacons');

describe('createKeyVault on the encrypted-file tier', () => {
  let store: ApiStore;
  let other: ApiStore;
  let vault: KeyVault;
  beforeAll(async () => {
    store = await openApiStore({ identity: 'vault-file' });
    other = await openApiStore({ identity: 'vault-other' });
    vault = createKeyVault(store.ks);
  });
  afterAll(async () => {
    await closeApiStore(store);
    await closeApiStore(other);
  });

  it('claims only what the tier gives: software, exportable with the passphrase, no presence, no attestation', async () => {
    expect(await vault.capabilities()).toEqual({
      tier: 'encrypted-file',
      securityLevel: 'software',
      nonExportableSigning: false,
      nonExportableKeyAgreement: false,
      userPresence: 'none',
      attestation: 'none',
      recordsBoundTo: 'store-and-secret',
    });
    // The same facts describe() reports for the key the vault uses.
    const d = await store.ks.describe();
    expect(d.extractableBy).toBe('passphrase-holder');
  });

  it('protects and unprotects both kinds; the text shows neither record', async () => {
    const sealed = await vault.protect('identity-record', RECORD, { label: 'peer:device-B' });
    expect(sealed).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(Buffer.from(sealed, 'base64url').toString()).not.toContain('identity record 7731');
    expect(
      (await vault.unprotect('identity-record', sealed, { label: 'peer:device-B' })).toString(),
    ).toBe(RECORD);
    const env = await vault.protect('recovery-envelope', ENVELOPE);
    expect(Buffer.from(sealed + env, 'base64url').includes(ENVELOPE)).toBe(false);
    expect(Buffer.compare(await vault.unprotect('recovery-envelope', env), ENVELOPE)).toBe(0);
    // The vault's key is one key, whatever the number of records.
    expect((await store.ks.listKeys()).filter((k) => k.alias === 'key-vault')).toHaveLength(1);
  });

  it('refuses another kind, another label, a changed record and another store, with typed errors', async () => {
    const sealed = await vault.protect('recovery-envelope', ENVELOPE, { label: 'a' });
    await expectCode(
      () => vault.unprotect('identity-record', sealed, { label: 'a' }),
      'E_INVALID_ARGUMENT',
    );
    await expectCode(
      () => vault.unprotect('recovery-envelope', sealed, { label: 'b' }),
      'E_INVALID_ARGUMENT',
    );
    const body = JSON.parse(Buffer.from(sealed, 'base64url').toString()) as Record<string, string>;
    const flipped = Buffer.from(body.ciphertext!, 'base64url');
    flipped[0]! ^= 1;
    const tampered = Buffer.from(
      JSON.stringify({ ...body, ciphertext: flipped.toString('base64url') }),
    ).toString('base64url');
    await expectCode(
      () => vault.unprotect('recovery-envelope', tampered, { label: 'a' }),
      'E_CORRUPT',
    );
    await expectCode(
      () => vault.unprotect('recovery-envelope', 'not a record!', { label: 'a' }),
      'E_CORRUPT',
    );
    // Another device: named as such...
    const otherVault = createKeyVault(other.ks);
    const err = await expectCode(
      () => otherVault.unprotect('recovery-envelope', sealed, { label: 'a' }),
      'E_INVALID_ARGUMENT',
    );
    expect(err.message).toMatch(/protected by device .*, not by this one/);
    // ...and a record relabelled with the other device's id still does not open there.
    const otherId = (await other.ks.identity()).deviceId;
    await otherVault.protect('identity-record', 'make the other vault key');
    const moved = Buffer.from(JSON.stringify({ ...body, deviceId: otherId })).toString('base64url');
    await expectCode(
      () => otherVault.unprotect('recovery-envelope', moved, { label: 'a' }),
      'E_CORRUPT',
    );
    await expectCode(() => vault.protect('other' as never, 'x'), 'E_INVALID_ARGUMENT');
    await expectCode(() => vault.protect('identity-record', 42 as never), 'E_INVALID_ARGUMENT');
    expect(() => createKeyVault({} as never)).toThrow(/needs an open Keystore/);
  });

  it('exportIdentity: the public parts only', async () => {
    const id = await vault.exportIdentity();
    expect(Object.keys(id).sort()).toEqual(['createdAt', 'deviceId', 'name', 'publicKey', 'tier']);
    expect(id.publicKey).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(JSON.stringify(id)).not.toContain(PASS);
  });

  it('a store without an identity: E_NOT_INITIALIZED', async () => {
    const dir = await makeTempDir('vault-empty');
    const ks = await Keystore.open({ dir, passphrase: PASS });
    try {
      await expectCode(
        () => createKeyVault(ks).protect('identity-record', 'x'),
        'E_NOT_INITIALIZED',
      );
      await expectCode(() => createKeyVault(ks).exportIdentity(), 'E_NOT_INITIALIZED');
    } finally {
      await ks.close();
      await removeDir(dir);
    }
  });
});

describe('the contract, published on its own', () => {
  it('has no import and its own package entry, so a mobile bridge can implement it', () => {
    const dts = path.join(ROOT, 'dist', 'key-vault-contract.d.ts');
    expect(existsSync(dts)).toBe(true);
    expect(readFileSync(path.join(ROOT, 'src', 'key-vault-contract.ts'), 'utf8')).not.toMatch(
      /^\s*import\b/m,
    );
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      exports: Record<string, { types?: string }>;
    };
    expect(pkg.exports['./key-vault-contract']?.types).toBe('./dist/key-vault-contract.d.ts');
    // A bridge's object type-checks against it (tsc runs over the tests).
    const bridge: ContractKeyVault = {
      capabilities: async () => ({
        tier: 'android-strongbox',
        securityLevel: 'secure-element',
        nonExportableSigning: true,
        nonExportableKeyAgreement: true,
        userPresence: 'per-use',
        attestation: 'android-key-attestation',
        recordsBoundTo: 'device',
      }),
      protect: async () => '',
      unprotect: async () => new Uint8Array(),
      exportIdentity: async () => ({
        name: '',
        deviceId: '',
        tier: '',
        publicKey: '',
        createdAt: '',
      }),
    };
    expect(typeof bridge.protect).toBe('function');
  });
});
