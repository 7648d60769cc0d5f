/**
 * What the store does on Windows and where hard links are missing (these run on Linux too, and
 * in the Windows leg: scripts/windows/test-leg.sh, and on windows-latest).
 */
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Keystore } from '../../../src/keystore';
import { defaultStoreDir } from '../../../src/store/paths';
import { writeFileAtomic } from '../../../src/store/atomic';
import { loadNative } from '../../../src/addon/load';
import { assertPrivateFile, untrustedGrants } from '../../../src/store/permissions';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { caught, expectCode, isolateEnv, makeTempDir, removeDir } from '../../helpers/file';
import { WINDOWS, WINE } from '../../helpers/windows-skips';

const execFileP = promisify(execFile);

let dir: string | undefined;
let restoreEnv: () => void;
beforeEach(async () => {
  restoreEnv = isolateEnv();
  process.env.DEVICE_KEYSTORE_PASSPHRASE = 'windows store test';
  dir = await makeTempDir('win');
});
afterEach(async () => {
  vi.restoreAllMocks();
  restoreEnv();
  await removeDir(dir);
});

describe('the default store directory', () => {
  it('is %LOCALAPPDATA%\\device-keystore on Windows, ~/.device-keystore elsewhere', () => {
    if (WINDOWS) {
      expect(defaultStoreDir()).toBe(path.join(process.env.LOCALAPPDATA!, 'device-keystore'));
    } else {
      expect(defaultStoreDir()).toBe(path.join(os.homedir(), '.device-keystore'));
    }
  });
});

describe('atomic writes', () => {
  it('replace a read-only target (what mode 0400 makes on Windows)', async () => {
    const file = path.join(dir!, 'ro.txt');
    await writeFileAtomic(file, 'one', 0o400);
    await writeFileAtomic(file, 'two', 0o400);
    expect(await fsp.readFile(file, 'utf8')).toBe('two');
    expect(((await fsp.stat(file)).mode & 0o200) === 0).toBe(true);
  });

  it('wait out a target that another process holds for a moment (EPERM/EBUSY on Windows)', async () => {
    const file = path.join(dir!, 'busy.txt');
    await writeFileAtomic(file, 'one', 0o600);
    const real = fsp.rename.bind(fsp);
    let failures = WINDOWS ? 3 : 0;
    vi.spyOn(fsp, 'rename').mockImplementation(async (from, to) => {
      if (failures-- > 0) throw Object.assign(new Error('EBUSY: resource busy'), { code: 'EBUSY' });
      return real(from, to);
    });
    await writeFileAtomic(file, 'two', 0o600);
    expect(await fsp.readFile(file, 'utf8')).toBe('two');
    expect((await fsp.readdir(dir!)).sort()).toEqual(['busy.txt']);
  });
});

describe('a volume without hard links (FAT, exFAT, some network shares)', () => {
  it('init, reopen and init again (E_EXISTS) work with link() refused', async () => {
    vi.spyOn(fsp, 'link').mockRejectedValue(
      Object.assign(new Error('ENOTSUP: operation not supported'), { code: 'ENOTSUP' }),
    );
    const store = path.join(dir!, 'store');
    const ks = await Keystore.open({ dir: store, backend: 'encrypted-file' });
    const identity = await ks.init({ name: 'no-links' });
    await ks.close();
    const again = await Keystore.open({ dir: store, backend: 'encrypted-file' });
    expect((await again.identity())?.deviceId).toBe(identity.deviceId);
    await expectCode(() => again.init({ name: 'second' }), 'E_EXISTS');
    await again.close();
    const names = await fsp.readdir(store);
    expect(names.filter((n) => n.startsWith('.lock') || n.endsWith('.staged'))).toEqual([]);
  });
});

const native = () => {
  const n = loadNative();
  if (!n.ok) throw new Error(`the addon did not load: ${n.error}`);
  return n.addon;
};

describe.runIf(WINDOWS)('Windows DACLs', () => {
  it('the addon loads, with the DACL calls, and reports a missing file as a raw Win32 status', async () => {
    const addon = native();
    expect(typeof addon.win32FileSecurity).toBe('function');
    expect(typeof addon.win32SetPrivateAcl).toBe('function');
    const err = await caught(() => addon.win32FileSecurity!(path.join(dir!, 'missing')));
    expect(err).toMatchObject({ call: 'GetNamedSecurityInfoW', domain: 'win32', status: 2 });
  });

  it('refuses a file Everyone can read with E_INSECURE_PERMISSIONS and an icacls fix', async () => {
    let file: string;
    if (native().wineVersion) {
      // Wine keeps no DACLs of its own: it shows the Unix mode as one (other-readable is
      // Everyone), so the leg's script made this file 0644 from the Linux side.
      file = process.env.DK_WIN_EVERYONE_FILE ?? '';
      expect(file, 'scripts/windows/test-leg.sh sets DK_WIN_EVERYONE_FILE').not.toBe('');
    } else {
      file = path.join(dir!, 'everyone.json');
      await fsp.writeFile(file, '{}');
      await execFileP('icacls', [file, '/grant', '*S-1-1-0:R']);
    }
    const err = await expectCode(
      () => assertPrivateFile(file, 'key file'),
      'E_INSECURE_PERMISSIONS',
    );
    expect(err.message).toContain('S-1-1-0');
    expect(err.hint).toContain(`icacls "${file}"`);
    expect(err.path).toBe(file);
    if (!native().wineVersion) {
      // The hint's command works: afterwards the file passes.
      await execFileP('cmd', ['/d', '/s', '/c', err.hint!.replace(/^run: /, '')]);
      await assertPrivateFile(file, 'key file');
    }
  });

  it.skipIf(WINE)(
    'the store gives its directories and files a protected DACL: the user, SYSTEM, Administrators',
    async () => {
      const store = path.join(dir!, 'store');
      const ks = await Keystore.open({ dir: store, backend: 'encrypted-file' });
      await ks.init({ name: 'dacl' });
      await ks.close();
      for (const rel of ['', 'keys', 'identity.json', 'file-master.json']) {
        const sec = native().win32FileSecurity!(path.join(store, rel));
        const granted = sec.aces.filter((a) => a.type === 'allow' && !a.inheritOnly);
        expect(untrustedGrants(sec), rel).toEqual([]);
        expect(
          granted.every((a) => !a.inherited || rel !== ''),
          rel,
        ).toBe(true);
      }
    },
  );
});
