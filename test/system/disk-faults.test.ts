/**
 * Faults on disk, for real: a full volume (a small tmpfs mounted for the test, filled up to a
 * few free pages) during init, createKey, secrets.set and changePassphrase, and a store on a
 * read-only mount. Every failure is a KeystoreError carrying the errno; afterwards the store is
 * exactly the old state, still opens and signs, and the same call works once there is room.
 * Mounting needs root (CI runs as root); elsewhere the file is skipped with that reason.
 */
import { execFileSync } from 'node:child_process';
import { verify as cryptoVerify } from 'node:crypto';
import { closeSync, openSync, promises as fsp, writeSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keystore, isKeystoreError } from '../../src/index';
import { expectSameSnapshot, snapshotDir } from '../helpers/file';
import { withoutKeystoreEnv } from '../helpers/api';

withoutKeystoreEnv();

const PASS = 'disk-faults passphrase';
const PAGE = 4096;
const isRoot = process.getuid?.() === 0;
const tally: Record<string, { failed: number; succeededAt: number | undefined }> = {};

let base: string;
let mnt: string;

beforeAll(async () => {
  if (!isRoot) return;
  base = await fsp.mkdtemp(path.join(os.tmpdir(), 'dk-disk-'));
  mnt = path.join(base, 'mnt');
  await fsp.mkdir(mnt);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0700', 'tmpfs', mnt]);
});

afterAll(async () => {
  if (!isRoot) return;
  execFileSync('umount', ['-l', mnt]);
  await fsp.rm(base, { recursive: true, force: true });
  console.log(`ENOSPC tally (free pages when the call first succeeded): ${JSON.stringify(tally)}`);
});

/** Fill the volume, then give back `pages` free pages; returns the filler's path. */
function fillLeaving(dir: string, pages: number): string {
  const filler = path.join(dir, `filler-${pages}`);
  const fd = openSync(filler, 'w');
  const chunk = Buffer.alloc(PAGE, 0x5a);
  let written = 0;
  try {
    for (;;) written += writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
  execFileSync('truncate', ['-s', String(Math.max(0, written - pages * PAGE)), filler]);
  return filler;
}

async function expectSigns(dir: string, alias?: string): Promise<void> {
  const ks = await Keystore.open({ dir, backend: 'encrypted-file', passphrase: PASS });
  try {
    const key = alias ? await ks.getKey(alias) : await ks.identityKey();
    const sig = await key.sign('still works');
    expect(cryptoVerify('sha256', Buffer.from('still works'), key.publicKey, sig)).toBe(true);
  } finally {
    await ks.close();
  }
}

/**
 * Run `op` on the store with 0, 1, 2, ... free pages until it succeeds. Each failure must be
 * E_IO with errno ENOSPC and leave the store byte for byte as it was.
 */
async function withFullDisk(
  label: string,
  dir: string,
  op: (ks: Keystore) => Promise<unknown>,
  opts: { passphrase?: string } = {},
): Promise<void> {
  tally[label] = { failed: 0, succeededAt: undefined };
  for (let pages = 0; pages <= 64; pages++) {
    const before = await snapshotDir(dir);
    const filler = fillLeaving(mnt, pages);
    const ks = await Keystore.open({
      dir,
      backend: 'encrypted-file',
      ...('passphrase' in opts
        ? opts.passphrase
          ? { passphrase: opts.passphrase }
          : {}
        : { passphrase: PASS }),
    });
    let error: unknown;
    try {
      await op(ks);
    } catch (err) {
      error = err;
    } finally {
      await ks.close();
      await fsp.rm(filler);
    }
    if (error === undefined) {
      tally[label]!.succeededAt = pages;
      return;
    }
    expect(isKeystoreError(error), `${label}, ${pages} pages: ${String(error)}`).toBe(true);
    const e = error as { code: string; errno?: string; message: string };
    expect(e.code, `${label}, ${pages} pages: ${e.message}`).toBe('E_IO');
    expect(e.errno, `${label}, ${pages} pages: ${e.message}`).toBe('ENOSPC');
    expect(e.message).toMatch(/free some space/);
    expectSameSnapshot(await snapshotDir(dir), before, `${label}, ${pages} free pages`);
    tally[label]!.failed++;
  }
  throw new Error(`${label} never succeeded, even with 64 free pages`);
}

describe.skipIf(!isRoot)('a full disk (tmpfs, root only)', () => {
  it('init: every failure leaves nothing, then it succeeds and signs', async () => {
    const dir = path.join(mnt, 'init');
    await fsp.mkdir(dir, { mode: 0o700 });
    await withFullDisk('init', dir, (ks) => ks.init({ name: 'full-disk' }));
    expect(tally.init!.failed).toBeGreaterThan(0);
    await expectSigns(dir);
  });

  it('createKey, secrets.set and changePassphrase: the old state, then the new one', async () => {
    const dir = path.join(mnt, 'ops');
    const ks = await Keystore.open({ dir, backend: 'encrypted-file', passphrase: PASS });
    await ks.init({ name: 'full-disk-ops' });
    await ks.secrets.set('kept', 'the old value');
    await ks.close();

    // The first secret also makes the store's sealing key: a failure takes that back too.
    const first = path.join(mnt, 'first-secret');
    const f = await Keystore.open({ dir: first, backend: 'encrypted-file', passphrase: PASS });
    await f.init({ name: 'first-secret' });
    await f.close();
    await withFullDisk('first secrets.set', first, (k) => k.secrets.set('first', 'value'));
    const fr = await Keystore.open({ dir: first, backend: 'encrypted-file', passphrase: PASS });
    expect((await fr.secrets.get('first')).toString()).toBe('value');
    await fr.close();

    await withFullDisk('createKey', dir, (k) => k.createKey('made-on-a-full-disk'));
    await expectSigns(dir, 'made-on-a-full-disk');

    await withFullDisk('secrets.set', dir, (k) => k.secrets.set('kept', 'a new value'));
    const reader = await Keystore.open({ dir, backend: 'encrypted-file', passphrase: PASS });
    expect((await reader.secrets.get('kept')).toString()).toBe('a new value');
    await reader.close();

    await withFullDisk('changePassphrase', dir, (k) =>
      k.changePassphrase({ newPassphrase: `${PASS} v2` }),
    );
    // The change went through: the new passphrase opens it, and it signs.
    const after = await Keystore.open({
      dir,
      backend: 'encrypted-file',
      passphrase: `${PASS} v2`,
    });
    const sig = await (await after.identityKey()).sign('v2');
    expect(sig.length).toBeGreaterThan(0);
    await after.close();
    // With a generated passphrase file, the new one goes to .passphrase.next first: a failed
    // change must take it back too.
    const gen = path.join(mnt, 'generated');
    const g = await Keystore.open({ dir: gen, backend: 'encrypted-file' });
    await g.init({ name: 'generated-passphrase' });
    await g.close();
    await withFullDisk('changePassphrase (generated)', gen, (k) => k.changePassphrase(), {
      passphrase: undefined,
    });
    const g2 = await Keystore.open({ dir: gen, backend: 'encrypted-file' });
    expect((await (await g2.identityKey()).sign('generated')).length).toBeGreaterThan(0);
    await g2.close();
    for (const label of [
      'createKey',
      'secrets.set',
      'changePassphrase',
      'changePassphrase (generated)',
    ]) {
      expect(tally[label]!.failed, label).toBeGreaterThan(0);
    }
  });
});

describe.skipIf(!isRoot)('a read-only store (a read-only bind mount, root only)', () => {
  it('writes fail with E_IO naming the store and errno EROFS; reads still work', async () => {
    const dir = path.join(base, 'ro-store');
    const ks = await Keystore.open({ dir, backend: 'encrypted-file', passphrase: PASS });
    await ks.init({ name: 'read-only' });
    await ks.createKey('k');
    await ks.secrets.set('s', 'readable');
    await ks.close();
    const before = await snapshotDir(dir);
    execFileSync('mount', ['--bind', dir, dir]);
    try {
      execFileSync('mount', ['-o', 'remount,bind,ro', dir]);
      const ro = await Keystore.open({ dir, backend: 'encrypted-file', passphrase: PASS });
      try {
        const writes: [string, () => Promise<unknown>][] = [
          ['createKey', () => ro.createKey('new')],
          ['deleteKey', () => ro.deleteKey('k')],
          ['secrets.set', () => ro.secrets.set('s2', 'x')],
          ['secrets.delete', () => ro.secrets.delete('s')],
          ['init --force', () => ro.init({ name: 'x', force: true })],
        ];
        for (const [label, call] of writes) {
          let error: unknown;
          await call().catch((err: unknown) => (error = err));
          const e = error as { code?: string; errno?: string; message?: string };
          expect(e?.code, `${label}: ${String(error)}`).toBe('E_IO');
          expect(e.errno, label).toBe('EROFS');
          expect(e.message, label).toContain(dir);
        }
        // Reads need no write.
        const key = await ro.getKey('k');
        const sig = await key.sign('read-only');
        expect(cryptoVerify('sha256', Buffer.from('read-only'), key.publicKey, sig)).toBe(true);
        expect((await ro.secrets.get('s')).toString()).toBe('readable');
        expect((await ro.identity()).name).toBe('read-only');
        expect((await ro.listKeys()).length).toBe(2);
      } finally {
        await ro.close();
      }
    } finally {
      execFileSync('umount', [dir]);
    }
    expectSameSnapshot(await snapshotDir(dir), before, 'after the read-only mount');
  });
});
