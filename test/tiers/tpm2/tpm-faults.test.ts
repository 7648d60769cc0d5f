/**
 * The TPM 2.0 tier when things go wrong, against real swtpm instances started here: the TPM
 * killed under load, damaged key files, dictionary-attack lockout, and no TPM at all.
 */
import { diffieHellman, generateKeyPairSync } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keystore, type DeviceKey } from '../../../src/index';
import { loadNative } from '../../../src/addon/load';
import { Swtpm } from '../../helpers/swtpm';
import {
  Stores,
  TPM2_PROVIDER,
  buildKeyFile,
  caught,
  closedPort,
  derToPem,
  expectCode,
  handleBody,
  makeTempDir,
  nodeVerifies,
  openssl,
  pemToDer,
  readEccPublic,
  removeDir,
  rewriteRecord,
  sha256Hex,
  splitKeyFile,
  tlv,
  tpm2,
  withTimeout,
  type CaughtError,
  tpm2Genpkey,
} from '../../helpers/tpm';

let swtpm: Swtpm;
let dir: string;
const stores = new Stores();

beforeAll(async () => {
  swtpm = await Swtpm.start();
  dir = await makeTempDir('faults');
});

afterAll(async () => {
  await stores.closeAll();
  await swtpm?.stop();
  await removeDir(dir);
});

function expectTpmUnavailable(err: CaughtError, label: string): void {
  expect(err?.name, `${label}: ${String(err)}`).toBe('KeystoreError');
  expect(err.code, `${label}: ${String(err)}`).toBe('E_TPM_UNAVAILABLE');
  expect(typeof err.tpmRc, `${label}: ${String(err)}`).toBe('number');
}

// ---------------------------------------------------------------------------------------------

describe('closing a native TPM connection', () => {
  it('waits for the work in flight; a second close() resolves too; then every call is E_CLOSED', async () => {
    const native = loadNative();
    if (!native.ok || !native.addon.TpmConnection) throw new Error('the addon has no TPM tier');
    const conn = new native.addon.TpmConnection(swtpm.tcti);
    const order: string[] = [];
    const inFlight = Array.from({ length: 20 }, (_, i) =>
      conn.properties().then((p) => {
        expect(Object.keys(p).length).toBeGreaterThan(10);
        order.push(`properties ${i}`);
      }),
    );
    const first = conn.close().then(() => order.push('close 1'));
    // The guard only proves that it settles (0.1.0's never did); the machine may be busy.
    const second = withTimeout(conn.close(), 45_000, 'the second close()').then(() =>
      order.push('close 2'),
    );
    await Promise.all([...inFlight, first, second]);
    expect(order.slice(0, 20).every((e) => e.startsWith('properties'))).toBe(true);
    expect(order.slice(20)).toEqual(['close 1', 'close 2']);
    // A third close, long after: still resolves.
    await withTimeout(conn.close(), 45_000, 'a later close()');
    const blob = Buffer.alloc(4);
    await expectCode(() => conn.properties(), 'E_CLOSED');
    await expectCode(() => conn.sign(0x40000001, blob, blob, Buffer.alloc(32)), 'E_CLOSED');
    await expectCode(() => conn.unseal(0x40000001, blob, blob), 'E_CLOSED');
  });
});

// ---------------------------------------------------------------------------------------------

describe('swtpm killed in the middle of the work', () => {
  let ks: Keystore;
  let key: DeviceKey;

  beforeAll(async () => {
    ks = await stores.add({ dir, tcti: swtpm.tcti });
    key = await ks.createKey('stream');
    await ks.secrets.set('stream-secret', 'sealed');
  });

  afterAll(async () => {
    await stores.closeAll();
  });

  it('500 signs at once: every promise settles, the failures are E_TPM_UNAVAILABLE with a tpmRc', async () => {
    let resolved = 0;
    let killed: Promise<void> | undefined;
    const jobs = Array.from({ length: 500 }, (_, i) =>
      key.sign(`stream ${i}`).then(
        (sig) => {
          if (++resolved === 25) killed = swtpm.kill();
          return { i, sig, err: undefined };
        },
        (err: CaughtError) => ({ i, sig: undefined, err }),
      ),
    );
    const results = await withTimeout(Promise.all(jobs), 45_000, '500 signs with the TPM killed');
    await killed;
    const ok = results.filter((r) => r.sig);
    const failed = results.filter((r) => r.err);
    expect(ok.length + failed.length).toBe(500);
    expect(ok.length).toBeGreaterThanOrEqual(25);
    expect(failed.length).toBeGreaterThan(0);
    for (const r of ok) expect(nodeVerifies(key.publicKey, `stream ${r.i}`, r.sig!)).toBe(true);
    for (const r of failed) expectTpmUnavailable(r.err!, `sign ${r.i}`);
    expect(failed[0]!.err!.message).toContain(swtpm.tcti);

    // While the TPM is gone, every kind of call fails the same way, and promptly.
    const dead = await withTimeout(
      Promise.all([
        caught(() => key.sign('dead')),
        caught(() => key.ecdh(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey)),
        caught(() => ks.secrets.get('stream-secret')),
        caught(() => ks.secrets.set('while-dead', 'x')),
        caught(() => ks.createKey('while-dead')),
      ]),
      30_000,
      'calls to a dead TPM',
    );
    dead.forEach((err, i) => expectTpmUnavailable(err, `dead call ${i}`));
    // A failed create leaves no key behind.
    await expectCode(() => ks.getKey('while-dead'), 'E_NOT_FOUND');

    // The same Keystore instance works again once the TPM is back (the native layer reconnects).
    await swtpm.restart();
    expect(nodeVerifies(key.publicKey, 'back', await key.sign('back'))).toBe(true);
    expect((await ks.secrets.get('stream-secret')).toString()).toBe('sealed');
    const again = await ks.createKey('after-kill');
    expect(nodeVerifies(again.publicKey, 'new', await again.sign('new'))).toBe(true);
  });

  it('a mixed stream (signs, ECDH, unseals, creates) across a kill: all settle, all work after', async () => {
    const peer = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const shared = diffieHellman({ privateKey: peer.privateKey, publicKey: key.publicKey });
    const run = (i: number): Promise<unknown> => {
      switch (i % 4) {
        case 0:
          return key.sign(`mixed ${i}`);
        case 1:
          return key.ecdh(peer.publicKey).then((z) => expect(z.equals(shared)).toBe(true));
        case 2:
          return ks.secrets.get('stream-secret');
        default:
          return i % 40 === 3 ? ks.createKey(`mixed-${i}`) : key.sign(`mixed ${i}`);
      }
    };
    let done = 0;
    const jobs = Array.from({ length: 240 }, (_, i) =>
      run(i).then(
        () => {
          if (++done === 10) void swtpm.kill();
          return undefined;
        },
        (err: CaughtError) => err,
      ),
    );
    const errors = (await withTimeout(Promise.all(jobs), 45_000, 'mixed stream')).filter(
      (e): e is CaughtError => e !== undefined,
    );
    expect(errors.length).toBeGreaterThan(0);
    errors.forEach((e, i) => expectTpmUnavailable(e, `mixed failure ${i}`));

    await swtpm.restart();
    const after = await Promise.all(Array.from({ length: 40 }, (_, i) => run(i)));
    expect(after).toHaveLength(40);
  });
});

// ---------------------------------------------------------------------------------------------

describe('damaged key files', () => {
  const ALIAS = 'victim';
  let pemPath: string;
  let jsonPath: string;
  let goodPem: string;
  let goodJson: string;
  let goodPoint: Buffer;

  beforeAll(async () => {
    // Forced, so that a TPM that is down fails here instead of quietly using the file tier.
    const ks = await stores.add({ dir, tcti: swtpm.tcti, backend: 'tpm2' });
    const k = await ks.createKey(ALIAS);
    goodPoint = k.exportPublicKey('raw');
    await ks.createKey('bystander');
    await ks.createKey('third');
    await stores.close(ks);
    pemPath = path.join(dir, 'keys', `${ALIAS}.tss2.pem`);
    jsonPath = path.join(dir, 'keys', `${ALIAS}.json`);
    goodPem = await fsp.readFile(pemPath, 'utf8');
    goodJson = await fsp.readFile(jsonPath, 'utf8');
  });

  async function restore(): Promise<void> {
    await fsp.writeFile(pemPath, goodPem, { mode: 0o600 });
    await fsp.chmod(pemPath, 0o600);
    await fsp.writeFile(jsonPath, goodJson, { mode: 0o600 });
  }

  /**
   * Writes `pem` as the key file (and, with `fixSha`, a record whose sha256 and checksum match
   * it, so that the PEM parser or the TPM is what judges it), then loads and signs with a fresh
   * Keystore. Returns the error, or undefined when it worked.
   */
  async function tryPem(pem: string, fixSha = true): Promise<CaughtError | undefined> {
    await fsp.writeFile(pemPath, pem);
    if (fixSha) {
      await rewriteRecord(jsonPath, (body) => {
        body.sideFile.sha256 = sha256Hex(pem);
      });
    }
    const ks = await stores.add({ dir, tcti: swtpm.tcti });
    try {
      const k = await ks.getKey(ALIAS);
      const sig = await k.sign('probe');
      expect(nodeVerifies(k.publicKey, 'probe', sig)).toBe(true);
      return undefined;
    } catch (err) {
      return err as CaughtError;
    } finally {
      await stores.close(ks);
      await restore();
    }
  }

  /** The key file with some of its fields replaced. */
  function rebuilt(edit: {
    oid?: Buffer;
    tagged?: Buffer[];
    parent?: number;
    pub?: Buffer;
    priv?: Buffer;
  }): string {
    const f = splitKeyFile(pemToDer(goodPem));
    return derToPem(
      buildKeyFile({
        oid: edit.oid ?? f.oid,
        tagged: edit.tagged ?? f.tagged.map((t) => t.raw),
        parentBody: handleBody(edit.parent ?? f.parent),
        pub: edit.pub ?? f.pub,
        priv: edit.priv ?? f.priv,
      }),
    );
  }

  /** The SEQUENCE's long-form length made one larger than what follows. */
  function lengthPlusOne(der: Buffer): Buffer {
    expect(der[1]! & 0x80).toBe(0x80);
    const last = 1 + (der[1]! & 0x7f);
    const copy = Buffer.from(der);
    copy[last]! += 1;
    return copy;
  }

  function flipped(blob: Buffer, offset: number): Buffer {
    const copy = Buffer.from(blob);
    copy[offset]! ^= 0x01;
    return copy;
  }

  it('the untouched file, and the same bytes re-encoded by the test, load and sign', async () => {
    expect(await tryPem(goodPem)).toBeUndefined();
    expect(rebuilt({})).toBe(goodPem);
  });

  it('a wrong OID or broken DER/PEM is E_CORRUPT', async () => {
    const der = pemToDer(goodPem);
    const cases: Record<string, string> = {
      'OID importableKey 2.23.133.10.1.4': rebuilt({ oid: Buffer.from('6781050a0104', 'hex') }),
      'OID of something else (1.2.840.10045.2.1)': rebuilt({
        oid: Buffer.from('2a8648ce3d0201', 'hex'),
      }),
      'DER cut short': derToPem(der.subarray(0, der.length - 1)),
      'DER with a trailing byte': derToPem(Buffer.concat([der, Buffer.of(0)])),
      'outer length one too long': derToPem(lengthPlusOne(der)),
      'not a SEQUENCE': derToPem(Buffer.concat([Buffer.of(0x31), der.subarray(1)])),
      'PEM body not base64': goodPem.replace(/\n[A-Za-z0-9+/]/, '\n*'),
      'PEM label changed': goodPem.replace(/TSS2 PRIVATE KEY/g, 'PRIVATE KEY'),
      'empty file': '',
    };
    for (const [label, pem] of Object.entries(cases)) {
      const err = await tryPem(pem);
      expect(err?.code, `${label}: ${String(err)}`).toBe('E_CORRUPT');
    }
  });

  it('a parent handle this library does not use is E_CORRUPT, before the TPM is asked', async () => {
    for (const parent of [0x40000007, 0x4000000b, 0x4000000c, 0x81000002, 0x80000000, 0]) {
      const err = await tryPem(rebuilt({ parent }));
      expect(err?.code, `parent 0x${parent.toString(16)}: ${String(err)}`).toBe('E_CORRUPT');
      expect(err!.message).toMatch(/parent/);
    }
  });

  it('parent 0x81000001 with nothing persisted there is a typed TPM error', async () => {
    const err = await tryPem(rebuilt({ parent: 0x81000001 }));
    expect(err?.code, String(err)).toBe('E_TPM');
    expect(typeof err!.tpmRc).toBe('number');
    // TPM_RC_HANDLE (0x08B, format 1) from reading the persistent handle's public area.
    expect(err!.tpmRc! & 0xbf).toBe(0x8b);
  });

  it('a key file naming a persistent H-2 SRK at 0x81000001 loads under it, even with full slots', async () => {
    const ctx = path.join(dir, 'srk.ctx');
    const tools = async (tool: string, args: string[]) => {
      const r = await tpm2(swtpm.tcti, tool, args);
      expect(r.code, `${tool}: ${r.stderr}`).toBe(0);
    };
    await tools('tpm2_createprimary', [
      ...['-C', 'o', '-g', 'sha256', '-G', 'ecc256:null:aes128cfb', '-c', ctx],
      ...['-a', 'restricted|decrypt|fixedtpm|fixedparent|sensitivedataorigin|userwithauth|noda'],
    ]);
    await tools('tpm2_evictcontrol', ['-C', 'o', '-c', ctx, '0x81000001']);
    await tools('tpm2_flushcontext', ['-t']);
    try {
      const pem = rebuilt({ parent: 0x81000001 });
      await fsp.writeFile(pemPath, pem);
      await rewriteRecord(jsonPath, (body) => {
        body.sideFile.sha256 = sha256Hex(pem);
      });
      const ks = await stores.add({ dir, tcti: swtpm.tcti });
      try {
        // Fill the TPM's ~3 object slots first: the SRK and two cached keys.
        for (const alias of ['bystander', 'third', 'bystander']) {
          const k = await ks.getKey(alias);
          expect(nodeVerifies(k.publicKey, alias, await k.sign(alias))).toBe(true);
        }
        const k = await ks.getKey(ALIAS);
        expect(k.exportPublicKey('raw').equals(goodPoint)).toBe(true);
        for (let i = 0; i < 5; i++) {
          expect(nodeVerifies(k.publicKey, `p${i}`, await k.sign(`p${i}`))).toBe(true);
          const other = await ks.getKey(i % 2 ? 'third' : 'bystander');
          expect(nodeVerifies(other.publicKey, `o${i}`, await other.sign(`o${i}`))).toBe(true);
        }
      } finally {
        await stores.close(ks);
        await restore();
      }
    } finally {
      await tools('tpm2_evictcontrol', ['-C', 'o', '-c', '0x81000001']);
      await fsp.rm(ctx, { force: true });
    }
  });

  it('a flipped byte inside the private blob is refused by the TPM (TPM_RC_INTEGRITY)', async () => {
    const priv = splitKeyFile(pemToDer(goodPem)).priv;
    // In the integrity HMAC, in the encrypted sensitive area, and the very last byte.
    for (const offset of [4, 40, priv.length - 1]) {
      const err = await tryPem(rebuilt({ priv: flipped(priv, offset) }));
      expect(err?.code, `offset ${offset}: ${String(err)}`).toBe('E_TPM');
      expect(typeof err!.tpmRc).toBe('number');
      expect(err!.tpmRc! & 0xffff0000).toBe(0); // the TPM's own answer, not the TSS's
      expect(err!.tpmRc! & 0xbf, err!.message).toBe(0x9f); // TPM_RC_INTEGRITY
    }
    // A private blob whose size prefix lies is caught by the parser.
    const bad = Buffer.from(priv);
    bad.writeUInt16BE(bad.readUInt16BE(0) - 1, 0);
    expect((await tryPem(rebuilt({ priv: bad })))?.code).toBe('E_CORRUPT');
  });

  it('a changed public area: a different point is E_CORRUPT, a cleared noDA bit the TPM refuses', async () => {
    const pub = splitKeyFile(pemToDer(goodPem)).pub;
    const info = readEccPublic(pub);
    expect(info.point.equals(goodPoint)).toBe(true);
    // A different x: not the public key the record holds.
    const moved = await tryPem(rebuilt({ pub: flipped(pub, info.xOffset + 5) }));
    expect(moved?.code, String(moved)).toBe('E_CORRUPT');
    // noDA (bit 10) cleared: still a loadable-looking key with the same point, but its name no
    // longer matches what the private blob was bound to.
    const noDa = Buffer.from(pub);
    noDa.writeUInt32BE(info.attributes & ~0x400, info.attributesOffset);
    const err = await tryPem(rebuilt({ pub: noDa }));
    expect(err?.code, String(err)).toBe('E_TPM');
    expect(err!.tpmRc! & 0xbf).toBe(0x9f);
    // sign (bit 18) cleared: not a signing key, refused before the TPM.
    const noSign = Buffer.from(pub);
    noSign.writeUInt32BE(info.attributes & ~0x40000, info.attributesOffset);
    expect((await tryPem(rebuilt({ pub: noSign })))?.code).toBe('E_CORRUPT');
  });

  it('a key file that asks for a password or a policy is E_CORRUPT', async () => {
    const emptyAuthFalse = tlv(0xa0, tlv(0x01, Buffer.of(0x00)));
    const policy = tlv(0xa1, tlv(0x30, tlv(0x30, Buffer.alloc(0))));
    for (const [label, tagged] of Object.entries({
      'no [0] emptyAuth': [],
      '[0] emptyAuth FALSE': [emptyAuthFalse],
      '[1] policy': [tlv(0xa0, tlv(0x01, Buffer.of(0xff))), policy],
    })) {
      const err = await tryPem(rebuilt({ tagged }));
      expect(err?.code, `${label}: ${String(err)}`).toBe('E_CORRUPT');
    }
  });

  it('without the matching sha256 in the record, any change at all is E_CORRUPT', async () => {
    const priv = splitKeyFile(pemToDer(goodPem)).priv;
    const cases: Record<string, string> = {
      'flipped private byte': rebuilt({ priv: flipped(priv, 40) }),
      'one more newline': goodPem + '\n',
      'CRLF line ends': goodPem.replace(/\n/g, '\r\n'),
      'another key of this TPM': await fsp.readFile(
        path.join(dir, 'keys', 'bystander.tss2.pem'),
        'utf8',
      ),
    };
    for (const [label, pem] of Object.entries(cases)) {
      const err = await tryPem(pem, false);
      expect(err?.code, `${label}: ${String(err)}`).toBe('E_CORRUPT');
      expect(err!.message, label).toMatch(/sha256/);
    }
    // The bystander's file with a fixed sha256: its point is not the one in the record.
    const swapped = await tryPem(cases['another key of this TPM']!, true);
    expect(swapped?.code).toBe('E_CORRUPT');
    expect(swapped!.message).toMatch(/public key/);
  });

  it('a missing or group-readable key file is reported as such', async () => {
    await fsp.rm(pemPath);
    let ks = await stores.add({ dir, tcti: swtpm.tcti });
    const missing = await caught(() => ks.getKey(ALIAS));
    await stores.close(ks);
    await restore();
    // The record exists, so the key is not "not found": its material is gone.
    expect(missing.code, String(missing)).toBe('E_CORRUPT');
    expect(missing.message).toContain(pemPath);

    await fsp.chmod(pemPath, 0o644);
    ks = await stores.add({ dir, tcti: swtpm.tcti });
    const loose = await caught(() => ks.getKey(ALIAS));
    await stores.close(ks);
    await restore();
    expect(loose.code, String(loose)).toBe('E_INSECURE_PERMISSIONS');
  });

  it('a key the TPM refused does not disturb the other keys of the same Keystore', async () => {
    const priv = splitKeyFile(pemToDer(goodPem)).priv;
    const pem = rebuilt({ priv: flipped(priv, 40) });
    await fsp.writeFile(pemPath, pem);
    await rewriteRecord(jsonPath, (body) => {
      body.sideFile.sha256 = sha256Hex(pem);
    });
    const ks = await stores.add({ dir, tcti: swtpm.tcti });
    try {
      const bad = await ks.getKey(ALIAS);
      const good = await ks.getKey('bystander');
      const results = await Promise.allSettled([
        bad.sign('a'),
        good.sign('b'),
        bad.sign('c'),
        good.sign('d'),
      ]);
      expect(results.map((r) => r.status)).toEqual([
        'rejected',
        'fulfilled',
        'rejected',
        'fulfilled',
      ]);
      expect(nodeVerifies(good.publicKey, 'd', await good.sign('d'))).toBe(true);
    } finally {
      await stores.close(ks);
      await restore();
    }
    expect(await tryPem(goodPem)).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------

describe('dictionary-attack lockout', () => {
  let da: Swtpm;
  let daDir: string;
  let scratch: string;

  beforeAll(async () => {
    // Its own TPM: lockout settings and state must not leak into the other tests.
    da = await Swtpm.start();
    daDir = await makeTempDir('da');
    scratch = await makeTempDir('da-scratch');
  });

  afterAll(async () => {
    await stores.closeAll();
    await da?.stop();
    await removeDir(daDir);
    await removeDir(scratch);
  });

  const genpkey = (file: string, extra: string[] = []) => tpm2Genpkey(da.tcti, file, extra);

  async function inLockout(): Promise<boolean> {
    const r = await tpm2(da.tcti, 'tpm2_getcap', ['properties-variable']);
    expect(r.code, r.stderr).toBe(0);
    const m = /inLockout:\s+(\d)/.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    return m![1] === '1';
  }

  it('keys without noDA get E_TPM_LOCKOUT; our noDA keys, ECDH and secrets keep working', async () => {
    // Before: our key, a tpm2-openssl key (attributes 0x00060072, no noDA) imported, a secret.
    let ks = await stores.add({ dir: daDir, tcti: da.tcti });
    const ours = await ks.createKey('ours');
    await ks.secrets.set('token', 'still sealed');
    await stores.closeAll(); // tpm2-openssl needs the object slots
    const peerPem = await genpkey(path.join(scratch, 'peer.pem'));
    expect(readEccPublic(splitKeyFile(pemToDer(peerPem)).pub).attributes & 0x400).toBe(0);
    ks = await stores.add({ dir: daDir, tcti: da.tcti });
    // No noDA: the caller's word that it has no password is needed (test/tiers/tpm2/tpm-import.test.ts).
    const peer = await ks.importKey('peer', peerPem, { keyAuth: '' });
    expect(nodeVerifies(peer.publicKey, 'before', await peer.sign('before'))).toBe(true);
    await stores.closeAll();

    // Into lockout: one allowed failure, then a wrong password on a DA-protected key.
    const setup = await tpm2(da.tcti, 'tpm2_dictionarylockout', [
      '--setup-parameters',
      '--max-tries=1',
      '--recovery-time=600',
      '--lockout-recovery-time=600',
    ]);
    expect(setup.code, setup.stderr).toBe(0);
    const pwFile = path.join(scratch, 'password.pem');
    const pwPem = await genpkey(pwFile, ['-pkeyopt', 'user-auth:right']);
    const digest = path.join(scratch, 'digest.bin');
    await fsp.writeFile(digest, Buffer.alloc(32, 7));
    const wrong = await openssl(da.tcti, [
      'pkeyutl',
      ...TPM2_PROVIDER,
      '-sign',
      '-inkey',
      pwFile,
      '-passin',
      'pass:wrong',
      '-in',
      digest,
      '-out',
      path.join(scratch, 'sig.der'),
    ]);
    expect(wrong.code).not.toBe(0);
    expect(await inLockout()).toBe(true);

    ks = await stores.add({ dir: daDir, tcti: da.tcti });
    // The key without noDA is locked out, with a typed error and a hint.
    const locked = await (await ks.getKey('peer')).sign('during').catch((e: CaughtError) => e);
    expect((locked as CaughtError).code, String(locked)).toBe('E_TPM_LOCKOUT');
    expect(typeof (locked as CaughtError).tpmRc).toBe('number');
    expect((locked as CaughtError).tpmRc! & 0xfff).toBe(0x921);
    expect((locked as CaughtError).hint).toMatch(/lockout/);
    // Ours keep working: signing, ECDH, unsealing, creating.
    const oursAgain = await ks.getKey('ours');
    expect(oursAgain.exportPublicKey('raw').equals(ours.exportPublicKey('raw'))).toBe(true);
    expect(nodeVerifies(oursAgain.publicKey, 'during', await oursAgain.sign('during'))).toBe(true);
    const p = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(
      (await oursAgain.ecdh(p.publicKey)).equals(
        diffieHellman({ privateKey: p.privateKey, publicKey: oursAgain.publicKey }),
      ),
    ).toBe(true);
    expect((await ks.secrets.get('token')).toString()).toBe('still sealed');
    await ks.secrets.set('token2', 'sealed in lockout');
    expect((await ks.secrets.get('token2')).toString()).toBe('sealed in lockout');
    const fresh = await ks.createKey('made-in-lockout');
    expect(nodeVerifies(fresh.publicKey, 'x', await fresh.sign('x'))).toBe(true);
    // A key with a password is not something this library can use: refused before the TPM.
    await expectCode(() => ks.importKey('with-password', pwPem), 'E_INVALID_ARGUMENT');
    await stores.closeAll();

    // Clearing the lockout (empty lockout authorization) brings the other key back.
    const clear = await tpm2(da.tcti, 'tpm2_dictionarylockout', ['--clear-lockout']);
    expect(clear.code, clear.stderr).toBe(0);
    expect(await inLockout()).toBe(false);
    ks = await stores.add({ dir: daDir, tcti: da.tcti });
    const back = await ks.getKey('peer');
    expect(nodeVerifies(back.publicKey, 'after', await back.sign('after'))).toBe(true);
    await stores.closeAll();
  });
});

// ---------------------------------------------------------------------------------------------

describe('no TPM at the given transport', () => {
  let noTpm: string;
  let emptyDir: string;

  beforeAll(async () => {
    noTpm = `swtpm:host=127.0.0.1,port=${await closedPort()}`;
    emptyDir = await makeTempDir('no-tpm');
  });

  afterAll(async () => {
    await removeDir(emptyDir);
  });

  it('backend tpm2 fails with E_BACKEND_UNAVAILABLE and says why', async () => {
    const err = await expectCode(
      () => Keystore.open({ dir: emptyDir, backend: 'tpm2', tcti: noTpm }),
      'E_BACKEND_UNAVAILABLE',
    );
    expect(err.message).toContain('tpm2');
    expect(err.message).toContain(noTpm);
    expect(err.message).toMatch(/cannot reach the TPM/);
  });

  it('auto detection falls back to encrypted-file and describe() shows why tpm2 was skipped', async () => {
    const ks = await stores.add({ dir: emptyDir, tcti: noTpm });
    expect(ks.tier).toBe('encrypted-file');
    const d = await ks.describe();
    expect(d.hardwareBacked).toBe(false);
    const tpm = d.tiers.find((t) => t.tier === 'tpm2')!;
    expect(tpm.status).toBe('unavailable');
    expect(tpm.chosen).toBe(false);
    expect(tpm.reason).toContain(noTpm);
    expect(d.tiers.find((t) => t.tier === 'encrypted-file')!.chosen).toBe(true);
    expect(d.warnings.join('\n')).toMatch(/not hardware-backed \(.*tpm2: /);
    await stores.close(ks);

    const hw = await expectCode(
      () => Keystore.open({ dir: emptyDir, tcti: noTpm, requireHardware: true }),
      'E_HARDWARE_REQUIRED',
    );
    expect(hw.message).toContain(noTpm);
  });

  it('an unknown transport name is reported, not crashed on', async () => {
    const err = await expectCode(
      () => Keystore.open({ dir: emptyDir, backend: 'tpm2', tcti: 'no-such-tcti:x' }),
      'E_BACKEND_UNAVAILABLE',
    );
    expect(err.message).toContain('no-such-tcti');
  });

  it('TPM keys in a store whose TPM is gone fail with E_TPM_UNAVAILABLE, promptly', async () => {
    // The store from the tests above holds tpm2 keys; point it at a port where nothing listens.
    const ks = await stores.add({ dir, tcti: noTpm });
    expect(ks.tier).toBe('encrypted-file');
    const k = await ks.getKey('stream');
    expect(k.tier).toBe('tpm2');
    const errs = await withTimeout(
      Promise.all(Array.from({ length: 20 }, () => caught(() => k.sign('nobody home')))),
      30_000,
      'signs without a TPM',
    );
    errs.forEach((e, i) => expectTpmUnavailable(e, `sign ${i}`));
    await stores.close(ks);
  });
});
