/**
 * The passphrase as a systemd service credential ($CREDENTIALS_DIRECTORY/<name>): read in its place
 * in the passphrase order, never written to the store, never printed. The directory is laid out
 * as systemd lays it out (read-only directory, 0400 file); where `systemd-creds` works, the
 * credential is also encrypted and decrypted by systemd's own tool, and where `systemd-run` works
 * (systemd as PID 1), a real transient service loads it.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readTree } from '../helpers/api';
import { CLI, TempDirs, describeResult, jsonOf, runCli } from '../helpers/proc';

const NAME = 'device-keystore-passphrase';
const PASS = 'credential: Kestrel-Harbour-6022-lanterns';
const temps = new TempDirs();
/** Read-only directories, opened again so that a non-root run can remove them. */
const readOnly: string[] = [];
afterAll(() => {
  for (const dir of readOnly) chmodSync(dir, 0o700);
  temps.cleanup();
});

/** A credentials directory as systemd leaves it at service start: 0500, the credential 0400. */
function credentialsDir(value: string, name = NAME, mode = 0o400): string {
  const dir = path.join(temps.make('dk-creds-'), 'credentials');
  mkdirSync(dir);
  writeFileSync(path.join(dir, name), value, { mode });
  chmodSync(path.join(dir, name), mode);
  chmodSync(dir, 0o500);
  readOnly.push(dir);
  return dir;
}

async function noSecretOnDisk(store: string, secret: string): Promise<void> {
  for (const { file, data } of await readTree(store)) {
    expect(data.includes(Buffer.from(secret)), file).toBe(false);
  }
}

describe('a systemd credential as the passphrase', () => {
  it('unlocks the store, is never written beside it, and is named as the source', async () => {
    const store = temps.make('dk-cred-store-');
    const creds = credentialsDir(PASS + '\n');
    const env = { CREDENTIALS_DIRECTORY: creds };
    const init = await runCli(
      ['init', '--name', 'svc', '--dir', store, '--backend', 'encrypted-file'],
      { env },
    );
    expect(init.code, describeResult(init)).toBe(0);
    await noSecretOnDisk(store, PASS);
    const files = (await readTree(store)).map((f) => path.basename(f.file));
    expect(files).not.toContain('.passphrase');

    const info = await runCli(['info', '--dir', store, '--json'], { env });
    const j = jsonOf(info);
    expect(j.environment.passphraseSource).toBe(`the systemd credential ${path.join(creds, NAME)}`);
    expect(j.warnings.join('\n')).not.toMatch(/beside the encrypted keys/);
    const sign = await runCli(['sign', '--dir', store, '--json'], { env, input: 'hello' });
    expect(sign.code, describeResult(sign)).toBe(0);
    for (const r of [init, info, sign]) expect(r.out + r.stderr).not.toContain(PASS);

    // Without the credential there is no passphrase at all: the hint names the credential.
    const none = await runCli(['sign', '--dir', store, '--json'], { input: 'hello' });
    expect(jsonOf(none).error.code).toBe('E_BAD_PASSPHRASE');
    expect(jsonOf(none).error.hint).toContain(NAME);

    // The credential outranks DEVICE_KEYSTORE_PASSPHRASE (which any parent may have leaked).
    const both = await runCli(['sign', '--dir', store, '--json'], {
      env: { ...env, DEVICE_KEYSTORE_PASSPHRASE: 'not the passphrase' },
      input: 'hello',
    });
    expect(both.code, describeResult(both)).toBe(0);

    // The credential is the operator's: changing the passphrase needs the new one given, and
    // says it is stored nowhere (re-encrypt the credential), and the old one stops working.
    const change = await runCli(['change-passphrase', '--dir', store, '--json'], { env });
    expect(jsonOf(change).error.code).toBe('E_INVALID_ARGUMENT');
    expect(jsonOf(change).error.message).toContain('the systemd credential');
  });

  it('refuses a credential others can read, and a named credential that is missing', async () => {
    const store = temps.make('dk-cred-loose-');
    const loose = credentialsDir(PASS, NAME, 0o404);
    const r = await runCli(
      ['init', '--name', 'x', '--dir', store, '--backend', 'encrypted-file', '--json'],
      {
        env: { CREDENTIALS_DIRECTORY: loose },
      },
    );
    expect(jsonOf(r).error.code).toBe('E_INSECURE_PERMISSIONS');

    const missing = await runCli(
      ['init', '--name', 'x', '--dir', store, '--backend', 'encrypted-file', '--json'],
      {
        env: {
          CREDENTIALS_DIRECTORY: credentialsDir(PASS),
          DEVICE_KEYSTORE_CREDENTIAL: 'other-name',
        },
      },
    );
    expect(jsonOf(missing).error.code).toBe('E_BAD_PASSPHRASE');
    expect(jsonOf(missing).error.message).toContain('"other-name"');
    const outside = await runCli(
      ['init', '--name', 'x', '--dir', store, '--backend', 'encrypted-file', '--json'],
      {
        env: { DEVICE_KEYSTORE_CREDENTIAL: 'other-name' },
      },
    );
    expect(jsonOf(outside).error.message).toMatch(/CREDENTIALS_DIRECTORY is not set/);
  });
});

/** systemd-creds encrypts with the host key in a file of our own, so no system file is touched. */
function systemdCreds(args: string[], secretFile: string, input?: string) {
  return spawnSync('systemd-creds', args, {
    encoding: 'utf8',
    env: { ...process.env, SYSTEMD_CREDENTIAL_SECRET: secretFile },
    ...(input !== undefined ? { input } : {}),
  });
}

const credsProbe = (() => {
  const r = spawnSync('systemd-creds', ['--version'], { encoding: 'utf8' });
  return r.status === 0
    ? { ok: true as const }
    : { ok: false as const, why: 'systemd-creds is not installed' };
})();
const runProbe = (() => {
  const r = spawnSync('systemd-run', ['--wait', '--quiet', '--collect', 'true'], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  if (r.error) return { ok: false as const, why: `systemd-run: ${r.error.message}` };
  return r.status === 0
    ? { ok: true as const }
    : { ok: false as const, why: `systemd-run fails here: ${r.stderr.trim().split('\n')[0]}` };
})();

describe.skipIf(!credsProbe.ok)(
  `a credential encrypted by systemd-creds${credsProbe.ok ? '' : ` (skipped: ${credsProbe.why})`}`,
  () => {
    it('decrypted as systemd does at service start, it unlocks the store', async () => {
      const work = temps.make('dk-systemd-creds-');
      const secret = path.join(work, 'host.secret');
      const sealed = path.join(work, `${NAME}.cred`);
      const enc = systemdCreds(
        ['encrypt', `--name=${NAME}`, '--with-key=host', '-', sealed],
        secret,
        PASS,
      );
      expect(enc.status, enc.stderr).toBe(0);
      // The sealed credential does not hold the passphrase in the clear.
      expect(readFileSync(sealed).includes(Buffer.from(PASS))).toBe(false);
      const creds = path.join(work, 'credentials');
      mkdirSync(creds, { mode: 0o700 });
      const dec = systemdCreds(
        ['decrypt', `--name=${NAME}`, sealed, path.join(creds, NAME)],
        secret,
      );
      expect(dec.status, dec.stderr).toBe(0);
      chmodSync(path.join(creds, NAME), 0o400);
      chmodSync(creds, 0o500);
      readOnly.push(creds);
      const store = path.join(work, 'store');
      const init = await runCli(
        ['init', '--name', 'svc', '--dir', store, '--backend', 'encrypted-file'],
        {
          env: { CREDENTIALS_DIRECTORY: creds },
        },
      );
      expect(init.code, describeResult(init)).toBe(0);
      const sign = await runCli(['sign', '--dir', store], {
        env: { CREDENTIALS_DIRECTORY: creds },
        input: 'x',
      });
      expect(sign.code, describeResult(sign)).toBe(0);
      await noSecretOnDisk(store, PASS);
      // The credential was the passphrase: no file was generated, and nothing else unlocks it.
      expect(existsSync(path.join(store, '.passphrase'))).toBe(false);
      const without = await runCli(['sign', '--dir', store, '--json'], { input: 'x' });
      expect(jsonOf(without).error.code).toBe('E_BAD_PASSPHRASE');
    });
  },
);

describe.skipIf(!runProbe.ok)(
  `a real transient service with LoadCredentialEncrypted=${runProbe.ok ? '' : ` (skipped: ${runProbe.why})`}`,
  () => {
    it('systemd hands the service the credential and the store unlocks', async () => {
      const work = temps.make('dk-systemd-run-');
      chmodSync(work, 0o755);
      const sealed = path.join(work, `${NAME}.cred`);
      const enc = spawnSync('systemd-creds', ['encrypt', `--name=${NAME}`, '-', sealed], {
        encoding: 'utf8',
        input: PASS,
      });
      expect(enc.status, enc.stderr).toBe(0);
      const store = path.join(work, 'store');
      const r = spawnSync(
        'systemd-run',
        [
          '--wait',
          '--pipe',
          '--quiet',
          '--collect',
          `-p`,
          `LoadCredentialEncrypted=${NAME}:${sealed}`,
          process.execPath,
          CLI,
          'init',
          '--name',
          'svc',
          '--dir',
          store,
          '--backend',
          'encrypted-file',
          '--json',
        ],
        { encoding: 'utf8', timeout: 60_000 },
      );
      expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
      await noSecretOnDisk(store, PASS);
    });
  },
);
