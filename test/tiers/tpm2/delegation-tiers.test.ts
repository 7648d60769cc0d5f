/**
 * Session keys checked by outside verifiers, on the encrypted-file tier and on the TPM tier
 * (swtpm), where the device key signs the certificates inside the TPM: `openssl verify` accepts
 * the chain and rejects it after expiry, for the wrong purpose and when another device signed
 * it; a node https server pinning the device certificate accepts the session as a TLS client and
 * refuses another device's; node:crypto and WebCrypto verify session signatures. On swtpm also:
 * renewal while the TPM is frozen does not hold signers up, and a dead TPM only fails the renewal.
 * Linux only (openssl, swtpm): this file is not in the Windows leg; test/api/delegation.test.ts is.
 */
import { verify as cryptoVerify, webcrypto, type X509Certificate } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keystore, type DeviceKey, type OpenOptions, type SessionKey } from '../../../src/index';
import { Swtpm } from '../../helpers/swtpm';
import { makeTempDir, removeDir, withTimeout } from '../../helpers/tpm';
import { runTool } from '../../helpers/proc';
import { mtlsTests } from '../../helpers/delegation';

const PASS = 'delegation-tiers passphrase';
let swtpm: Swtpm;
const dirs: string[] = [];
const stores: Keystore[] = [];

beforeAll(async () => {
  swtpm = await Swtpm.start();
});
afterAll(async () => {
  for (const ks of stores) await ks.close();
  await swtpm?.stop();
  for (const d of dirs) await removeDir(d);
});

async function openStore(options: (dir: string) => OpenOptions): Promise<Keystore> {
  const dir = await makeTempDir('delegation');
  dirs.push(dir);
  const ks = await Keystore.open(options(dir));
  stores.push(ks);
  return ks;
}

/** `openssl verify` with extra arguments; the exit code and what it printed. */
async function opensslVerify(
  work: string,
  ca: X509Certificate,
  leaf: X509Certificate,
  ...args: string[]
): Promise<{ ok: boolean; text: string }> {
  const caFile = path.join(work, `ca-${ca.serialNumber}.pem`);
  const leafFile = path.join(work, `leaf-${leaf.serialNumber}.pem`);
  await fsp.writeFile(caFile, ca.toString());
  await fsp.writeFile(leafFile, leaf.toString());
  const r = await runTool('openssl', ['verify', ...args, '-CAfile', caFile, leafFile]);
  return { ok: r.code === 0 && r.out.includes(': OK'), text: r.out + r.stderr };
}

const TIERS: [string, (dir: string) => OpenOptions][] = [
  ['encrypted-file', (dir) => ({ dir, backend: 'encrypted-file', passphrase: PASS })],
  ['tpm2 (swtpm)', (dir) => ({ dir, backend: 'tpm2', tcti: swtpm.tcti })],
];

describe.each(TIERS)(
  'session keys on the %s tier, checked by outside verifiers',
  (tier, options) => {
    let work: string;
    let device: DeviceKey;
    let otherDevice: DeviceKey;
    let deviceCert: X509Certificate;
    let session: SessionKey;

    beforeAll(async () => {
      work = await makeTempDir('delegation-work');
      dirs.push(work);
      device = await (await openStore(options)).createKey('device');
      otherDevice = await (await openStore(options)).createKey('device');
      expect(device.tier).toBe(tier.split(' ')[0]);
      deviceCert = await device.certificate();
      session = await device.delegate({ ttl: '15m', purpose: 'clientAuth' });
    });
    afterAll(() => session?.close());

    it('openssl prints the device certificate as a CA (pathlen 0) with critical key usage', async () => {
      const file = path.join(work, 'device-text.pem');
      await fsp.writeFile(file, deviceCert.toString());
      const r = await runTool('openssl', ['x509', '-in', file, '-noout', '-text']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.out).toMatch(/Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
      expect(r.out).toMatch(/Key Usage: critical\s+Digital Signature, Certificate Sign/);
      expect(r.out).toContain('Subject Key Identifier');
      expect(r.out).toContain('Authority Key Identifier');
      expect(r.out).toContain(`CN = ${session.root.deviceId}`);
    });

    it('openssl verify accepts the chain, also for TLS client authentication', async () => {
      expect(await opensslVerify(work, deviceCert, session.certificate)).toMatchObject({
        ok: true,
      });
      expect(
        await opensslVerify(work, deviceCert, session.certificate, '-purpose', 'sslclient'),
      ).toMatchObject({ ok: true });
      // The chain the session hands out carries its own copy of the device certificate.
      const chainFile = path.join(work, 'chain.pem');
      await fsp.writeFile(chainFile, session.certificateChain());
      const caFile = path.join(work, 'pinned.pem');
      await fsp.writeFile(caFile, deviceCert.toString());
      const r = await runTool('openssl', [
        'verify',
        '-CAfile',
        caFile,
        '-untrusted',
        chainFile,
        chainFile,
      ]);
      expect(r.out, r.stderr).toContain(': OK');
    });

    it('openssl verify rejects it after expiry (-attime)', async () => {
      const after = Math.floor(session.notAfter.getTime() / 1000) + 60;
      const r = await opensslVerify(
        work,
        deviceCert,
        session.certificate,
        '-attime',
        String(after),
      );
      expect(r.ok).toBe(false);
      expect(r.text).toContain('certificate has expired');
      const within = Math.floor(session.notAfter.getTime() / 1000) - 60;
      expect(
        await opensslVerify(work, deviceCert, session.certificate, '-attime', String(within)),
      ).toMatchObject({ ok: true });
    });

    it('openssl verify rejects it for a purpose it was not issued for', async () => {
      // OpenSSL 3.0's purposes; sslclient (accepted above) is the one the session has.
      for (const purpose of ['sslserver', 'smimesign', 'smimeencrypt', 'timestampsign']) {
        const r = await opensslVerify(work, deviceCert, session.certificate, '-purpose', purpose);
        expect(r.ok, purpose).toBe(false);
        expect(r.text, purpose).toContain('unsuitable certificate purpose');
      }
      // A serverAuth session passes sslserver: the check reads the purpose we wrote.
      const serverAuth = await device.delegate({ ttl: '5m', purpose: 'serverAuth' });
      expect(
        await opensslVerify(work, deviceCert, serverAuth.certificate, '-purpose', 'sslserver'),
      ).toMatchObject({ ok: true });
      serverAuth.close();
    });

    it('openssl verify rejects a session certificate signed by another device', async () => {
      const foreign = await otherDevice.delegate({ ttl: '5m' });
      const r = await opensslVerify(work, deviceCert, foreign.certificate);
      expect(r.ok).toBe(false);
      expect(r.text).toContain('unable to get local issuer certificate');
      foreign.close();
    });

    it('node:crypto and WebCrypto verify the session signatures', async () => {
      const spki = session.certificate.publicKey.export({ format: 'der', type: 'spki' });
      const pub = await webcrypto.subtle.importKey(
        'spki',
        spki,
        { name: 'ECDSA', namedCurve: 'P-256' },
        false,
        ['verify'],
      );
      for (let i = 0; i < 10; i++) {
        const data = Buffer.from(`request ${i} on ${tier}`);
        expect(
          cryptoVerify('sha256', data, session.certificate.publicKey, await session.sign(data)),
        ).toBe(true);
        const p1363 = await session.sign(data, { format: 'p1363' });
        expect(
          await webcrypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, pub, p1363, data),
        ).toBe(true);
      }
    });

    describe('as a TLS client of a node https server pinning the device certificate', () =>
      mtlsTests(() => ({ deviceCert, session, otherDevice })));
  },
);

describe('session keys on the tpm2 tier when the TPM stalls or dies', () => {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('signers keep signing with the old key while a renewal waits for a frozen TPM', async () => {
    const tpm = await Swtpm.start();
    try {
      const ks = await openStore((dir) => ({ dir, backend: 'tpm2', tcti: tpm.tcti }));
      const key = await ks.createKey('device');
      const s = await key.delegate({ ttl: '5m' });
      const oldKey = s.publicKey;
      tpm.pause();
      let renewed = false;
      const renewing = s.renew().then(() => (renewed = true));
      // The device key's signature is stuck in the TPM; the session key does not need it.
      for (let i = 0; i < 200; i++) {
        const sig = await withTimeout(s.sign(`m${i}`), 2000, `sign ${i}`);
        expect(cryptoVerify('sha256', Buffer.from(`m${i}`), oldKey, sig)).toBe(true);
      }
      await sleep(50);
      expect(renewed).toBe(false);
      tpm.resume();
      await withTimeout(renewing, 30_000, 'the renewal');
      expect(s.publicKey).not.toBe(oldKey);
      expect(s.certificate.verify((await key.certifyingKey()).publicKey)).toBe(true);
      s.close();
      await ks.close();
    } finally {
      tpm.resume();
      await tpm.stop();
    }
  });

  it('a dead TPM fails the background renewal (reported), and the old key signs until expiry', async () => {
    const tpm = await Swtpm.start();
    try {
      const ks = await openStore((dir) => ({ dir, backend: 'tpm2', tcti: tpm.tcti }));
      const key = await ks.createKey('device');
      const errors: unknown[] = [];
      const s = await key.delegate({
        ttl: 3000,
        renew: true,
        renewBefore: 2000,
        onRenewError: (e) => errors.push(e),
      });
      const serial = s.certificate.serialNumber;
      await tpm.kill();
      await sleep(Math.max(0, s.notAfter.getTime() - 2000 - Date.now()) + 800);
      expect(errors.length).toBeGreaterThan(0);
      expect((errors[0] as { code?: string }).code).toMatch(/^E_TPM/);
      expect(s.certificate.serialNumber).toBe(serial);
      expect(cryptoVerify('sha256', Buffer.from('x'), s.publicKey, await s.sign('x'))).toBe(true);
      await sleep(Math.max(0, s.notAfter.getTime() - Date.now()) + 100);
      await expect(s.sign('x')).rejects.toMatchObject({ code: 'E_SESSION_EXPIRED' });
      s.close();
      await ks.close();
    } finally {
      await tpm.stop();
    }
  });
});

describe.each(TIERS)('key usage on the %s tier (issue 18)', (tier, options) => {
  it('the certifying key refuses sign() and ecdh(); the general key cannot stand in for it', async () => {
    const dir = await makeTempDir('key-usage');
    dirs.push(dir);
    const ks = await Keystore.open(options(dir));
    stores.push(ks);
    const key = await ks.createKey('app');
    const certifier = await key.certifyingKey();
    expect([key.usage, certifier.usage, certifier.tier]).toEqual([
      'general',
      'certify',
      tier.split(' ')[0],
    ]);
    for (const op of [() => certifier.sign('x'), () => certifier.ecdh(key.publicKey)]) {
      await expect(op()).rejects.toMatchObject({ code: 'E_KEY_USAGE' });
    }
    const anchor = await key.certificate();
    expect(anchor.verify(certifier.publicKey)).toBe(true);
    // The general key signed the session certificate's own TBS: it does not verify.
    const session = await key.delegate({ ttl: '5m' });
    const tbsEnd = 4 + session.certificate.raw.readUInt16BE(6); // SEQUENCE 82 LL LL { 30 82 LL LL ...
    const tbs = session.certificate.raw.subarray(4, tbsEnd + 4);
    const forgedSig = await key.sign(tbs, { format: 'der' });
    expect(cryptoVerify('sha256', tbs, anchor.publicKey, forgedSig)).toBe(false);
    expect(cryptoVerify('sha256', tbs, key.publicKey, forgedSig)).toBe(true);
    session.close();
    await ks.close();

    // The certifying key's record and key file put in place of the general key's, with the
    // usage taken out: the tier's binding (AAD, the TPM key's public area) refuses it.
    const record = JSON.parse(await fsp.readFile(path.join(dir, 'certifying', 'app.json'), 'utf8'));
    delete record.usage;
    await fsp.writeFile(path.join(dir, 'keys', 'app.json'), JSON.stringify(record), {
      mode: 0o600,
    });
    if (record.sideFile) {
      await fsp.copyFile(
        path.join(dir, 'certifying', 'app.tss2.pem'),
        path.join(dir, 'keys', 'app.tss2.pem'),
      );
    }
    const again = await Keystore.open(options(dir));
    stores.push(again);
    await expect(again.getKey('app')).rejects.toMatchObject({ code: 'E_CORRUPT' });
  });
});
