// Every TPM command that carries a digest, a secret or a PIN goes through an HMAC session salted
// to the store's pinned SRK (docs/tpm.md, "Sessions"). These tests watch the wire between the
// addon and swtpm, tamper with it, put another TPM's SRK in the way, and count wrong PINs.
import {
  createECDH,
  createHash,
  diffieHellman,
  generateKeyPairSync,
  randomBytes,
} from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keystore } from '../../../src/index';
import { marshalSealTemplate } from '../../../src/crypto/tpm2-structures';
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

  // Its certifying key (issue 18) would have no PIN: certificates and sessions would bypass it.
  it('a PIN key makes no certificate and no session key (E_KEY_USAGE), and no certifying key', async () => {
    const dir = path.join(scratch, 'pin-delegation');
    const ks = await Keystore.open({ dir, tcti: swtpm.tcti });
    try {
      const key = await ks.createKey('p', { pin: PIN });
      await expectCode(() => key.certifyingKey(), 'E_KEY_USAGE');
      await expectCode(() => key.certificate(), 'E_KEY_USAGE');
      await expectCode(() => key.delegate({ ttl: 60_000 }), 'E_KEY_USAGE');
      await expect(fsp.access(path.join(dir, 'certifying', 'p.json'))).rejects.toThrow(/ENOENT/);
      const identity = await ks.init({ name: 'pin-delegation' }).then(() => ks.identityKey());
      expect((await identity.certificate()).subject).toContain('CN=');
    } finally {
      await ks.close();
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
});

it('sha256 of the PIN is what the wire test looks for', () => {
  expect(sha256(PIN).equals(createHash('sha256').update(PIN).digest())).toBe(true);
});
