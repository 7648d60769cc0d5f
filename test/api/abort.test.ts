/**
 * Long waits take an AbortSignal: waiting for the store lock, and waiting for the passphrase
 * derivation. An abort ends the wait with E_ABORTED (the reason as `cause`), writes nothing,
 * and leaves the store usable.
 */
import { verify as nodeVerify } from 'node:crypto';
import { existsSync, promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Keystore } from '../../src/index';
import { expectCode, makeTempDir, removeDir } from '../helpers/api';

const dirs: string[] = [];
afterEach(async () => {
  while (dirs.length) await removeDir(dirs.pop());
});

async function store(passphrase: string): Promise<Keystore> {
  const dir = await makeTempDir('abort');
  dirs.push(dir);
  return Keystore.open({ dir, backend: 'encrypted-file', passphrase, lockTimeoutMs: 60_000 });
}

/** A lock held by a live process (this one), as another writer would hold it. */
async function holdLock(dir: string): Promise<string> {
  const lock = path.join(dir, '.lock');
  await fsp.mkdir(dir, { recursive: true });
  const owner = { pid: process.pid, host: os.hostname(), token: 'held-by-the-test' };
  await fsp.writeFile(lock, JSON.stringify(owner), { mode: 0o600 });
  return lock;
}

describe('AbortSignal on the lock wait', () => {
  it('createKey, deleteKey, init, changePassphrase, secrets.set/delete: E_ABORTED, nothing written', async () => {
    const ks = await store('abort: lock wait');
    await ks.createKey('kept');
    await ks.secrets.set('kept', 'value');
    const lock = await holdLock(ks.dir);
    const before = await fsp.readdir(path.join(ks.dir, 'keys'));
    const calls: [string, (signal: AbortSignal) => Promise<unknown>][] = [
      ['createKey', (signal) => ks.createKey('new', { signal })],
      ['deleteKey', (signal) => ks.deleteKey('kept', { signal })],
      ['init', (signal) => ks.init({ name: 'x', signal })],
      ['changePassphrase', (signal) => ks.changePassphrase({ newPassphrase: 'n', signal })],
      ['secrets.set', (signal) => ks.secrets.set('new', 'v', { signal })],
      ['secrets.delete', (signal) => ks.secrets.delete('kept', { signal })],
    ];
    for (const [label, call] of calls) {
      const controller = new AbortController();
      const reason = new Error(`gave up on ${label}`);
      const started = Date.now();
      setTimeout(() => controller.abort(reason), 150);
      const err = await expectCode(() => call(controller.signal), 'E_ABORTED', label);
      expect(err.cause, label).toBe(reason);
      // Ended by the signal, not by the 60 s lock timeout.
      expect(Date.now() - started, label).toBeLessThan(30_000);
    }
    expect(await fsp.readdir(path.join(ks.dir, 'keys'))).toEqual(before);
    expect(existsSync(path.join(ks.dir, 'identity.json'))).toBe(false);
    // The other process's lock is untouched; once it is gone, the same calls work.
    expect(JSON.parse(await fsp.readFile(lock, 'utf8')).token).toBe('held-by-the-test');
    await fsp.rm(lock);
    expect((await ks.createKey('new', { signal: new AbortController().signal })).alias).toBe('new');
    expect((await ks.secrets.get('kept')).toString()).toBe('value');
    await ks.close();
  });

  it('an already aborted signal fails at once, even with the lock free', async () => {
    const ks = await store('abort: already');
    const signal = AbortSignal.abort();
    await expectCode(() => ks.createKey('k', { signal }), 'E_ABORTED');
    expect(existsSync(path.join(ks.dir, 'keys', 'k.json'))).toBe(false);
    await ks.close();
  });

  it('a signal that is not an AbortSignal is E_INVALID_ARGUMENT', async () => {
    const ks = await store('abort: bad');
    await expectCode(
      () => ks.createKey('k', { signal: 'soon' as unknown as AbortSignal }),
      'E_INVALID_ARGUMENT',
    );
    await ks.close();
  });
});

describe('AbortSignal on the unlock wait', () => {
  it('getKey and secrets.get end early; the unlock goes on and the next call gets the key', async () => {
    // A passphrase no other test uses: the derivation is not cached in this process yet.
    const passphrase = `abort: unlock ${process.pid} ${Date.now()}`;
    const ks = await store(passphrase);
    await ks.createKey('k');
    await ks.secrets.set('s', 'sealed');
    await ks.close();
    // The unlock above is cached for this process; a changed passphrase means a master with a
    // new salt, which only a new derivation opens.
    const fresh = await Keystore.open({ dir: ks.dir, backend: 'encrypted-file', passphrase });
    await fresh.changePassphrase({ newPassphrase: `${passphrase} v2` });
    await fresh.close();
    const reopened = await Keystore.open({
      dir: ks.dir,
      backend: 'encrypted-file',
      passphrase: `${passphrase} v2`,
    });
    await expectCode(
      () => reopened.getKey('k', { signal: AbortSignal.timeout(1) }),
      'E_ABORTED',
      'getKey',
    );
    await expectCode(
      () => reopened.secrets.get('s', { signal: AbortSignal.abort() }),
      'E_ABORTED',
      'secrets.get',
    );
    const key = await reopened.getKey('k');
    const sig = await key.sign('after the abort');
    expect(nodeVerify('sha256', Buffer.from('after the abort'), key.publicKey, sig)).toBe(true);
    expect((await reopened.secrets.get('s')).toString()).toBe('sealed');
    await reopened.close();
  });
});
