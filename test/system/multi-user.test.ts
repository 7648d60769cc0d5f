/**
 * A store that more than one OS user touches (a service account and an admin), with real distinct
 * uids (setpriv) and a shared group directory. Nothing may be lost, and each refusal names its
 * real cause and fix: another user's live lock is waited for and then named (E_LOCKED with the
 * user), a lock left by a killed process is taken over by its owner's next call, and the other
 * user's `sign` names the permission it lacks (E_PERMISSION), never E_NOT_INITIALIZED.
 */
import { spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  asUserArgv,
  canSwitchUsers,
  portableInstall,
  runAs,
  type PortableInstall,
} from '../helpers/other-user';

const SWITCH = canSwitchUsers();
const GROUP = 64100;
const SERVICE = { uid: 64101, gid: GROUP };
const ADMIN = { uid: 64102, gid: GROUP };
const PASS = 'multi-user: Puffin-Ridge-3141-anchors';

let install: PortableInstall;
let base: string;

function cli(user: typeof SERVICE, args: string[], timeoutMs = 60_000) {
  const started = Date.now();
  const r = runAs(user, [install.cli, ...args, '--json'], {
    env: { DEVICE_KEYSTORE_PASSPHRASE: PASS },
    timeoutMs,
  });
  let json: Record<string, any> = {};
  try {
    json = JSON.parse(r.stdout) as Record<string, any>;
  } catch {
    json = { unparsed: r.stdout, stderr: r.stderr };
  }
  return { status: r.status, json, ms: Date.now() - started, text: `${r.stdout}${r.stderr}` };
}

/** A directory owned by the service account and shared with its group (setgid, 2770). */
function sharedStore(name: string, mode = 0o2770): string {
  const dir = path.join(base, name);
  mkdirSync(dir);
  chownSync(dir, SERVICE.uid, GROUP);
  chmodSync(dir, mode);
  const init = cli(SERVICE, ['init', '--name', name, '--dir', dir, '--backend', 'encrypted-file']);
  expect(init.status, init.text).toBe(0);
  return dir;
}

/** A process of `user` that holds the store lock until killed; resolves once it holds it. */
function holdLock(user: typeof SERVICE, dir: string): Promise<{ pid: number; kill(): void }> {
  const script = `require(${JSON.stringify(path.join(install.root, 'dist', 'store', 'lock.js'))})
    .withLock(${JSON.stringify(path.join(dir, '.lock'))}, () => { console.log('held'); return new Promise(() => {}); });`;
  const child = spawn('setpriv', asUserArgv(user, ['-e', script]), {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.stdout.once('data', () =>
      resolve({ pid: child.pid!, kill: () => child.kill('SIGKILL') }),
    );
  });
}

async function killed(holder: { kill(): void }, dir: string): Promise<void> {
  holder.kill();
  // The lock file stays behind: that is the point.
  await new Promise((r) => setTimeout(r, 200));
  expect(existsSync(path.join(dir, '.lock'))).toBe(true);
}

beforeAll(() => {
  if (!SWITCH.ok) return;
  install = portableInstall('multi-user');
  base = mkdtempSync(path.join(os.tmpdir(), 'dk-multi-user-'));
  chmodSync(base, 0o755);
});
afterAll(() => {
  install?.remove();
  if (base) rmSync(base, { recursive: true, force: true });
});

describe.skipIf(!SWITCH.ok)(
  `two OS users on one store${SWITCH.ok ? '' : ` (skipped: ${SWITCH.why})`}`,
  () => {
    it("the other user's sign names the permission it lacks, not E_NOT_INITIALIZED", () => {
      const dir = sharedStore('perm');
      const r = cli(ADMIN, ['sign', '--dir', dir, '--in', '/etc/hostname']);
      expect(r.json.error?.code, r.text).toBe('E_PERMISSION');
      expect(r.json.error.message).toContain(path.join(dir, 'identity.json'));
      expect(r.json.error.message).toMatch(
        /belongs to uid 64101; this process runs as uid 64102, which may not read it/,
      );
      expect(r.json.error.hint).toMatch(/run as the store's owner \(sudo -u #64101/);
      // A private (0700) store: the directory itself is what stops the other user.
      chmodSync(dir, 0o700);
      const closed = cli(ADMIN, ['sign', '--dir', dir, '--in', '/etc/hostname']);
      expect(closed.json.error?.code, closed.text).toBe('E_PERMISSION');
      expect(closed.json.error.message).toMatch(/which may not enter it/);
      // The owner still signs: nothing was lost.
      expect(cli(SERVICE, ['sign', '--dir', dir, '--in', '/etc/hostname']).status).toBe(0);
    });

    it("another user's live lock is waited for, then named with its user", async () => {
      const dir = sharedStore('live');
      const holder = await holdLock(SERVICE, dir);
      try {
        const r = cli(ADMIN, ['create-key', 'k', '--dir', dir, '--lock-timeout', '800']);
        expect(r.json.error?.code, r.text).toBe('E_LOCKED');
        expect(r.ms).toBeGreaterThanOrEqual(800);
        expect(r.json.error.message).toContain(`held by pid ${holder.pid} of user uid 64101`);
        expect(r.json.error.hint).toMatch(/another OS user is working on this store/);
      } finally {
        holder.kill();
      }
    });

    it("a killed process's lock is taken over by its owner's next call", async () => {
      const dir = sharedStore('stale');
      await killed(await holdLock(SERVICE, dir), dir);
      const r = cli(SERVICE, ['create-key', 'k', '--dir', dir, '--lock-timeout', '5000']);
      expect(r.status, r.text).toBe(0);
    });

    it("the other user takes a dead process's lock over where it may, and names the owner where it may not", async () => {
      const dir = sharedStore('stale-other');
      await killed(await holdLock(SERVICE, dir), dir);
      // The group may write the directory: the lock is taken over, and what stops the admin
      // next is the service account's private key directory, named.
      const r = cli(ADMIN, ['create-key', 'k', '--dir', dir, '--lock-timeout', '5000']);
      expect(r.json.error?.code, r.text).toBe('E_PERMISSION');
      expect(r.json.error.message).toMatch(/keys .*belongs to uid 64101/);

      // With the sticky bit (as in /tmp) only the owner may remove its lock: said at once.
      const sticky = sharedStore('stale-sticky', 0o3770);
      const holder = await holdLock(SERVICE, sticky);
      await killed(holder, sticky);
      const refused = cli(ADMIN, ['create-key', 'k', '--dir', sticky, '--lock-timeout', '5000']);
      expect(refused.json.error?.code, refused.text).toBe('E_LOCKED');
      expect(refused.ms).toBeLessThan(4000);
      expect(refused.json.error.message).toContain(
        `locked by pid ${holder.pid} of user uid 64101, which is no longer running`,
      );
      expect(refused.json.error.hint).toMatch(
        /command on this store as uid 64101 \(its next call takes the stale lock over\)/,
      );
      expect(cli(SERVICE, ['create-key', 'k', '--dir', sticky]).status).toBe(0);
    });

    it('an unreadable lock of an earlier version is named, and its owner clears it', () => {
      const dir = sharedStore('legacy-lock');
      const lock = path.join(dir, '.lock');
      writeFileSync(lock, JSON.stringify({ pid: 999_999, host: os.hostname(), token: 'x' }));
      chownSync(lock, SERVICE.uid, GROUP);
      chmodSync(lock, 0o600);
      const r = cli(ADMIN, ['create-key', 'k', '--dir', dir, '--lock-timeout', '500']);
      expect(r.json.error?.code, r.text).toBe('E_LOCKED');
      expect(r.json.error.message).toMatch(/whose lock file this user may not read/);
      expect(r.json.error.hint).toMatch(
        /run any device-keystore command on this store as uid 64101 \(it takes the stale lock over\)/,
      );
      expect(cli(SERVICE, ['create-key', 'k', '--dir', dir]).status).toBe(0);
    });
  },
);
