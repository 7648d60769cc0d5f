// Every TPM command that carries a digest, a secret or a PIN goes through an HMAC session salted
// to the store's pinned SRK (docs/tpm.md, "Sessions"). These tests watch the wire between the
// addon and swtpm, tamper with it, put another TPM's SRK in the way, and count wrong PINs.
import {
  createECDH,
  createHash,
  diffieHellman,
  generateKeyPairSync,
  randomBytes,
  verify as cryptoVerify,
  X509Certificate,
  type KeyObject,
} from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keystore, verifySessionCertificate } from '../../../src/index';
import {
  TPMA_OBJECT,
  marshalSealTemplate,
  parseTpm2bPublic,
} from '../../../src/crypto/tpm2-structures';
import { decodeTss2Pem } from '../../../src/crypto/tss2-pem';
import { CERTIFYING_POLICY } from '../../../src/tiers/tpm2/key-checks';
import { loadNative } from '../../../src/addon/load';
import { Swtpm } from '../../helpers/swtpm';
import { CC, WireRelay } from '../../helpers/wire';
import { runCli } from '../../helpers/proc';
import { expectCode, makeTempDir, removeDir, sha256, tpm2 } from '../../helpers/tpm';

const OWNER = 0x40000001;
const PIN = 'correct-horse-4711';

let swtpm: Swtpm;
let other: Swtpm;
let relay: WireRelay;
let scratch: string;

beforeAll(async () => {
  process.env.TSS2_LOG ??= 'all+NONE';
  [swtpm, other] = await Promise.all([Swtpm.start(), Swtpm.start()]);
  relay = await WireRelay.start(swtpm);
  scratch = await makeTempDir('sessions');
});

afterAll(async () => {
  await relay?.stop();
  await Promise.all([swtpm?.stop(), other?.stop()]);
  await removeDir(scratch);
});

function contains(haystack: Buffer, needle: Buffer): boolean {
  return haystack.indexOf(needle) !== -1;
}

describe('the wire between the addon and the TPM', () => {
  it('carries neither the digest signed, nor the ECDH secret, nor sealed data, nor a PIN or its SHA-256', async () => {
    const dir = path.join(scratch, 'capture');
    const ks = await Keystore.open({ dir, tcti: relay.tcti });
    try {
      const key = await ks.createKey('plain');
      const message = Buffer.from(`a message to sign ${randomBytes(8).toString('hex')}`);
      const signature = await key.sign(message);
      expect(key.verify(message, signature)).toBe(true);
      const digest = sha256(message);

      const peer = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const shared = await key.ecdh(peer.publicKey);
      expect(
        shared.equals(diffieHellman({ privateKey: peer.privateKey, publicKey: key.publicKey })),
      );

      const secret = Buffer.from(`recognisable sealed secret ${randomBytes(8).toString('hex')}`);
      await ks.secrets.set('s', secret);
      expect((await ks.secrets.get('s')).equals(secret)).toBe(true);

      const pinKey = await ks.createKey('with-pin', { pin: PIN });
      const pinned = await pinKey.sign(message, { pin: PIN });
      expect(pinKey.verify(message, pinned)).toBe(true);
      expect(pinKey.userPresence).toBe('pin');

      // A TPM sealed-data object (what 0.1.0 made): Create sends it, Unseal returns it.
      const native = loadNative();
      if (!native.ok || !native.addon.TpmConnection) throw new Error('no TPM addon');
      const conn = new native.addon.TpmConnection(relay.tcti);
      const sealed = Buffer.from(`sealed-data-object ${randomBytes(8).toString('hex')}`);
      try {
        conn.pinSrk(await conn.srkName());
        const blobs = await conn.createKey(OWNER, marshalSealTemplate(), sealed);
        const back = await conn.unseal(OWNER, blobs.publicBlob, blobs.privateBlob);
        expect(back.equals(sealed)).toBe(true);
      } finally {
        await conn.close();
      }

      const capture = relay.capture;
      // The capture is real: it holds the commands that did the work.
      for (const code of [CC.Sign, CC.ECDH_ZGen, CC.Create, CC.Load, CC.Unseal]) {
        expect(relay.commands, code.toString(16)).toContain(code);
      }
      expect(contains(capture, key.exportPublicKey('raw').subarray(1, 33))).toBe(true);
      expect(contains(capture, digest), 'the digest').toBe(false);
      expect(contains(capture, shared), 'the ECDH shared secret').toBe(false);
      expect(contains(capture, sealed), 'the sealed data').toBe(false);
      expect(contains(capture, secret), 'the sealed secret').toBe(false);
      expect(contains(capture, Buffer.from(PIN)), 'the PIN').toBe(false);
      expect(contains(capture, sha256(PIN)), "the PIN's SHA-256").toBe(false);
    } finally {
      await ks.close();
    }
  });

  it('a response with one bit flipped is refused with E_TPM_INTEGRITY, never a wrong result', async () => {
    const dir = path.join(scratch, 'flip');
    const ks = await Keystore.open({ dir, tcti: relay.tcti });
    try {
      const key = await ks.createKey('k');
      const message = Buffer.from('flip me');
      relay.flipNextResponseTo(CC.Sign);
      await expectCode(() => key.sign(message), 'E_TPM_INTEGRITY');
      const peer = createECDH('prime256v1');
      peer.generateKeys();
      relay.flipNextResponseTo(CC.ECDH_ZGen);
      await expectCode(() => key.ecdh(peer.getPublicKey()), 'E_TPM_INTEGRITY');
      // The next calls start a fresh session and succeed.
      expect(key.verify(message, await key.sign(message))).toBe(true);
      const shared = await key.ecdh(peer.getPublicKey());
      expect(shared.equals(peer.computeSecret(key.exportPublicKey('raw')))).toBe(true);
    } finally {
      await ks.close();
    }
  });

  it("an interposer answering for the SRK with another TPM's key is refused before any secret-bearing command", async () => {
    const dir = path.join(scratch, 'interposer');
    const made = await Keystore.open({ dir, tcti: relay.tcti });
    const message = Buffer.from('for the real TPM only');
    try {
      await made.createKey('k');
    } finally {
      await made.close();
    }
    const pin = JSON.parse(await fsp.readFile(path.join(dir, 'tpm2-srk.json'), 'utf8'));
    expect(pin.srkName).toMatch(/^000b[0-9a-f]{64}$/);
    expect(pin.how).toBe('new-store');

    relay.divert = { codes: [CC.CreatePrimary, CC.ReadPublic], to: other };
    const from = relay.commands.length;
    const ks = await Keystore.open({ dir, tcti: relay.tcti });
    try {
      const key = await ks.getKey('k');
      const err = await expectCode(() => key.sign(message), 'E_TPM_SRK_MISMATCH');
      expect(err.message).toMatch(/not the one this store was made with/);
      expect(err.hint).toMatch(/TPM was cleared/);
      expect(err.hint).toMatch(/between this process and the TPM/);
      await expectCode(() => ks.createKey('k2'), 'E_TPM_SRK_MISMATCH');
      await expectCode(() => ks.secrets.set('x', Buffer.from('never sent')), 'E_TPM_SRK_MISMATCH');
      const after = relay.commands.slice(from);
      expect(after).toContain(CC.CreatePrimary);
      for (const code of [
        CC.StartAuthSession,
        CC.Sign,
        CC.ECDH_ZGen,
        CC.Create,
        CC.Load,
        CC.Unseal,
      ]) {
        expect(after, `command 0x${code.toString(16)} was sent`).not.toContain(code);
      }
    } finally {
      await ks.close();
      relay.divert = undefined;
    }
    // The real TPM again: the same store works.
    const back = await Keystore.open({ dir, tcti: relay.tcti });
    try {
      const key = await back.getKey('k');
      expect(key.verify(message, await key.sign(message))).toBe(true);
    } finally {
      await back.close();
    }
  });

  it('a store made before pinning records the SRK on first use (trust on first use)', async () => {
    const dir = path.join(scratch, 'tofu');
    const ks = await Keystore.open({ dir, tcti: swtpm.tcti });
    await ks.createKey('old');
    await ks.close();
    await fsp.rm(path.join(dir, 'tpm2-srk.json'));
    const again = await Keystore.open({ dir, tcti: swtpm.tcti });
    try {
      const key = await again.getKey('old');
      await key.sign('hello');
      const pin = JSON.parse(await fsp.readFile(path.join(dir, 'tpm2-srk.json'), 'utf8'));
      expect(pin.how).toBe('trust-on-first-use');
    } finally {
      await again.close();
    }
  });
});

async function lockoutCounter(tcti: string): Promise<number> {
  const r = await tpm2(tcti, 'tpm2_getcap', ['properties-variable']);
  expect(r.code, r.stderr).toBe(0);
  const m = /TPM2_PT_LOCKOUT_COUNTER:\s*(0x[0-9a-fA-F]+|\d+)/.exec(r.stdout);
  if (!m) throw new Error(`no lockout counter in: ${r.stdout}`);
  return Number(m[1]);
}

describe('PIN-protected keys', () => {
  it('the right PIN signs; wrong PINs are E_TPM_AUTH and count; then lockout; a PIN-less key keeps working', async () => {
    const tpm = await Swtpm.start(); // its own TPM: this test puts it in lockout
    const dir = path.join(scratch, 'pin');
    const ks = await Keystore.open({ dir, tcti: tpm.tcti });
    try {
      const plain = await ks.createKey('plain');
      const key = await ks.createKey('pin', { pin: PIN });
      const message = Buffer.from('signed with a PIN');
      expect(key.verify(message, await key.sign(message, { pin: PIN }))).toBe(true);
      const info = (await ks.listKeys()).find((k) => k.alias === 'pin')!;
      expect(info.userPresence).toBe('pin');
      expect((await ks.listKeys()).find((k) => k.alias === 'plain')!.userPresence).toBe('none');
      const d = await ks.describe();
      expect(JSON.stringify(d)).toMatch(/"userPresence":"pin"/);

      // No PIN: refused before the TPM is asked, so the counter does not move.
      const before = await lockoutCounter(tpm.tcti);
      await expectCode(() => key.sign(message), 'E_INVALID_ARGUMENT');
      expect(await lockoutCounter(tpm.tcti)).toBe(before);

      for (let i = 1; i <= 3; i++) {
        const err = await expectCode(() => key.sign(message, { pin: `wrong-${i}` }), 'E_TPM_AUTH');
        expect((err as { triesLeft?: number }).triesLeft).toBe(3 - i);
        expect(await lockoutCounter(tpm.tcti)).toBe(before + i);
        expect(plain.verify(message, await plain.sign(message))).toBe(true);
      }
      const locked = await expectCode(() => key.sign(message, { pin: PIN }), 'E_TPM_LOCKOUT');
      expect((locked as { retryAfterSeconds?: number }).retryAfterSeconds).toBeGreaterThan(0);
      expect(plain.verify(message, await plain.sign(message))).toBe(true);
      const peer = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      expect((await plain.ecdh(peer.publicKey)).length).toBe(32);
    } finally {
      await ks.close();
      await tpm.stop();
    }
  });

  it('cacheFor keeps the PIN for that long, and close() drops it', async () => {
    const dir = path.join(scratch, 'cache');
    const ks = await Keystore.open({ dir, tcti: swtpm.tcti });
    const message = Buffer.from('cached');
    try {
      await ks.createKey('c', { pin: PIN });
    } finally {
      await ks.close();
    }
    const ks2 = await Keystore.open({ dir, tcti: swtpm.tcti });
    try {
      const key = await ks2.getKey('c', { pin: PIN, cacheFor: 60_000 });
      expect(key.verify(message, await key.sign(message))).toBe(true);
      await expectCode(() => ks2.getKey('c', { pin: '' }), 'E_INVALID_ARGUMENT');
      await expectCode(() => ks2.getKey('c', { cacheFor: 10 }), 'E_INVALID_ARGUMENT');
    } finally {
      await ks2.close();
    }
    const ks3 = await Keystore.open({ dir, tcti: swtpm.tcti });
    try {
      const key = await ks3.getKey('c');
      await expectCode(() => key.sign(message), 'E_INVALID_ARGUMENT');
      const short = await ks3.getKey('c', { pin: PIN, cacheFor: 50 });
      expect(short.verify(message, await short.sign(message))).toBe(true);
      await new Promise((r) => setTimeout(r, 120));
      await expectCode(() => short.sign(message), 'E_INVALID_ARGUMENT');
    } finally {
      await ks3.close();
    }
  });
});

describe("a PIN key's certifying key (issue 18)", () => {
  // Its own TPM: wrong PINs here count towards that TPM's lockout.
  let tpm: Swtpm;
  beforeAll(async () => {
    tpm = await Swtpm.start();
  });
  afterAll(async () => {
    await tpm?.stop();
  });

  async function clearLockout(): Promise<void> {
    const r = await tpm2(tpm.tcti, 'tpm2_dictionarylockout', ['--clear-lockout']);
    expect(r.code, r.stderr).toBe(0);
    expect(await lockoutCounter(tpm.tcti)).toBe(0);
  }

  /** A new store on this TPM, whose lockout counter starts at 0. */
  async function freshStore(name: string): Promise<{ dir: string; ks: Keystore }> {
    await clearLockout();
    const dir = path.join(scratch, name);
    return { dir, ks: await Keystore.open({ dir, tcti: tpm.tcti }) };
  }

  it('certificate() and delegate() work with the right PIN; the session verifies under the device certificate', async () => {
    const { dir, ks } = await freshStore('pin-certify');
    try {
      const key = await ks.createKey('p', { pin: PIN });
      // Made on first use, as for a key of an earlier release: the PIN is proven first.
      const before = await lockoutCounter(tpm.tcti);
      const wrong = await expectCode(() => key.certificate({ pin: 'not-the-pin' }), 'E_TPM_AUTH');
      expect((wrong as { triesLeft?: number }).triesLeft).toBe(2);
      expect(await lockoutCounter(tpm.tcti)).toBe(before + 1);
      await expect(fsp.access(path.join(dir, 'certifying', 'p.json'))).rejects.toThrow(/ENOENT/);
      await clearLockout();

      const device = await key.certificate({ pin: PIN });
      const certifier = await key.certifyingKey();
      expect([certifier.usage, certifier.userPresence, certifier.info().userPresence]).toEqual([
        'certify',
        'pin',
        'pin',
      ]);
      expect(device.verify(certifier.publicKey)).toBe(true);
      expect(device.publicKey.equals(certifier.publicKey)).toBe(true);

      const session = await key.delegate({ ttl: '5m', pin: PIN });
      try {
        const anchor = session.deviceCertificate;
        expect(anchor.publicKey.equals(certifier.publicKey)).toBe(true);
        expect(session.certificate.checkIssued(anchor)).toBe(true);
        expect(session.certificate.verify(anchor.publicKey)).toBe(true);
        const verified = verifySessionCertificate(session.certificate, {
          deviceCertificate: device,
        });
        expect(verified.publicKey.equals(session.publicKey)).toBe(true);
        expect(session.verify('m', await session.sign('m'))).toBe(true);
      } finally {
        session.close();
      }
    } finally {
      await ks.close();
    }
  });

  it('without its PIN nothing reaches the TPM; a wrong PIN is E_TPM_AUTH and counts; the cached PIN serves', async () => {
    const { dir, ks } = await freshStore('pin-certify-wrong');
    try {
      const key = await ks.createKey('p', { pin: PIN, cacheFor: 60_000 });
      // The cached PIN proves itself and makes the certifying key, and signs with it.
      expect((await key.certificate()).verify((await key.certifyingKey()).publicKey)).toBe(true);
    } finally {
      await ks.close();
    }
    const ks2 = await Keystore.open({ dir, tcti: tpm.tcti });
    try {
      const key = await ks2.getKey('p');
      await expectCode(() => key.certificate(), 'E_INVALID_ARGUMENT');
      await expectCode(() => key.delegate({ ttl: '1m' }), 'E_INVALID_ARGUMENT');
      await expectCode(
        () => key.delegate({ ttl: '1m', pin: PIN, renew: true }),
        'E_INVALID_ARGUMENT',
      );
      expect(await lockoutCounter(tpm.tcti)).toBe(0);

      const err = await expectCode(() => key.certificate({ pin: 'wrong-1' }), 'E_TPM_AUTH');
      expect((err as { triesLeft?: number }).triesLeft).toBe(2);
      expect(await lockoutCounter(tpm.tcti)).toBe(1);
      await expectCode(() => key.delegate({ ttl: '1m', pin: 'wrong-2' }), 'E_TPM_AUTH');
      expect(await lockoutCounter(tpm.tcti)).toBe(2);
      await clearLockout();

      const cached = await ks2.getKey('p', { pin: PIN, cacheFor: 60_000 });
      const session = await cached.delegate({ ttl: '1m' });
      session.close();
      expect((await cached.certificate({ days: 2 })).verify(session.deviceCertificate.publicKey));
      // A key without a PIN takes none.
      const plain = await ks2.createKey('plain');
      await expectCode(() => plain.certificate({ pin: PIN }), 'E_INVALID_ARGUMENT');
      expect(await lockoutCounter(tpm.tcti)).toBe(0);
    } finally {
      await ks2.close();
    }
  });

  it('its key material needs the PIN: the TPM refuses it with an empty authorization', async () => {
    const { dir, ks } = await freshStore('pin-certify-material');
    let certifierKey: KeyObject;
    try {
      const key = await ks.createKey('p', { pin: PIN });
      certifierKey = (await key.certifyingKey({ pin: PIN })).publicKey;
    } finally {
      await ks.close();
    }
    const pem = await fsp.readFile(path.join(dir, 'certifying', 'p.tss2.pem'));
    const decoded = decodeTss2Pem(pem);
    expect(decoded.emptyAuth).toBe(false);
    const pub = parseTpm2bPublic(decoded.publicBlob);
    expect(pub.objectAttributes & TPMA_OBJECT.noDA).toBe(0);
    expect(pub.objectAttributes & TPMA_OBJECT.decrypt).toBe(0);
    expect(pub.objectAttributes & TPMA_OBJECT.userWithAuth).not.toBe(0);
    expect(pub.authPolicy.equals(CERTIFYING_POLICY)).toBe(true);

    // Straight to the TPM with the key files, as code running as the user could.
    const native = loadNative();
    if (!native.ok || !native.addon.TpmConnection) throw new Error('no TPM addon');
    const conn = new native.addon.TpmConnection(tpm.tcti);
    try {
      conn.pinSrk(await conn.srkName());
      const tbs = Buffer.from('a TBSCertificate the PIN was meant to stop');
      const digest = sha256(tbs);
      const blobs = [decoded.parent, decoded.publicBlob, decoded.privateBlob] as const;
      await expect(conn.sign(...blobs, digest)).rejects.toMatchObject({ code: 'E_TPM_AUTH' });
      await expect(conn.sign(...blobs, digest, Buffer.from('wrong'))).rejects.toMatchObject({
        code: 'E_TPM_AUTH',
      });
      expect(await lockoutCounter(tpm.tcti)).toBe(2);
      await clearLockout();
      const p1363 = await conn.sign(...blobs, digest, Buffer.from(PIN));
      const verifier = { key: certifierKey!, dsaEncoding: 'ieee-p1363' } as const;
      expect(cryptoVerify('sha256', tbs, verifier, p1363)).toBe(true);
    } finally {
      await conn.close();
    }
  });
});

describe('the CLI', () => {
  it('create-key --pin-file makes a PIN key; sign needs --pin-file, and a wrong one is exit 11', async () => {
    const dir = path.join(scratch, 'cli');
    const pinFile = path.join(scratch, 'pin.txt');
    const wrongFile = path.join(scratch, 'wrong.txt');
    await fsp.writeFile(pinFile, `${PIN}\n`, { mode: 0o600 });
    await fsp.writeFile(wrongFile, 'not-the-pin\n', { mode: 0o600 });
    const env = { DEVICE_KEYSTORE_TCTI: swtpm.tcti, TSS2_LOG: 'all+NONE' };
    const cli = (args: string[], input?: string) =>
      runCli([...args, '--dir', dir, '--json'], { env, ...(input !== undefined ? { input } : {}) });
    const made = await cli(['create-key', 'p', '--pin-file', pinFile]);
    expect(made.code, made.stderr).toBe(0);
    expect(JSON.parse(made.out).key.userPresence).toBe('pin');
    const signed = await cli(['sign', '--key', 'p', '--pin-file', pinFile], 'data');
    expect(signed.code, signed.stderr).toBe(0);
    const without = await cli(['sign', '--key', 'p'], 'data');
    expect(without.code, without.stderr).toBe(2);
    const wrong = await cli(['sign', '--key', 'p', '--pin-file', wrongFile], 'data');
    expect(wrong.code, wrong.stderr).toBe(11);
    expect(wrong.out + wrong.stderr).toMatch(/E_TPM_AUTH/);
  });

  it('certificate, delegate and sign --certifying take the PIN of a PIN key (--pin-file, --pin-stdin)', async () => {
    const tpm = await Swtpm.start(); // its own TPM: the wrong PIN below counts there
    const dir = path.join(scratch, 'cli-certify');
    const pinFile = path.join(scratch, 'certify-pin.txt');
    const wrongFile = path.join(scratch, 'certify-wrong.txt');
    await fsp.writeFile(pinFile, `${PIN}\n`, { mode: 0o600 });
    await fsp.writeFile(wrongFile, 'not-the-pin\n', { mode: 0o600 });
    const env = { DEVICE_KEYSTORE_TCTI: tpm.tcti, TSS2_LOG: 'all+NONE' };
    const cli = (args: string[], input?: string) =>
      runCli([...args, '--dir', dir, '--json'], { env, ...(input !== undefined ? { input } : {}) });
    try {
      expect((await cli(['create-key', 'p', '--pin-file', pinFile])).code).toBe(0);
      const without = await cli(['certificate', '--alias', 'p']);
      expect(without.code, without.stderr).toBe(2);
      const wrong = await cli(['certificate', '--alias', 'p', '--pin-file', wrongFile]);
      expect(wrong.code, wrong.stderr).toBe(11);
      expect(wrong.out + wrong.stderr).toMatch(/E_TPM_AUTH/);
      expect(await lockoutCounter(tpm.tcti)).toBe(1);

      const cert = await cli(['certificate', '--alias', 'p', '--pin-file', pinFile]);
      expect(cert.code, cert.stderr).toBe(0);
      const device = new X509Certificate(JSON.parse(cert.out).certificate);
      const certOut = path.join(scratch, 'cli-session.pem');
      const keyOut = path.join(scratch, 'cli-session.key');
      const delegated = await cli(
        [
          'delegate',
          '--alias',
          'p',
          '--ttl',
          '5m',
          '--cert-out',
          certOut,
          '--key-out',
          keyOut,
          '--pin-stdin',
        ],
        `${PIN}\n`,
      );
      expect(delegated.code, delegated.stderr).toBe(0);
      const session = new X509Certificate(await fsp.readFile(certOut));
      expect(session.verify(device.publicKey)).toBe(true);
      verifySessionCertificate(session, { deviceCertificate: device });

      const signed = await cli(
        ['sign', '--key', 'p', '--certifying', '--pin-file', pinFile],
        'data',
      );
      expect(signed.code, signed.stderr).toBe(11);
      expect(JSON.parse(signed.out).error.code).toBe('E_KEY_USAGE');
      expect(await lockoutCounter(tpm.tcti)).toBe(1);
    } finally {
      await tpm.stop();
    }
  });
});

it('sha256 of the PIN is what the wire test looks for', () => {
  expect(sha256(PIN).equals(createHash('sha256').update(PIN).digest())).toBe(true);
});
