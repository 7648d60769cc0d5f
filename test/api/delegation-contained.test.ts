/**
 * Issue 18, "delegation, contained": a certifying key that signs nothing else, a verifier that
 * fails closed, sessions that let go of their key, and CLI outputs written like the store
 * writes. Certificates with broken fields are built here by hand (DER from the RFC) and signed
 * by a software "device" key, so each test changes exactly one thing.
 */
import {
  X509Certificate,
  createHash,
  generateKeyPairSync,
  sign as cryptoSign,
  type KeyObject,
} from 'node:crypto';
import {
  chmodSync,
  cpSync,
  existsSync,
  rmSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keystore, verifySessionCertificate, type DeviceKey } from '../../src/index';
import {
  bitString,
  boolean,
  explicit,
  octetString,
  oid,
  sequence,
  tlv,
} from '../../src/crypto/der';
import { spkiDerFromRaw } from '../../src/crypto/p256';
import { PASS, closeApiStore, expectCode, msg, openApiStore, type ApiStore } from '../helpers/api';
import { mtlsRoundTrip } from '../helpers/delegation';
import { TempDirs, describeResult, jsonOf, runCli, runFixture, runTool } from '../helpers/proc';

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const DAY = 86_400_000;

// ---- a hand-made certificate builder -------------------------------------------------------

const ALG = {
  sha256: sequence(oid('1.2.840.10045.4.3.2')),
  sha1: sequence(oid('1.2.840.10045.4.1')),
};
const utc = (text: string) => tlv(0x17, Buffer.from(text, 'latin1'));
const gen = (text: string) => tlv(0x18, Buffer.from(text, 'latin1'));
function utcOf(d: Date): Buffer {
  return utc(d.toISOString().slice(2, 19).replace(/[-:T]/g, '') + 'Z');
}
const name = (cn: string) =>
  sequence(tlv(0x31, sequence(oid('2.5.4.3'), tlv(0x0c, Buffer.from(cn)))));
const ext = (id: string, critical: boolean, value: Buffer) =>
  sequence(oid(id), ...(critical ? [boolean(true)] : []), octetString(value));
const keyUsage = (...bits: number[]) => {
  let byte = 0;
  for (const b of bits) byte |= 0x80 >> b;
  return tlv(0x03, Buffer.of(0, byte));
};
const EXT = {
  caTrue: ext('2.5.29.19', true, sequence(boolean(true), tlv(0x02, Buffer.of(0)))),
  caFalse: ext('2.5.29.19', true, sequence()),
  kuDevice: ext('2.5.29.15', true, keyUsage(0, 5)),
  kuSession: ext('2.5.29.15', true, keyUsage(0)),
  eku: ext('2.5.29.37', false, sequence(oid(CLIENT_AUTH))),
  unknownCritical: ext('1.3.6.1.4.1.99999.7', true, tlv(0x05, Buffer.alloc(0))),
};

interface Software {
  privateKey: KeyObject;
  raw: Buffer;
  id: string;
}
function softwareKey(): Software {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  return {
    privateKey,
    raw: spki.subarray(26),
    id: createHash('sha256').update(spki).digest('base64url'),
  };
}
const ski = (raw: Buffer) =>
  ext('2.5.29.14', false, octetString(createHash('sha1').update(raw).digest()));
const aki = (raw: Buffer) =>
  ext('2.5.29.35', false, sequence(tlv(0x80, createHash('sha1').update(raw).digest())));

function certificate(o: {
  issuer: Software;
  subject: Software;
  notBefore: Buffer;
  notAfter: Buffer;
  extensions: Buffer[];
  alg?: Buffer;
  hash?: string;
}): X509Certificate {
  const alg = o.alg ?? ALG.sha256;
  const tbs = sequence(
    explicit(0, tlv(0x02, Buffer.of(2))),
    tlv(0x02, Buffer.of(0x41, 0x02, 0x03)),
    alg,
    name(o.issuer.id),
    sequence(o.notBefore, o.notAfter),
    name(o.subject.id),
    spkiDerFromRaw(o.subject.raw),
    explicit(3, sequence(...o.extensions, ski(o.subject.raw), aki(o.issuer.raw))),
  );
  const sig = cryptoSign(o.hash ?? 'sha256', tbs, o.issuer.privateKey);
  return new X509Certificate(sequence(tbs, alg, bitString(sig)));
}

const now = Date.now();
const device = softwareKey();
const deviceCert = (
  extensions = [EXT.caTrue, EXT.kuDevice],
  notAfter = utcOf(new Date(now + DAY)),
) =>
  certificate({
    issuer: device,
    subject: device,
    notBefore: utcOf(new Date(now - DAY)),
    notAfter,
    extensions,
  });
const sessionCert = (
  o: Partial<Parameters<typeof certificate>[0]> = {},
  extensions = [EXT.caFalse, EXT.kuSession, EXT.eku],
) =>
  certificate({
    issuer: device,
    subject: softwareKey(),
    notBefore: utcOf(new Date(now - 60_000)),
    notAfter: utcOf(new Date(now + 600_000)),
    extensions,
    ...o,
  });

function refusedWith(
  session: X509Certificate,
  check: string,
  opts: { deviceCertificate?: X509Certificate; clockSkew?: number; at?: Date } = {},
): void {
  let err: unknown;
  try {
    verifySessionCertificate(session, { deviceCertificate: deviceCert(), ...opts });
  } catch (e) {
    err = e;
  }
  expect(err, `expected a refusal (${check})`).toMatchObject({
    code: 'E_CERTIFICATE_INVALID',
    check,
  });
}

describe('the builder makes certificates the verifier accepts', () => {
  it('a well-formed device and session certificate pass (so each refusal below is for its one change)', () => {
    const v = verifySessionCertificate(sessionCert(), { deviceCertificate: deviceCert() });
    expect(v.deviceId).toBe(device.id);
  });
});

describe('1. times are read strictly from the DER and fail closed', () => {
  // Each would be in the future if it were read at all: only its form can fail it.
  const bad: [string, Buffer][] = [
    ['letters', utc('ZZZZZZZZZZZZZ')],
    ['month 13', utc('301301000000Z')],
    ['February 30', utc('300230000000Z')],
    ['empty UTCTime', utc('')],
    ['GeneralizedTime without Z', gen('20301201000000')],
    ['an offset', utc('301201000000+0000')],
    ['fractional seconds', gen('20501201000000.5Z')],
    ['no seconds', utc('3012010000Z')],
    ['GeneralizedTime for year 0049', gen('00491201000000Z')],
  ];
  it.each(bad)('a session notAfter with %s is refused (check "validity")', (_, time) => {
    refusedWith(sessionCert({ notAfter: time }), 'validity');
  });
  it('an unreadable notBefore with a far notAfter does not pass the 24 h cap', () => {
    refusedWith(
      sessionCert({ notBefore: utc('ZZZZZZZZZZZZZ'), notAfter: utcOf(new Date(now + 3650 * DAY)) }),
      'validity',
    );
  });
  it('a device certificate with an unreadable notAfter is refused', () => {
    refusedWith(sessionCert(), 'validity', {
      deviceCertificate: deviceCert(undefined, utc('ZZZZZZZZZZZZZ')),
    });
  });
  it('UTCTime 49 is 2049 and 50 is 1950 (the 2050 rule)', () => {
    refusedWith(sessionCert({ notAfter: utc('500101000000Z') }), 'validity');
    // notAfter 2049 is past the 24 h cap, not unreadable.
    refusedWith(sessionCert({ notAfter: utc('491231235959Z') }), 'constraints');
  });
});

describe('2. key usage: the certifying key signs only certificates', () => {
  let store: ApiStore;
  let key: DeviceKey;
  beforeAll(async () => {
    store = await openApiStore({ keys: ['app'] });
    key = await store.ks.getKey('app');
  });
  afterAll(() => closeApiStore(store));

  it("refuses the certifying key's sign() and ecdh() with E_KEY_USAGE and a hint", async () => {
    const certifier = await key.certifyingKey();
    expect(certifier.usage).toBe('certify');
    expect(key.usage).toBe('general');
    const err = await expectCode(() => certifier.sign(msg), 'E_KEY_USAGE');
    expect((err as { hint?: string }).hint).toMatch(/certificate\(\)|delegate\(\)/);
    await expectCode(() => certifier.sign(Buffer.alloc(32), { prehashed: true }), 'E_KEY_USAGE');
    await expectCode(() => certifier.ecdh(key.publicKey), 'E_KEY_USAGE');
    // The general key still signs and agrees.
    expect(key.verify(msg, await key.sign(msg))).toBe(true);
  });

  it('a certificate the general key signs (the signing-oracle attack) does not verify under the device certificate', async () => {
    const anchor = await key.certificate();
    const session = await key.delegate({ ttl: '5m' });
    // The attacker's TBSCertificate: a client certificate under the device's name, ten years.
    const notBefore = new Date(now - 60_000);
    const notAfter = new Date(now + 3650 * DAY);
    const attacker = softwareKey();
    const forgedTbs = sequence(
      explicit(0, tlv(0x02, Buffer.of(2))),
      tlv(0x02, Buffer.of(0x41, 0x09)),
      ALG.sha256,
      name(deviceIdOf(anchor)),
      sequence(utcOf(notBefore), utcOf(notAfter)),
      name(deviceIdOf(anchor)),
      spkiDerFromRaw(attacker.raw),
      explicit(
        3,
        sequence(EXT.caFalse, EXT.kuSession, EXT.eku, ski(attacker.raw), aki(rawOf(anchor))),
      ),
    );
    // One call to the general-purpose sign(): what any "sign this challenge" app hands out.
    const sig = await key.sign(forgedTbs, { format: 'der' });
    const forged = new X509Certificate(sequence(forgedTbs, ALG.sha256, bitString(sig)));

    expect(() => verifySessionCertificate(forged, { deviceCertificate: anchor })).toThrow(
      expect.objectContaining({ code: 'E_CERTIFICATE_INVALID' }),
    );
    expect(forged.verify(anchor.publicKey)).toBe(false);
    const dir = path.join(store.dir, '..', `oracle-${Date.now()}`);
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'ca.pem'), anchor.toString());
    writeFileSync(path.join(dir, 'forged.pem'), forged.toString());
    const r = await runTool('openssl', [
      'verify',
      '-CAfile',
      path.join(dir, 'ca.pem'),
      '-purpose',
      'sslclient',
      path.join(dir, 'forged.pem'),
    ]);
    expect(r.code).not.toBe(0);
    // Node TLS: a server pinning the device certificate refuses the forged chain, and still
    // accepts a real session (so the refusal is the forgery's).
    const server = await key.delegate({ ttl: '5m', purpose: 'serverAuth' });
    const creds = { ...server.tlsOptions(), ca: server.deviceCertificate.toString() };
    const forgedClient = {
      key: attacker.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string,
      cert: forged.toString() + anchor.toString(),
    };
    const refused = await mtlsRoundTrip(creds, anchor.toString(), forgedClient);
    expect(refused.status).toBeUndefined();
    const accepted = await mtlsRoundTrip(creds, anchor.toString(), session.tlsOptions());
    expect(accepted.status).toBe(200);
    server.close();
    session.close();
  });

  it('editing the record cannot turn the certifying key into a general one (file tier: the AAD)', async () => {
    const certDir = path.join(store.dir, 'certifying');
    const file = path.join(certDir, 'app.json');
    const record = JSON.parse(readFileSync(file, 'utf8'));
    expect(record.usage).toBe('certify');
    delete record.usage;
    const moved = { ...record, alias: 'stolen' };
    writeFileSync(path.join(store.dir, 'keys', 'stolen.json'), JSON.stringify(moved), {
      mode: 0o600,
    });
    await expectCode(() => store.ks.getKey('stolen').then((k) => k.sign(msg)), 'E_CORRUPT');
    // The same file with the alias kept, in place of the general key.
    const keys = path.join(store.dir, 'keys');
    renameSync(path.join(keys, 'app.json'), path.join(keys, 'app.json.bak'));
    writeFileSync(path.join(keys, 'app.json'), JSON.stringify(record), { mode: 0o600 });
    const again = await Keystore.open({ dir: store.dir, passphrase: PASS });
    try {
      await expectCode(() => again.getKey('app').then((k) => k.sign(msg)), 'E_CORRUPT');
    } finally {
      await again.close();
    }
  });
});

describe('2. key usage: stores made before certifying keys', () => {
  const FIXTURE_010 = path.join(__dirname, '..', 'fixtures', 'store-0.1.0');
  const dirs = new TempDirs();
  afterAll(() => dirs.cleanup());

  async function delegatesAndSigns(dir: string, passphrase: string, alias: string): Promise<void> {
    const ks = await Keystore.open({ dir, passphrase });
    try {
      const key = await ks.getKey(alias);
      expect(key.verify(msg, await key.sign(msg))).toBe(true);
      const session = await key.delegate({ ttl: '5m' });
      const anchor = await key.certificate();
      expect(
        verifySessionCertificate(session.certificate, { deviceCertificate: anchor }),
      ).toBeDefined();
      expect(anchor.verify(key.publicKey)).toBe(false);
      session.close();
      expect(existsSync(path.join(dir, 'certifying', `${alias}.json`))).toBe(true);
    } finally {
      await ks.close();
    }
  }

  it('a 0.1.0 store opens, signs, and gets a certifying key on its first delegate()', async () => {
    const dir = path.join(dirs.make(), 'store');
    cpSync(FIXTURE_010, dir, { recursive: true });
    rmSync(path.join(dir, 'README.md'));
    // The modes git does not keep.
    for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
      chmodSync(path.join(e.parentPath, e.name), e.isDirectory() ? 0o700 : 0o600);
    }
    chmodSync(dir, 0o700);
    await delegatesAndSigns(dir, 'fixture passphrase for the 0.1.0 store', 'identity-41e19760952b');
  });

  it('a certifying key whose key is gone (a crash inside deleteKey) is not inherited by a new key of that alias', async () => {
    const dir = path.join(dirs.make(), 'store');
    const ks = await Keystore.open({ dir, passphrase: PASS });
    try {
      const old = await (await ks.createKey('app')).certifyingKey();
      rmSync(path.join(dir, 'keys', 'app.json'));
      const fresh = await (await ks.createKey('app')).certifyingKey();
      expect(fresh.exportPublicKey('raw')).not.toEqual(old.exportPublicKey('raw'));
    } finally {
      await ks.close();
    }
  });

  it('a store as the previous build wrote it (no certifying/ directory) does the same', async () => {
    const dir = path.join(dirs.make(), 'store');
    const ks = await Keystore.open({ dir, passphrase: PASS });
    await ks.init({ name: 'before' });
    const alias = (await ks.identity()).keyAlias;
    await ks.close();
    expect(existsSync(path.join(dir, 'certifying', `${alias}.json`))).toBe(true);
    rmSync(path.join(dir, 'certifying'), { recursive: true });
    await delegatesAndSigns(dir, PASS, alias);
  });
});

function rawOf(cert: X509Certificate): Buffer {
  return cert.publicKey.export({ format: 'der', type: 'spki' }).subarray(26);
}
function deviceIdOf(cert: X509Certificate): string {
  return createHash('sha256')
    .update(cert.publicKey.export({ format: 'der', type: 'spki' }))
    .digest('base64url');
}

describe('3. unknown critical and duplicate extensions are refused', () => {
  it('in the session certificate', () => {
    refusedWith(
      sessionCert({}, [EXT.caFalse, EXT.kuSession, EXT.eku, EXT.unknownCritical]),
      'extensions',
    );
    refusedWith(sessionCert({}, [EXT.caFalse, EXT.kuSession, EXT.eku, EXT.eku]), 'extensions');
  });
  it('in the device certificate', () => {
    refusedWith(sessionCert(), 'extensions', {
      deviceCertificate: deviceCert([EXT.caTrue, EXT.kuDevice, EXT.unknownCritical]),
    });
  });
});

describe('5. CA and keyUsage must agree', () => {
  it('CA:TRUE without keyCertSign', () => {
    refusedWith(sessionCert(), 'constraints', {
      deviceCertificate: deviceCert([EXT.caTrue, ext('2.5.29.15', true, keyUsage(0))]),
    });
  });
  it('keyCertSign with CA:FALSE, and keyCertSign without basicConstraints', () => {
    refusedWith(sessionCert({}, [EXT.caFalse, EXT.kuDevice, EXT.eku]), 'constraints');
    refusedWith(sessionCert({}, [EXT.kuDevice, EXT.eku]), 'constraints');
  });
  it('keyUsage without digitalSignature', () => {
    refusedWith(
      sessionCert({}, [EXT.caFalse, ext('2.5.29.15', true, keyUsage(2)), EXT.eku]),
      'constraints',
    );
  });
});

describe('6. only ecdsa-with-SHA256', () => {
  it('a session signed with ecdsa-with-SHA1 is refused (check "algorithm")', () => {
    refusedWith(sessionCert({ alg: ALG.sha1, hash: 'sha1' }), 'algorithm');
  });
});

describe('7. clock skew', () => {
  it('a session starting a second from now passes with the default skew, not with clockSkew 0', () => {
    const s = sessionCert({ notBefore: utcOf(new Date(now + 1000)) });
    expect(() =>
      verifySessionCertificate(s, { deviceCertificate: deviceCert(), at: new Date(now) }),
    ).not.toThrow();
    refusedWith(s, 'validity', { clockSkew: 0, at: new Date(now) });
  });
  it('the issuer backdates notBefore a minute, so verifiers without a skew setting accept', async () => {
    const store = await openApiStore({ keys: ['k'] });
    try {
      const s = await (await store.ks.getKey('k')).delegate({ ttl: '1m' });
      expect(Date.now() - s.notBefore.getTime()).toBeGreaterThanOrEqual(59_000);
      s.close();
    } finally {
      await closeApiStore(store);
    }
  });
});

describe('8. purposes are own properties', () => {
  it("'constructor' and '__proto__' are E_INVALID_ARGUMENT, in delegate() and the verifier", async () => {
    const store = await openApiStore({ keys: ['k'] });
    try {
      const key = await store.ks.getKey('k');
      for (const purpose of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
        await expectCode(() => key.delegate({ ttl: '1m', purpose }), 'E_INVALID_ARGUMENT', purpose);
        await expectCode(
          () =>
            verifySessionCertificate(sessionCert(), { deviceCertificate: deviceCert(), purpose }),
          'E_INVALID_ARGUMENT',
          purpose,
        );
      }
    } finally {
      await closeApiStore(store);
    }
  });
});

describe('4. session keys let go', () => {
  it('close(), expiry and an unreferenced session leave the private key collectable', async () => {
    const r = await runFixture('session-release.cjs', []);
    expect(r.code, r.stderr + r.out).toBe(0);
    expect(JSON.parse(r.out)).toEqual({ afterClose: true, afterExpiry: true, unreferenced: true });
  });
});

describe('9. CLI output files and the certifying key from the CLI', () => {
  const tmp = new TempDirs();
  const ENV = { DEVICE_KEYSTORE_PASSPHRASE: 'cli contained passphrase, not a real one' };
  let dir: string;
  let work: string;
  const cli = (args: string[]) => runCli(['--dir', dir, ...args], { env: ENV });
  beforeAll(async () => {
    dir = path.join(tmp.make(), 'store');
    work = tmp.make();
    const r = await cli(['init', '--name', 'contained', '--backend', 'encrypted-file']);
    expect(r.code, describeResult(r)).toBe(0);
  });
  afterAll(() => tmp.cleanup());

  it('`sign --certifying` is refused with E_KEY_USAGE; plain `sign` still works', async () => {
    const input = path.join(work, 'tbs.der');
    writeFileSync(input, 'a TBSCertificate an attacker chose');
    const r = await cli(['sign', '--certifying', '--in', input, '--json']);
    expect(r.code, describeResult(r)).toBe(11);
    expect(jsonOf(r).error.code).toBe('E_KEY_USAGE');
    const ok = await cli(['sign', '--in', input, '--json']);
    expect(ok.code, describeResult(ok)).toBe(0);
  });

  it('certificate --out and --cert-out replace a planted symlink instead of following it', async () => {
    const victim = path.join(work, 'victim.txt');
    writeFileSync(victim, 'not yours\n');
    const out = path.join(work, 'planted-cert.pem');
    symlinkSync(victim, out);
    expect((await cli(['certificate', '--out', out])).code).toBe(0);
    const chain = path.join(work, 'planted-chain.pem');
    symlinkSync(victim, chain);
    const r = await cli([
      'delegate',
      '--ttl',
      '1m',
      '--cert-out',
      chain,
      '--key-out',
      path.join(work, 'k1.pem'),
    ]);
    expect(r.code, describeResult(r)).toBe(0);
    expect(readFileSync(victim, 'utf8')).toBe('not yours\n');
    expect(lstatSync(out).isFile()).toBe(true);
    expect(lstatSync(chain).isFile()).toBe(true);
  });

  it('a failed delegate leaves no key file; the same path twice is E_USAGE and destroys nothing', async () => {
    const keyOut = path.join(work, 'loose.pem');
    const r = await cli([
      'delegate',
      '--ttl',
      '1m',
      '--key-out',
      keyOut,
      '--cert-out',
      path.join(work, 'no-such-dir', 'chain.pem'),
    ]);
    expect(r.code, describeResult(r)).not.toBe(0);
    expect(existsSync(keyOut)).toBe(false);
    const same = path.join(work, 'same.pem');
    writeFileSync(same, 'keep me\n');
    const s = await cli([
      'delegate',
      '--ttl',
      '1m',
      '--cert-out',
      same,
      '--key-out',
      same,
      '--json',
    ]);
    expect(s.code, describeResult(s)).toBe(2);
    expect(jsonOf(s).error.code).toBe('E_USAGE');
    expect(readFileSync(same, 'utf8')).toBe('keep me\n');
  });

  it('secret get --out writes a 0600 file, by rename, not through a planted symlink', async () => {
    const set = await runCli(['--dir', dir, 'secret', 'set', 'tok'], {
      env: ENV,
      input: 'a sealed value',
    });
    expect(set.code, describeResult(set)).toBe(0);
    const victim = path.join(work, 'victim-secret.txt');
    writeFileSync(victim, 'not yours\n');
    const out = path.join(work, 'secret.out');
    symlinkSync(victim, out);
    const r = await cli(['secret', 'get', 'tok', '--out', out]);
    expect(r.code, describeResult(r)).toBe(0);
    expect(readFileSync(victim, 'utf8')).toBe('not yours\n');
    expect(readFileSync(out, 'utf8')).toBe('a sealed value');
    expect(lstatSync(out).mode & 0o777).toBe(0o600);
  });

  it("'--purpose constructor' is exit 2, not an internal error", async () => {
    const r = await cli([
      'delegate',
      '--ttl',
      '1m',
      '--purpose',
      'constructor',
      '--cert-out',
      path.join(work, 'c.pem'),
      '--key-out',
      path.join(work, 'c.key'),
    ]);
    expect(r.code, describeResult(r)).toBe(2);
    expect(r.stderr).not.toContain('internal error');
  });
});
