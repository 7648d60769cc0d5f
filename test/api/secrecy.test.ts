/**
 * Secrecy: nothing that can be printed (inspect, JSON, String, errors and their causes) and no
 * file on disk holds a passphrase or a private key, with the passphrase given as an option and
 * through DEVICE_KEYSTORE_PASSPHRASE. The first test uses the block's store (made in its
 * beforeAll, not changed by any test); the second makes its own.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keystore } from '../../src/index';
import {
  ENV_PASS,
  PASS,
  WRONG_ENV_PASS,
  WRONG_PASS,
  caught,
  closeApiStore,
  decryptKeyFile,
  expectCode,
  makeTempDir,
  msg,
  openApiStore,
  readTree,
  removeDir,
  unexpectedLongRuns,
  withoutKeystoreEnv,
} from '../helpers/api';

withoutKeystoreEnv();

describe('secrets never leak', () => {
  let ks: Keystore;
  let dir: string;
  beforeAll(
    async () =>
      ({ ks, dir } = await openApiStore({ identity: 'leak-box', keys: ['alpha', 'signer'] })),
  );
  afterAll(() => closeApiStore({ ks, dir }));

  const FORBIDDEN_PRINTABLE = ['PRIVATE KEY', 'BEGIN EC'];

  function encodings(secret: string | Buffer): string[] {
    const b = Buffer.isBuffer(secret) ? secret : Buffer.from(secret, 'utf8');
    const out = [b.toString('hex'), b.toString('base64'), b.toString('base64url')];
    if (!Buffer.isBuffer(secret)) out.push(secret);
    return out;
  }

  function renderings(value: unknown): string[] {
    const out = [
      inspect(value, { showHidden: true, depth: Infinity }),
      inspect(value, { showHidden: true, depth: Infinity, customInspect: false }),
      inspect(value, { showHidden: true, depth: Infinity, getters: true }),
      String(JSON.stringify(value)),
    ];
    try {
      out.push(String(value));
    } catch {
      // Objects without a string form are fine.
    }
    if (value instanceof Error) {
      for (let e: unknown = value; e instanceof Error; e = e.cause) {
        out.push(e.message, String(e.stack), inspect(e, { showHidden: true, depth: Infinity }));
      }
    }
    return out;
  }

  /** Public strings a rendering may contain: every key's PEM, JWK coordinates, ids. */
  async function publicMaterial(store: Keystore): Promise<string[]> {
    const allowed: string[] = [];
    for (const info of await store.listKeys()) {
      const key = await store.getKey(info.alias);
      const jwk = key.exportPublicKey('jwk');
      allowed.push(
        info.toJSON().publicKey,
        jwk.x!,
        jwk.y!,
        key.exportPublicKey('raw').toString('base64url'),
        key.exportPublicKey('spki').toString('base64url'),
      );
    }
    const id = await store.identity();
    allowed.push(id.deviceId, id.toJSON().publicKey);
    return allowed;
  }

  async function assertNothingLeaks(
    store: Keystore,
    storeDir: string,
    secrets: string[],
    extra: unknown[],
  ): Promise<void> {
    const id = await store.identity();
    const idKey = await store.identityKey();
    await idKey.sign(msg);
    const { d, x, y } = await decryptKeyFile(storeDir, id.keyAlias, secrets[0]!);
    // The independent decryption found the identity's private key.
    const jwk = idKey.exportPublicKey('jwk');
    expect([x, y]).toEqual([jwk.x, jwk.y]);
    const forbidden = [
      ...FORBIDDEN_PRINTABLE,
      ...secrets.flatMap(encodings),
      ...encodings(Buffer.from(d, 'base64url')),
    ];
    const allowed = await publicMaterial(store);
    const values: [string, unknown][] = [
      ['Keystore', store],
      ['secrets', store.secrets],
      ['identity key', idKey],
      ['describe()', await store.describe()],
      ['listKeys()', await store.listKeys()],
      ['identity()', await store.identity()],
      ['exportIdentity()', await store.exportIdentity()],
      ['info()', idKey.info()],
      ...extra.map((v, i): [string, unknown] => [`extra #${i}`, v]),
    ];
    for (const [label, value] of values) {
      for (const text of renderings(value)) {
        for (const f of forbidden) expect(text, `${label} contains a secret`).not.toContain(f);
        expect(unexpectedLongRuns(text, allowed), label).toEqual([]);
      }
    }
    // Nothing on disk holds the passphrase, and no passphrase file was written for it.
    expect(existsSync(path.join(storeDir, '.passphrase'))).toBe(false);
    for (const { file, data } of await readTree(storeDir)) {
      for (const s of secrets) {
        for (const enc of encodings(s)) expect(data.includes(enc), file).toBe(false);
      }
    }
  }

  it('with the passphrase option: inspect/JSON of Keystore, keys, describe(), errors', async () => {
    const bad = await Keystore.open({ dir, passphrase: WRONG_PASS });
    let badErr: Error & { code?: string };
    try {
      badErr = await expectCode(() => bad.getKey('alpha'), 'E_BAD_PASSPHRASE');
    } finally {
      await bad.close();
    }
    expect(badErr.message).toMatch(/passphrase option/);
    for (const text of [badErr.message, String(badErr.stack)]) {
      expect(text).not.toContain(WRONG_PASS);
      expect(text).not.toContain(PASS);
    }
    const openErr = await caught(() => Keystore.open({ dir, passphrase: PASS, bogus: 1 } as never));
    const signer = await ks.getKey('signer');
    await assertNothingLeaks(ks, dir, [PASS, WRONG_PASS], [badErr, openErr, signer]);
  });

  it('with DEVICE_KEYSTORE_PASSPHRASE: same checks, and a wrong env passphrase', async () => {
    const envDir = await makeTempDir('env');
    process.env.DEVICE_KEYSTORE_PASSPHRASE = ENV_PASS;
    let store: Keystore | undefined;
    try {
      store = await Keystore.open({ dir: envDir });
      await store.init({ name: 'env-box' });
      const k = await store.createKey('env-key');
      await k.sign(msg, { format: 'p1363' });
      await store.secrets.set('token', 'sealed-token-value');

      process.env.DEVICE_KEYSTORE_PASSPHRASE = WRONG_ENV_PASS;
      const bad = await Keystore.open({ dir: envDir });
      let badErr: Error & { code?: string };
      try {
        badErr = await expectCode(() => bad.getKey('env-key'), 'E_BAD_PASSPHRASE');
      } finally {
        await bad.close();
      }
      expect(badErr.message).toContain('DEVICE_KEYSTORE_PASSPHRASE');
      for (const text of [badErr.message, String(badErr.stack)]) {
        expect(text).not.toContain(WRONG_ENV_PASS);
        expect(text).not.toContain(ENV_PASS);
      }
      process.env.DEVICE_KEYSTORE_PASSPHRASE = ENV_PASS;
      await assertNothingLeaks(store, envDir, [ENV_PASS, WRONG_ENV_PASS], [badErr, k]);
    } finally {
      await store?.close();
      delete process.env.DEVICE_KEYSTORE_PASSPHRASE;
      await removeDir(envDir);
    }
  });
});
