/**
 * Delegated session keys on the encrypted-file tier, with node's own verifiers only (so this
 * file also runs in the Windows leg): the device certificate's fields, session signatures checked
 * by node:crypto and WebCrypto, expiry, renewal, close(), describe(), the verifier's checks one by
 * one, and TLS client authentication through node's https. The openssl CLI and the TPM tier are
 * in test/delegation-tiers.test.ts.
 */
import {
  createHash,
  createPrivateKey,
  diffieHellman,
  verify as cryptoVerify,
  X509Certificate,
} from 'node:crypto';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verify, verifySessionCertificate, type DeviceKey, type SessionKey } from '../../src/index';
import {
  ECDSA_P256,
  HALF_N,
  closeApiStore,
  derToRS,
  expectCode,
  msg,
  openApiStore,
  p1363ToRS,
  readTree,
  sha256,
  subtle,
  withoutKeystoreEnv,
  type ApiStore,
} from '../helpers/api';
import {
  EMPTY_POINT_SPKI,
  EXTENSION_DER,
  certificatesWithSpki,
  expectedKeyId,
  mtlsTests,
  subjectCn,
} from '../helpers/delegation';

withoutKeystoreEnv();

const CUSTOM_PURPOSE = '1.3.6.1.4.1.55555.7.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** deviceId as documented: base64url(SHA-256(SPKI DER)), computed here from the KeyObject. */
function deviceIdOfKey(key: DeviceKey): string {
  return createHash('sha256').update(key.exportPublicKey('spki')).digest('base64url');
}

function hexOf(cert: X509Certificate): string {
  return Buffer.from(cert.raw).toString('hex');
}

let store: ApiStore;
let other: ApiStore;
let device: DeviceKey;
let otherDevice: DeviceKey;
let deviceCert: X509Certificate;
/** The identity's certifying key: the key in the device certificate (DeviceKey.certifyingKey). */
let certifier: DeviceKey;
let session: SessionKey;

beforeAll(async () => {
  store = await openApiStore({ keys: ['device'] });
  other = await openApiStore({ keys: ['device'] });
  device = await store.ks.getKey('device');
  otherDevice = await other.ks.getKey('device');
  certifier = await device.certifyingKey();
  deviceCert = await device.certificate({ days: 30 });
  session = await device.delegate({ ttl: '10m', purpose: CUSTOM_PURPOSE });
});
afterAll(async () => {
  session?.close();
  await closeApiStore(store);
  await closeApiStore(other);
});

describe('the device certificate', () => {
  it('is a self-signed v3 CA certificate for pathlen 0, subject CN = the deviceId', () => {
    const id = deviceIdOfKey(certifier);
    expect(subjectCn(deviceCert)).toBe(id);
    expect(deviceCert.subject).toBe(deviceCert.issuer);
    expect(deviceCert.ca).toBe(true);
    expect(deviceCert.checkIssued(deviceCert)).toBe(true);
    expect(deviceCert.verify(certifier.publicKey)).toBe(true);
    expect(deviceCert.verify(otherDevice.publicKey)).toBe(false);
    expect(deviceCert.publicKey.export({ format: 'der', type: 'spki' })).toEqual(
      certifier.exportPublicKey('spki'),
    );
    // Not the general-purpose key's: that one signs caller data (issue 18).
    expect(deviceCert.verify(device.publicKey)).toBe(false);
    const hex = hexOf(deviceCert);
    expect(hex).toContain(EXTENSION_DER.caPathlen0);
    expect(hex).toContain(EXTENSION_DER.keyCertSignAndDigitalSignature);
    // SKI and AKI both carry the RFC 5280 method-1 key identifier.
    const keyId = expectedKeyId(certifier.exportPublicKey('spki'));
    expect(hex).toContain(`0603551d0e04160414${keyId}`);
    expect(hex).toContain(`0603551d23041830168014${keyId}`);
  });

  it('is valid from now for the days asked, with a positive random serial', async () => {
    const from = new Date(deviceCert.validFrom).getTime();
    const to = new Date(deviceCert.validTo).getTime();
    expect(Math.abs(from + 60_000 - Date.now())).toBeLessThan(60_000);
    // notBefore is written a minute early (NOT_BEFORE_BACKDATE_MS), for clocks that lag.
    expect(to - from).toBe(30 * 86_400_000 + 60_000);
    const again = await device.certificate();
    expect(new Date(again.validTo).getTime() - new Date(again.validFrom).getTime()).toBe(
      365 * 86_400_000 + 60_000,
    );
    expect(again.serialNumber).not.toBe(deviceCert.serialNumber);
    expect(Number.parseInt(deviceCert.serialNumber[0]!, 16)).toBeLessThan(8);
  });

  it('refuses bad options', async () => {
    for (const bad of [
      { days: 0 },
      { days: 3651 },
      { days: 1.5 },
      { days: '7' },
      { weeks: 1 },
      null,
    ]) {
      await expectCode(() => device.certificate(bad as never), 'E_INVALID_ARGUMENT', String(bad));
    }
  });
});

describe('a session key', () => {
  it('has a certificate issued by the device key: end entity, clientAuth and the purpose', () => {
    const cert = session.certificate;
    expect(cert.ca).toBe(false);
    expect(cert.checkIssued(deviceCert)).toBe(true);
    expect(cert.verify(certifier.publicKey)).toBe(true);
    expect(cert.keyUsage).toEqual(expect.arrayContaining([CUSTOM_PURPOSE, CLIENT_AUTH]));
    expect(subjectCn(cert)).toBe(deviceIdOfKey(certifier));
    const hex = hexOf(cert);
    expect(hex).toContain(EXTENSION_DER.endEntity);
    expect(hex).toContain(EXTENSION_DER.digitalSignatureOnly);
    expect(hex).toContain(
      `0603551d23041830168014${expectedKeyId(certifier.exportPublicKey('spki'))}`,
    );
    const from = new Date(cert.validFrom).getTime();
    expect(new Date(cert.validTo).getTime() - from).toBe(11 * 60_000);
    expect(session.notAfter.getTime() - session.notBefore.getTime()).toBe(11 * 60_000);
    expect(cert.publicKey.export({ format: 'der', type: 'spki' })).toEqual(
      session.publicKey.export({ format: 'der', type: 'spki' }),
    );
  });

  it('exposes its chain, session certificate first, as PEM and as DER', () => {
    const der = session.certificateChain('der');
    expect(der).toHaveLength(2);
    expect(der[0]).toEqual(Buffer.from(session.certificate.raw));
    expect(new X509Certificate(der[1]!).verify(certifier.publicKey)).toBe(true);
    const pem = session.certificateChain();
    expect(pem.match(/-----BEGIN CERTIFICATE-----/g)).toHaveLength(2);
    expect(new X509Certificate(pem).raw).toEqual(session.certificate.raw);
  });

  it('signs DER and P1363, always low-S, which node:crypto and WebCrypto verify', async () => {
    const publicKey = await subtle.importKey(
      'spki',
      session.publicKey.export({ format: 'der', type: 'spki' }),
      ECDSA_P256,
      false,
      ['verify'],
    );
    for (let i = 0; i < 40; i++) {
      const data = Buffer.from(`message ${i}`);
      const der = await session.sign(data);
      expect(derToRS(der).s <= HALF_N).toBe(true);
      expect(cryptoVerify('sha256', data, session.certificate.publicKey, der)).toBe(true);
      const p1363 = await session.sign(data, { format: 'p1363' });
      expect(p1363ToRS(p1363).s <= HALF_N).toBe(true);
      const algo = { name: 'ECDSA', hash: 'SHA-256' };
      expect(await subtle.verify(algo, publicKey, p1363, data)).toBe(true);
      expect(session.verify(data, p1363, { dsaEncoding: 'ieee-p1363' })).toBe(true);
    }
    const digest = await session.sign(sha256(msg), { prehashed: true });
    expect(cryptoVerify('sha256', msg, session.publicKey, digest)).toBe(true);
    await expectCode(
      () => session.sign(Buffer.alloc(31), { prehashed: true }),
      'E_INVALID_ARGUMENT',
    );
    expect(session.verify(Buffer.from('other'), await session.sign(msg))).toBe(false);
  });

  it('says what it is, and shows no secret in describe(), inspect or JSON', () => {
    const d = session.describe();
    expect(d).toMatchObject({
      kind: 'session-key',
      storage: 'process-memory',
      hardwareBacked: false,
      extractable: true,
      persisted: false,
      state: 'active',
      notAfter: session.notAfter.toISOString(),
      root: {
        alias: 'device',
        tier: 'encrypted-file',
        hardwareBacked: false,
        deviceId: deviceIdOfKey(certifier),
      },
    });
    expect(d.extendedKeyUsage).toEqual([CUSTOM_PURPOSE, CLIENT_AUTH]);
    expect(d.summary).toContain("this process's memory");
    expect(d.summary).toContain(d.notAfter);
    const jwkD = createPrivateKey(session.exportPrivateKey()).export({ format: 'jwk' }).d!;
    for (const text of [
      inspect(session, { depth: 5 }),
      JSON.stringify(d),
      JSON.stringify(session),
    ]) {
      expect(text).not.toContain(jwkD);
      expect(text).not.toContain('PRIVATE KEY');
    }
  });

  it('is never written to disk: no file in the store holds its private key', async () => {
    const before = (await readTree(store.dir)).map((f) => f.file).sort();
    const s = await device.delegate({ ttl: '1m' });
    const { d } = createPrivateKey(s.exportPrivateKey()).export({ format: 'jwk' });
    const scalar = Buffer.from(d!, 'base64url');
    const after = await readTree(store.dir);
    expect(after.map((f) => f.file).sort()).toEqual(before);
    for (const f of after) {
      expect(f.data.includes(scalar)).toBe(false);
      expect(f.data.toString('latin1')).not.toContain(d);
    }
    s.close();
  });

  it('refuses bad options with E_INVALID_ARGUMENT', async () => {
    const bad: unknown[] = [
      undefined,
      {},
      { ttl: 0 },
      { ttl: 500 },
      { ttl: 1500 },
      { ttl: '25h' },
      { ttl: '2d' },
      { ttl: '10 minutes' },
      { ttl: '10m', purpose: 'anything' },
      { ttl: '10m', purpose: '1.2.' },
      { ttl: '10m', renew: 'yes' },
      { ttl: '10m', renewBefore: '10m' },
      { ttl: '10m', ttlSeconds: 1 },
      { ttl: '10m', onRenewError: 1 },
    ];
    for (const opts of bad) {
      await expectCode(
        () => device.delegate(opts as never),
        'E_INVALID_ARGUMENT',
        JSON.stringify(opts),
      );
    }
    const day = await device.delegate({ ttl: '24h', purpose: 'codeSigning' });
    expect(day.notAfter.getTime() - day.notBefore.getTime()).toBe(86_400_000 + 60_000);
    expect(day.certificate.keyUsage).toEqual(['1.3.6.1.5.5.7.3.3', CLIENT_AUTH]);
    day.close();
  });

  it('refuses to sign once expired (E_SESSION_EXPIRED) and drops its key', async () => {
    const s = await device.delegate({ ttl: 1000 });
    await s.sign(msg);
    expect(s.expired).toBe(false);
    await sleep(Math.max(0, s.notAfter.getTime() - Date.now()) + 50);
    expect(s.expired).toBe(true);
    await expectCode(() => s.sign(msg), 'E_SESSION_EXPIRED');
    await expectCode(() => s.exportPrivateKey(), 'E_SESSION_EXPIRED');
    expect(s.describe().state).toBe('expired');
    // Public material stays readable, as a KeyObject's would.
    expect(s.certificate.verify(certifier.publicKey)).toBe(true);
  });

  it('refuses at expiry even when a busy event loop has not run the drop timer yet', async () => {
    const s = await device.delegate({ ttl: 1000 });
    await s.sign(msg);
    // Block the loop (synchronously) past notAfter: no timer can have fired.
    while (Date.now() <= s.notAfter.getTime()) {
      /* spin */
    }
    await expectCode(() => s.sign(msg), 'E_SESSION_EXPIRED');
    s.close();
  });

  it('renews ahead of expiry in the background; signers never wait or fail', async () => {
    const s = await device.delegate({ ttl: 2000, renew: true, renewBefore: 1000 });
    const firstSerial = s.certificate.serialNumber;
    const keys = new Set<string>();
    let signed = 0;
    const until = s.notAfter.getTime() + 1500; // past the first certificate's end
    while (Date.now() < until) {
      const data = Buffer.from(`n${signed}`);
      const current = s.publicKey;
      const sig = await s.sign(data);
      // Made by the key that was current when it was asked for, or by its successor.
      const by = [current, s.publicKey].filter((k) => cryptoVerify('sha256', data, k, sig));
      expect(by.length, `signature ${signed}`).toBeGreaterThan(0);
      keys.add(s.certificate.serialNumber);
      signed++;
      if (signed % 50 === 0) await sleep(1);
    }
    expect(keys.size).toBeGreaterThanOrEqual(2);
    expect(s.certificate.serialNumber).not.toBe(firstSerial);
    expect(s.certificate.verify(certifier.publicKey)).toBe(true);
    expect(s.describe()).toMatchObject({ state: 'active', autoRenew: true });
    s.close();
  });

  it('renew() switches to a new key; signs made while it runs use the old one', async () => {
    const s = await device.delegate({ ttl: '5m' });
    const oldKey = s.publicKey;
    const renewing = s.renew();
    const during = await Promise.all([s.sign(msg), s.sign(msg)]);
    for (const sig of during) expect(cryptoVerify('sha256', msg, oldKey, sig)).toBe(true);
    await renewing;
    expect(s.publicKey).not.toBe(oldKey);
    expect(cryptoVerify('sha256', msg, s.publicKey, await s.sign(msg))).toBe(true);
    expect(cryptoVerify('sha256', msg, oldKey, await s.sign(msg))).toBe(false);
    s.close();
  });

  it('close() drops the key: E_CLOSED afterwards; closing the store closes its sessions', async () => {
    const s = await device.delegate({ ttl: '5m' });
    s.close();
    s.close();
    await expectCode(() => s.sign(msg), 'E_CLOSED');
    await expectCode(() => s.exportPrivateKey(), 'E_CLOSED');
    await expectCode(() => s.renew(), 'E_CLOSED');
    expect(s.describe().state).toBe('closed');

    const own = await openApiStore({ keys: ['k'] });
    const k = await own.ks.getKey('k');
    const live = await k.delegate({ ttl: '5m', renew: true });
    await live.sign(msg);
    await closeApiStore(own);
    await expectCode(() => live.sign(msg), 'E_CLOSED');
    await expectCode(() => k.delegate({ ttl: '5m' }), 'E_CLOSED');
    await expectCode(() => k.certificate(), 'E_CLOSED');

    // A store closed while a session is being issued: the issue fails, nothing is handed out.
    const racing = await openApiStore({ keys: ['k'] });
    const rk = await racing.ks.getKey('k');
    for (let i = 0; i < 3; i++) {
      // The outcome is taken at once, so a rejection is never left unhandled while closing.
      const outcome = rk.delegate({ ttl: '5m' }).then(
        (s) => s,
        (e: { code?: string }) => e.code,
      );
      if (i === 2) await closeApiStore(racing);
      const result = await outcome;
      if (i < 2) (result as SessionKey).close();
      else expect(result).toBe('E_CLOSED');
    }
  });
});

describe('verifySessionCertificate', () => {
  it('returns the session public key, deviceId and window for a good certificate or chain', () => {
    for (const input of [
      session.certificate,
      session.certificate.toString(),
      session.certificateChain(),
      Buffer.from(session.certificate.raw),
    ]) {
      const v = verifySessionCertificate(input, {
        deviceCertificate: deviceCert,
        purpose: CUSTOM_PURPOSE,
      });
      expect(v.publicKey.export({ format: 'der', type: 'spki' })).toEqual(
        session.publicKey.export({ format: 'der', type: 'spki' }),
      );
      expect(v.deviceId).toBe(deviceIdOfKey(certifier));
      expect(v.notAfter).toEqual(session.notAfter);
      expect(v.extendedKeyUsage).toContain(CLIENT_AUTH);
    }
    // Pinned as PEM, or as the device's public key alone.
    expect(
      verifySessionCertificate(session.certificate, { deviceCertificate: deviceCert.toString() })
        .deviceId,
    ).toBe(deviceIdOfKey(certifier));
    expect(
      verifySessionCertificate(session.certificate, {
        devicePublicKey: certifier.exportPublicKey('pem'),
      }).deviceId,
    ).toBe(deviceIdOfKey(certifier));
  });

  async function refused(
    input: unknown,
    opts: Parameters<typeof verifySessionCertificate>[1],
    check: string,
  ): Promise<void> {
    const err = await expectCode(
      () => verifySessionCertificate(input as never, opts),
      'E_CERTIFICATE_INVALID',
      check,
    );
    expect((err as { check?: string }).check).toBe(check);
  }

  it('names the check that failed', async () => {
    const foreign = await otherDevice.delegate({ ttl: '5m' });
    const foreignCert = await otherDevice.certificate();
    // A session of another device, against this device's certificate or public key.
    await refused(foreign.certificate, { deviceCertificate: deviceCert }, 'issuer');
    await refused(foreign.certificate, { devicePublicKey: certifier.publicKey }, 'issuer');
    // The right issuer name and key id, but one bit of the signature changed.
    const der = Buffer.from(session.certificate.raw);
    der[der.length - 3]! ^= 0x01;
    await refused(der, { deviceCertificate: deviceCert, purpose: CUSTOM_PURPOSE }, 'signature');
    // Outside its window.
    await refused(
      session.certificate,
      {
        deviceCertificate: deviceCert,
        at: new Date(session.notAfter.getTime() + 1000),
        clockSkew: 0,
      },
      'validity',
    );
    await refused(
      session.certificate,
      {
        deviceCertificate: deviceCert,
        at: new Date(session.notBefore.getTime() - 1000),
        clockSkew: 0,
      },
      'validity',
    );
    // Not issued for this purpose.
    await refused(
      session.certificate,
      { deviceCertificate: deviceCert, purpose: 'codeSigning' },
      'purpose',
    );
    // A CA certificate is no session certificate; a session certificate is no trust anchor.
    await refused(deviceCert, { deviceCertificate: deviceCert }, 'constraints');
    await refused(
      session.certificate,
      { deviceCertificate: session.certificate },
      'device-certificate',
    );
    await refused(Buffer.from('not a certificate'), { deviceCertificate: deviceCert }, 'format');
    await refused(
      session.certificate,
      { deviceCertificate: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' },
      'format',
    );
    // Another device's certificate, and this device's own once it has expired.
    await refused(session.certificate, { deviceCertificate: foreignCert }, 'issuer');
    const shortLived = await device.certificate({ days: 1 });
    const later = new Date(Date.now() + 2 * 86_400_000);
    const err = await expectCode(
      () =>
        verifySessionCertificate(session.certificate, { deviceCertificate: shortLived, at: later }),
      'E_CERTIFICATE_INVALID',
    );
    expect(err.message).toContain('the device certificate expired');
    expect((err as { check?: string }).check).toBe('validity');
    foreign.close();
  });

  it('refuses a certificate whose key is an empty EC point, without a crash', async () => {
    const inSession = certificatesWithSpki(EMPTY_POINT_SPKI, false);
    await refused(inSession.session, { deviceCertificate: inSession.device }, 'key');
    const inDevice = certificatesWithSpki(EMPTY_POINT_SPKI, true);
    await refused(inDevice.session, { deviceCertificate: inDevice.device }, 'device-certificate');
  });

  it('refuses bad arguments with E_INVALID_ARGUMENT', async () => {
    for (const opts of [
      {},
      { deviceCertificate: deviceCert, devicePublicKey: certifier.publicKey },
      { deviceCertificate: deviceCert, at: 'now' },
      { deviceCertificate: deviceCert, purpose: 'x' },
      { deviceCertificate: deviceCert, bogus: 1 },
      null,
    ]) {
      await expectCode(
        () => verifySessionCertificate(session.certificate, opts as never),
        'E_INVALID_ARGUMENT',
        JSON.stringify(opts),
      );
    }
    await expectCode(
      () => verifySessionCertificate(42 as never, { deviceCertificate: deviceCert }),
      'E_INVALID_ARGUMENT',
    );
  });
});

describe('TLS client authentication: a node https server pinning the device certificate', () =>
  mtlsTests(() => ({ deviceCert, session, otherDevice })));

describe('a session key as a public key', () => {
  it('verify(session, …) and ecdh(session) read its current point, after a renewal too', async () => {
    const s = await device.delegate({ ttl: '1m' });
    try {
      const first = await s.sign('m');
      expect(verify(s, 'm', first)).toBe(true);
      await s.renew();
      const second = await s.sign('m');
      expect(verify(s, 'm', second)).toBe(true);
      // The old signature was made by the key the renewal replaced.
      expect(verify(s, 'm', first)).toBe(false);
      const shared = await device.ecdh(s);
      const expected = diffieHellman({
        privateKey: createPrivateKey(s.exportPrivateKey()),
        publicKey: device.publicKey,
      });
      expect(shared.equals(expected)).toBe(true);
    } finally {
      s.close();
    }
  });
});
