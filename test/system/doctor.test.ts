import { execFileSync } from 'node:child_process';
import { createPublicKey, verify } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keystore, isKeystoreError } from '../../src/index';
import { formatTpmDiagnostics } from '../../src/doctor/tpm';
import { Swtpm } from '../helpers/swtpm';
import { portableInstall } from '../helpers/other-user';

// doctor's TPM report against a real swtpm, and the owner-auth option for a TPM whose owner
// hierarchy has a password (set with tpm2-tools, the outside implementation).

let tpm: Swtpm;
const temp = mkdtempSync(path.join(tmpdir(), 'dk-doctor-'));
const OWNER_PASSWORD = 'owner-secret-123';

beforeAll(async () => {
  tpm = await Swtpm.start();
});
afterAll(async () => {
  await tpm?.stop();
  rmSync(temp, { recursive: true, force: true });
});

function tpm2Tools(args: string[]): void {
  execFileSync(args[0]!, args.slice(1), {
    env: { ...process.env, TPM2TOOLS_TCTI: tpm.tcti },
    stdio: 'pipe',
  });
}

describe('doctor, TPM section', () => {
  it('reports transport, tss2 libraries, manufacturer, firmware, lockout and owner password', async () => {
    const ks = await Keystore.open({ dir: path.join(temp, 'a'), tcti: tpm.tcti });
    try {
      const d = await ks.tpmDiagnostics();
      expect(d.tcti).toBe(tpm.tcti);
      expect(d.tctiSource).toBe('option');
      expect(d.addon.loaded).toBe(true);
      expect(d.tss2.ok).toBe(true);
      expect(d.tss2.libraries.map((l) => l.soname)).toEqual([
        'libtss2-esys.so.0',
        'libtss2-tctildr.so.0',
        'libtss2-rc.so.0',
        'libtss2-mu.so.0',
      ]);
      // swtpm is IBM's reference implementation.
      expect(d.tpm?.manufacturer).toBe('IBM');
      expect(d.tpm?.firmwareVersion).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      expect(d.tpm?.inLockout).toBe(false);
      expect(d.tpm?.lockoutCounter).toBe(0);
      expect(d.tpm?.maxAuthFail).toBeGreaterThan(0);
      // swtpm's defaults: 1000 s each.
      expect(d.tpm?.lockoutInterval).toBeGreaterThan(0);
      expect(d.tpm?.lockoutRecovery).toBeGreaterThan(0);
      expect(d.dictionaryAttackWarning).toMatch(/unclean power loss/);
      expect(d.tpm?.ownerAuthSet).toBe(false);
      expect(d.ownerAuthNeeded).toBe(false);
      expect(d.user.uid).toBe(process.getuid!());
      const text = formatTpmDiagnostics(d).join('\n');
      expect(text).toContain('manufacturer IBM');
      expect(text).toContain('owner hierarchy password: not set');
      expect(text).toMatch(
        /counter 0 of \d+ .*every \d+ s \(LOCKOUT_INTERVAL\).*after \d+ s \(LOCKOUT_RECOVERY\)/,
      );
      expect(text).toMatch(/warning: keys made with a PIN are not noDA.*unclean power loss/);
    } finally {
      await ks.close();
    }
  });

  it('reports a missing device node and an unreachable TPM with their reasons', async () => {
    const ks = await Keystore.open({
      dir: path.join(temp, 'b'),
      tcti: 'device:/dev/nonexistent-tpm',
      passphrase: 'x',
    });
    try {
      const d = await ks.tpmDiagnostics();
      expect(d.device).toEqual({ path: '/dev/nonexistent-tpm', exists: false });
      expect(d.tpmError?.code).toBe('E_TPM_UNAVAILABLE');
      expect(formatTpmDiagnostics(d).join('\n')).toContain('/dev/nonexistent-tpm does not exist');
      const tier = (await ks.describe()).tiers.find((t) => t.tier === 'tpm2');
      expect(tier?.status).toBe('unavailable');
      expect(tier?.reason).toMatch(/nonexistent-tpm/);
    } finally {
      await ks.close();
    }
  });
});

describe('an owner hierarchy with a password', () => {
  it('doctor says so; creating keys needs tpmOwnerAuth and then works', async () => {
    // swtpm serves one client at a time: no keystore of ours is open while tpm2-tools runs.
    tpm2Tools(['tpm2_changeauth', '-c', 'owner', OWNER_PASSWORD]);
    try {
      const dir = path.join(temp, 'owner');
      const without = await Keystore.open({ dir, tcti: tpm.tcti, backend: 'tpm2' });
      try {
        const d = await without.tpmDiagnostics();
        expect(d.tpm?.ownerAuthSet).toBe(true);
        expect(d.ownerAuthNeeded).toBe(true);
        const err = await without.createKey('k').catch((e: unknown) => e);
        expect(isKeystoreError(err, 'E_TPM_AUTH'), String(err)).toBe(true);
        expect(typeof (err as { tpmRc?: number }).tpmRc).toBe('number');
        expect((err as Error).message).toMatch(/authorization/);
        expect((err as { hint?: string }).hint).toMatch(/tpmOwnerAuth/);
      } finally {
        await without.close();
      }

      const withAuth = await Keystore.open({
        dir,
        tcti: tpm.tcti,
        backend: 'tpm2',
        tpmOwnerAuth: OWNER_PASSWORD,
      });
      try {
        const key = await withAuth.createKey('k');
        const sig = await key.sign('hello');
        expect(
          verify('sha256', Buffer.from('hello'), createPublicKey(key.exportPublicKey('pem')), sig),
        ).toBe(true);
        expect((await withAuth.tpmDiagnostics()).ownerAuthNeeded).toBe(false);
      } finally {
        await withAuth.close();
      }
    } finally {
      tpm2Tools(['tpm2_changeauth', '-c', 'owner', '-p', OWNER_PASSWORD]);
    }
  });
});

describe('a TPM device node this user cannot open', () => {
  // Root opens anything, so the check runs in a child process as the unprivileged `nobody`.
  it.runIf(process.getuid?.() === 0)(
    'is E_TPM_PERMISSION with the group hint; detection and a forced tier report it',
    () => {
      const dev = path.join(temp, 'tpmrm0');
      writeFileSync(dev, '');
      chmodSync(dev, 0o660);
      chmodSync(temp, 0o755);
      // `nobody` cannot read a checkout under a 0700 home: it runs a world-readable copy.
      const install = portableInstall('doctor');
      const script = `
        const { Keystore } = require(${JSON.stringify(install.index)});
        (async () => {
          const err = await Keystore.open({ dir: '/tmp/never-used-${process.pid}', backend: 'tpm2', tcti: 'device:${dev}' })
            .then(() => null, (e) => e);
          const auto = await Keystore.open({ dir: '/tmp/never-used-${process.pid}', tcti: 'device:${dev}', passphrase: 'x' });
          const tier = (await auto.describe()).tiers.find((t) => t.tier === 'tpm2');
          const diag = await auto.tpmDiagnostics();
          console.log(JSON.stringify({ code: err && err.code, message: err && err.message, tier, diag }));
        })();`;
      let out: string;
      try {
        out = execFileSync(process.execPath, ['-e', script], {
          uid: 65534,
          gid: 65534,
          encoding: 'utf8',
        });
      } finally {
        install.remove();
      }
      const result = JSON.parse(out) as {
        code: string;
        message: string;
        tier: { status: string; reason: string };
        diag: { tpmError?: { code: string }; device?: { readWriteByThisUser?: boolean } };
      };
      // A forced tier that is unavailable is E_BACKEND_UNAVAILABLE, with the TPM's reason...
      expect(result.code).toBe('E_BACKEND_UNAVAILABLE');
      // ...and the TPM layer's own code is what doctor shows.
      expect(result.diag.tpmError?.code).toBe('E_TPM_PERMISSION');
      expect(result.diag.device?.readWriteByThisUser).toBe(false);
      expect(result.message).toMatch(/cannot open it/);
      expect(result.message).toMatch(/usermod -aG tss/);
      expect(result.tier.status).toBe('unavailable');
      expect(result.tier.reason).toMatch(/tss/);
    },
  );
});
