/**
 * A macOS tier end to end, on a real Mac (the GitHub macOS runners): forced with
 * DEVICE_KEYSTORE_BACKEND=keychain (default) or =secure-enclave. Create, sign and verify with
 * node:crypto and noble, ECDH equal to node:crypto's, a second process that finds the key,
 * sealed secrets, the public-key check on reload, the error contract (code, osStatus, the
 * Security framework's own message), delete. Run by .github/workflows/macos.yml through
 * vitest.config.mts's macos project (vitest run --project macos); never part of the Linux suite.
 */
import {
  createHash,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  verify as nodeVerify,
} from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { p256 } from '@noble/curves/p256';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keystore, type DeviceKey } from '../../../src/index';
import { macosSupport, type NativeMacSecurity } from '../../../src/addon/apple';
import { parseKeyData, sealTagFor } from '../../../src/tiers/apple/records';
import type { TierName } from '../../../src/core/tiers';
import {
  readKeyRecord,
  readSecretRecord,
  writeKeyRecord,
  writeSecretRecord,
} from '../../../src/store/key-records';
import {
  HALF_N,
  caught,
  expectCode,
  makeTempDir,
  removeDir,
  rsFromDer,
  runNode,
} from '../../helpers/apple';

const FORCED = (process.env.DEVICE_KEYSTORE_BACKEND ?? 'keychain') as TierName;
const FIXTURE = path.join(__dirname, '..', '..', 'fixtures', 'apple', 'use-key.cjs');
const ALIAS = 'ci-key';
const MESSAGE = Buffer.from('hello from the macOS runner');

let dir: string;
let ks: Keystore;
let key: DeviceKey;
let native: NativeMacSecurity;

function keyPath(alias: string): string {
  return path.join(dir, 'keys', `${alias}.json`);
}

describe(`the ${FORCED} tier on macOS`, () => {
  beforeAll(async () => {
    expect(process.platform).toBe('darwin');
    expect(['keychain', 'secure-enclave']).toContain(FORCED);
    const support = macosSupport();
    if (!support.ok) throw new Error(`the macOS tiers are not usable: ${support.reason}`);
    native = support.open();
    dir = await makeTempDir(FORCED);
    ks = await Keystore.open({ dir, backend: FORCED });
  });

  afterAll(async () => {
    // Leave nothing in the keychain: every key, then the store's sealing key.
    for (const info of (await ks?.listKeys().catch(() => [])) ?? []) {
      await ks.deleteKey(info.alias).catch(() => {});
    }
    await ks?.close();
    if (native && dir && FORCED === 'keychain') {
      const tag = sealTagFor(await fsp.realpath(dir));
      await native.deleteKeys({ kind: 'keychain', tag: Buffer.from(tag) }).catch(() => {});
    }
    await native?.close();
    await removeDir(dir);
  });

  it('opens forced, and describe() tells the truth about the tier', async () => {
    expect(ks.tier).toBe(FORCED);
    const d = await ks.describe();
    const chosen = d.tiers.find((t) => t.chosen)!;
    expect(chosen.tier).toBe(FORCED);
    expect(chosen.status).toBe('available');
    if (FORCED === 'keychain') {
      expect(d).toMatchObject({
        hardwareBacked: false,
        extractable: true,
        extractableBy: 'os-account-owner',
      });
      expect(d.warnings.join('\n')).toMatch(/account owner can export/);
    } else {
      expect(d).toMatchObject({
        hardwareBacked: true,
        extractable: false,
        extractableBy: 'nobody',
      });
      expect(chosen.reason).toMatch(/Secure Enclave/);
    }
  });

  it('creates a key whose record is 0600 and names how the key is kept', async () => {
    key = await ks.createKey(ALIAS);
    expect(key.tier).toBe(FORCED);
    expect((await fsp.stat(keyPath(ALIAS))).mode & 0o777).toBe(0o600);
    const record = await readKeyRecord(keyPath(ALIAS), ALIAS);
    const data = parseKeyData(record, keyPath(ALIAS));
    // Plain node carries no keychain-access-groups entitlement: the SE key is a blob.
    expect(data.kind).toBe(FORCED === 'keychain' ? 'keychain' : 'se-blob');
    expect(record.publicKey.equals(key.exportPublicKey('raw'))).toBe(true);
  });

  it('signs: DER and P1363, low-S, verified by node:crypto and by noble (prehashed)', async () => {
    const pub = key.publicKey;
    for (let i = 0; i < 12; i++) {
      const der = await key.sign(MESSAGE);
      expect(nodeVerify('sha256', MESSAGE, pub, der)).toBe(true);
      expect(rsFromDer(der).s <= HALF_N).toBe(true);
      const p1363 = await key.sign(MESSAGE, { format: 'p1363' });
      expect(nodeVerify('sha256', MESSAGE, { key: pub, dsaEncoding: 'ieee-p1363' }, p1363)).toBe(
        true,
      );
    }
    const digest = createHash('sha256').update(MESSAGE).digest();
    const pre = await key.sign(digest, { prehashed: true, format: 'p1363' });
    expect(p256.verify(pre, digest, key.exportPublicKey('raw'), { prehash: false })).toBe(true);
    expect(nodeVerify('sha256', Buffer.from('other'), pub, await key.sign(MESSAGE))).toBe(false);
  });

  it('derives the same ECDH secret as node:crypto', async () => {
    for (let i = 0; i < 4; i++) {
      const peer = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const ours = await key.ecdh(peer.publicKey);
      const theirs = diffieHellman({ privateKey: peer.privateKey, publicKey: key.publicKey });
      expect(ours.length).toBe(32);
      expect(ours.equals(theirs)).toBe(true);
    }
  });

  it('is found again by a new process, which signs with it', async () => {
    const out = await runNode(FIXTURE, [dir, FORCED, ALIAS]);
    expect(out.code, out.stderr).toBe(0);
    const child = JSON.parse(out.stdout);
    expect(child.tier).toBe(FORCED);
    expect(child.publicKey).toBe(key.exportPublicKey('pem'));
    const ok = nodeVerify(
      'sha256',
      Buffer.from('signed in a child process'),
      createPublicKey(child.publicKey),
      Buffer.from(child.signature, 'base64'),
    );
    expect(ok).toBe(true);
  });

  it('seals and unseals a secret, here and in a new process, bound to its name', async () => {
    await ks.secrets.set('api-token', 'tok_0123456789');
    expect((await ks.secrets.get('api-token')).toString()).toBe('tok_0123456789');
    const out = await runNode(FIXTURE, [dir, FORCED, ALIAS, 'api-token']);
    expect(out.code, out.stderr).toBe(0);
    expect(JSON.parse(out.stdout).secret).toBe('tok_0123456789');

    // The same ciphertext filed under another name is refused: the name is sealed with it.
    const file = path.join(dir, 'secrets', 'api-token.json');
    const record = await readSecretRecord(file, 'api-token');
    await writeSecretRecord(path.join(dir, 'secrets', 'copied.json'), {
      ...record,
      name: 'copied',
    });
    await expectCode(() => ks.secrets.get('copied'), 'E_CORRUPT');
    await ks.secrets.delete('copied');
  });

  it('checks every reload against the stored public key (E_CORRUPT otherwise)', async () => {
    const other = await ks.createKey('other-key');
    const mine = await readKeyRecord(keyPath(ALIAS), ALIAS);
    const theirs = await readKeyRecord(keyPath('other-key'), 'other-key');
    // other-key's record now claims ALIAS's public key: its keychain item or SE blob must be
    // caught holding a different key. A fresh Keystore, so nothing is served from a cache.
    await writeKeyRecord(keyPath('other-key'), { ...theirs, publicKey: mine.publicKey });
    const fresh = await Keystore.open({ dir, backend: FORCED });
    try {
      const err = await expectCode(() => fresh.getKey('other-key'), 'E_CORRUPT');
      expect(err.message).toMatch(/different key/);
      if (FORCED === 'secure-enclave') {
        // A damaged blob: SecKeyCreateWithData fails, or quietly makes a new key. Either way
        // the key must not load.
        const blob = Buffer.from(String(theirs.backendData.blob), 'base64url');
        blob[blob.length >> 1] ^= 0x5a;
        await writeKeyRecord(keyPath('other-key'), {
          ...theirs,
          backendData: { ...theirs.backendData, blob: blob.toString('base64url') },
        });
        await expectCode(() => fresh.getKey('other-key'), 'E_CORRUPT');
      }
    } finally {
      await fresh.close();
    }
    await writeKeyRecord(keyPath('other-key'), theirs);
    await ks.deleteKey(other.alias);
  });

  it('turns an OSStatus into a stable code with the raw status and the OS message', async () => {
    const err = await caught(() =>
      native.findKeys({ kind: 'keychain', tag: Buffer.from('device-keystore/key/none/0') }),
    );
    expect(err.code).toBe('E_NOT_FOUND');
    expect(err.osStatus).toBe(-25300);
    expect(err.message).toMatch(
      /SecItemCopyMatching failed: .*could not be found.*\(OSStatus -25300\)/i,
    );
    expect(err.hint).toBeTruthy();
  });

  it('counts the keychain items it deletes, and deletes none the second time', async () => {
    if (FORCED !== 'keychain') return;
    const spec = {
      kind: 'keychain' as const,
      tag: Buffer.from(`device-keystore/key/count/${Date.now()}`),
    };
    const made = await native.createKey({ ...spec, label: 'device-keystore: count' });
    expect(made.publicKey.length).toBe(65);
    const found = await native.findKeys(spec);
    expect(found.length).toBe(1);
    // The private key item at least; a public key item stored beside it counts too.
    const n = await native.deleteKeys(spec);
    expect(n).toBeGreaterThanOrEqual(1);
    expect(n).toBeLessThanOrEqual(2);
    expect(await native.deleteKeys(spec)).toBe(0);
    await expectCode(() => native.findKeys(spec), 'E_NOT_FOUND');
  });

  it('deletes the key: gone here, in a new process, and from the keychain', async () => {
    const record = await readKeyRecord(keyPath(ALIAS), ALIAS);
    const data = parseKeyData(record, keyPath(ALIAS));
    await ks.deleteKey(ALIAS);
    await expectCode(() => ks.getKey(ALIAS), 'E_NOT_FOUND');
    const out = await runNode(FIXTURE, [dir, FORCED, ALIAS]);
    expect(out.code).toBe(1);
    expect(JSON.parse(out.stderr).code).toBe('E_NOT_FOUND');
    if (data.kind !== 'se-blob') {
      const err = await caught(() =>
        native.findKeys({ kind: data.kind, tag: Buffer.from(data.tag) }),
      );
      expect(err.code).toBe('E_NOT_FOUND');
      expect(err.osStatus).toBe(-25300);
    }
  });
});
