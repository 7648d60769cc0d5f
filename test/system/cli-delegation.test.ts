/**
 * `device-keystore certificate` and `device-keystore delegate` as users run them, checked with
 * the openssl CLI: the device certificate, the session chain, and the private key file (PKCS#8,
 * mode 0600). Linux only (openssl, POSIX modes); the API behind them runs in the Windows leg
 * (test/api/delegation.test.ts).
 */
import { X509Certificate, createHash, createPublicKey, verify as cryptoVerify } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  readFileSync,
  readdirSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TempDirs, describeResult, jsonOf, runCli, runTool } from '../helpers/proc';
import { subjectCn } from '../helpers/delegation';

const ENV = { DEVICE_KEYSTORE_PASSPHRASE: 'cli delegation passphrase, not a real one' };
const tmp = new TempDirs();
let store: string;
let work: string;
let deviceId: string;

const cli = (args: string[]) => runCli(['--dir', store, ...args], { env: ENV });

beforeAll(async () => {
  store = tmp.make('dk-cli-dlg-');
  work = tmp.make('dk-cli-dlg-work-');
  const r = await cli([
    'init',
    '--name',
    'cli-delegation',
    '--backend',
    'encrypted-file',
    '--json',
  ]);
  expect(r.code, describeResult(r)).toBe(0);
  const identityId = jsonOf(r).identity.deviceId;
  // The device certificate holds the identity's certifying key, not the identity key itself.
  const cert = new X509Certificate(jsonOf(await cli(['certificate', '--json'])).certificate);
  deviceId = createHash('sha256')
    .update(cert.publicKey.export({ format: 'der', type: 'spki' }))
    .digest('base64url');
  expect(deviceId).not.toBe(identityId);
});
afterAll(() => tmp.cleanup());

describe('device-keystore certificate', () => {
  it('writes the identity key’s device certificate, which openssl reads as a CA', async () => {
    const out = path.join(work, 'device.pem');
    const r = await cli(['certificate', '--days', '30', '--out', out]);
    expect(r.code, describeResult(r)).toBe(0);
    expect(r.out).toContain(out);
    const cert = new X509Certificate(readFileSync(out));
    expect(subjectCn(cert)).toBe(deviceId);
    expect(new Date(cert.validTo).getTime() - new Date(cert.validFrom).getTime()).toBe(
      30 * 86_400_000 + 60_000,
    );
    const text = await runTool('openssl', ['x509', '-in', out, '-noout', '-text']);
    expect(text.out).toMatch(/Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
    expect(text.out).toMatch(/Key Usage: critical\s+Digital Signature, Certificate Sign/);
  });

  it('prints PEM to stdout without --out, and JSON with --json', async () => {
    const r = await cli(['certificate']);
    expect(r.code, describeResult(r)).toBe(0);
    expect(subjectCn(new X509Certificate(r.out))).toBe(deviceId);
    const j = jsonOf(await cli(['certificate', '--json']));
    expect(j.ok).toBe(true);
    expect(subjectCn(new X509Certificate(j.certificate))).toBe(deviceId);
  });

  it('takes another key with --alias', async () => {
    expect((await cli(['create-key', 'other'])).code).toBe(0);
    const j = jsonOf(await cli(['certificate', '--alias', 'other', '--json']));
    expect(j.alias).toBe('other');
    expect(subjectCn(new X509Certificate(j.certificate))).not.toBe(deviceId);
  });
});

describe('device-keystore delegate', () => {
  it('writes the chain and a 0600 PKCS#8 key that openssl verifies and signs with', async () => {
    const device = path.join(work, 'device-for-session.pem');
    expect((await cli(['certificate', '--out', device])).code).toBe(0);
    const certOut = path.join(work, 'session.pem');
    const keyOut = path.join(work, 'session.key');
    writeFileSync(keyOut, 'an older file, readable by all\n', { mode: 0o644 });
    const r = await cli([
      'delegate',
      '--ttl',
      '15m',
      '--purpose',
      'codeSigning',
      '--cert-out',
      certOut,
      '--key-out',
      keyOut,
    ]);
    expect(r.code, describeResult(r)).toBe(0);
    expect(statSync(keyOut).mode & 0o777).toBe(0o600);
    expect(r.stderr).toContain('unencrypted');
    expect(r.stderr).toContain(keyOut);

    const verify = await runTool('openssl', [
      'verify',
      '-CAfile',
      device,
      '-purpose',
      'sslclient',
      certOut,
    ]);
    expect(verify.out, verify.stderr).toContain(': OK');
    const chain = readFileSync(certOut, 'utf8');
    expect(chain.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    const session = new X509Certificate(chain);
    expect(session.keyUsage).toEqual(['1.3.6.1.5.5.7.3.3', '1.3.6.1.5.5.7.3.2']);
    expect(new Date(session.validTo).getTime() - new Date(session.validFrom).getTime()).toBe(
      16 * 60_000,
    );

    expect(readFileSync(keyOut, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const pub = await runTool('openssl', ['pkey', '-in', keyOut, '-pubout']);
    expect(pub.code, pub.stderr).toBe(0);
    expect(createPublicKey(pub.out).export({ format: 'der', type: 'spki' })).toEqual(
      session.publicKey.export({ format: 'der', type: 'spki' }),
    );
    const data = path.join(work, 'request.txt');
    const sig = path.join(work, 'request.sig');
    writeFileSync(data, 'GET /api/v1/things');
    const signed = await runTool('openssl', [
      'dgst',
      '-sha256',
      '-sign',
      keyOut,
      '-out',
      sig,
      data,
    ]);
    expect(signed.code, signed.stderr).toBe(0);
    expect(cryptoVerify('sha256', readFileSync(data), session.publicKey, readFileSync(sig))).toBe(
      true,
    );
  });

  it('replaces a symlink at --key-out instead of writing the key through it', async () => {
    const victim = path.join(work, 'someone-elses-file');
    writeFileSync(victim, 'not yours\n', { mode: 0o644 });
    const keyOut = path.join(work, 'planted.key');
    symlinkSync(victim, keyOut);
    const r = await cli([
      'delegate',
      '--ttl',
      '5m',
      '--cert-out',
      path.join(work, 'planted-chain.pem'),
      '--key-out',
      keyOut,
    ]);
    expect(r.code, describeResult(r)).toBe(0);
    expect(readFileSync(victim, 'utf8')).toBe('not yours\n');
    const st = lstatSync(keyOut);
    expect(st.isFile()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
    expect(readFileSync(keyOut, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    // The atomic write leaves no temp file beside it.
    expect(readdirSync(work).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('--json reports the session, and the warning about the key file', async () => {
    const r = await cli([
      'delegate',
      '--ttl',
      '90s',
      '--cert-out',
      path.join(work, 'j.pem'),
      '--key-out',
      path.join(work, 'j.key'),
      '--json',
    ]);
    expect(r.code, describeResult(r)).toBe(0);
    const j = jsonOf(r);
    expect(j).toMatchObject({ ok: true, deviceId, extendedKeyUsage: ['1.3.6.1.5.5.7.3.2'] });
    expect(Date.parse(j.notAfter) - Date.parse(j.notBefore)).toBe(150_000);
    expect(j.warnings.join(' ')).toContain('0600');
  });

  it('refuses bad arguments with exit 2 before writing anything', async () => {
    const c = path.join(work, 'never.pem');
    const k = path.join(work, 'never.key');
    const cases = [
      ['delegate', '--cert-out', c, '--key-out', k],
      ['delegate', '--ttl', '25h', '--cert-out', c, '--key-out', k],
      ['delegate', '--ttl', '0s', '--cert-out', c, '--key-out', k],
      ['delegate', '--ttl', 'soon', '--cert-out', c, '--key-out', k],
      ['delegate', '--ttl', '1m', '--purpose', 'everything', '--cert-out', c, '--key-out', k],
      ['delegate', '--ttl', '1m', '--key-out', k],
      ['delegate', '--ttl', '1m', '--cert-out', c, '--key-out', '-'],
      ['certificate', '--days', '0', '--out', c],
      ['certificate', '--days', 'many', '--out', c],
    ];
    for (const args of cases) {
      const r = await cli(args);
      expect(r.code, `${args.join(' ')}: ${describeResult(r)}`).toBe(2);
    }
    expect(existsSync(c)).toBe(false);
    expect(existsSync(k)).toBe(false);
  });

  it('--help says what a software key on disk means', async () => {
    const r = await runCli(['delegate', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('device-keystore delegate');
    expect(r.out).toContain('PRIVATE KEY, unencrypted PKCS#8 PEM, mode 0600');
    expect(r.out).toContain('until the certificate expires');
    expect((await runCli(['certificate', '--help'])).out).toContain('device-keystore certificate');
  });
});
