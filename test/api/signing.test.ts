/**
 * Signing: message and prehashed modes, DER and P1363, checked by node:crypto, WebCrypto and the
 * openssl CLI; low-S; verify() and key.verify on good and tampered signatures; sign options.
 * The block's store and key are made in its beforeAll; no test changes them.
 */
import {
  createPublicKey,
  generateKeyPairSync,
  sign as cryptoSign,
  verify as cryptoVerify,
  webcrypto,
} from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DeviceKey, type Keystore, verify } from '../../src/index';
import {
  ECDSA_P256,
  HALF_N,
  N,
  caught,
  closeApiStore,
  derToRS,
  expectCode,
  makeTempDir,
  msg,
  openApiStore,
  p1363ToRS,
  removeDir,
  rsToP1363,
  sha256,
  subtle,
  withoutKeystoreEnv,
} from '../helpers/api';
import { WINE } from '../helpers/windows-skips';

withoutKeystoreEnv();

describe('signing', () => {
  let ks: Keystore;
  let dir: string;
  let work: string; // scratch files for openssl
  let signer: DeviceKey;
  let pemFile: string;

  beforeAll(async () => {
    ({ ks, dir } = await openApiStore({ identity: 'signing-box' }));
    work = await makeTempDir('work');
    signer = await ks.createKey('signer');
    pemFile = path.join(work, 'pub.pem');
    await fsp.writeFile(pemFile, signer.exportPublicKey('pem'));
  });
  afterAll(async () => {
    await closeApiStore({ ks, dir });
    await removeDir(work);
  });

  it('message mode, DER (the default): node:crypto verifies', async () => {
    const sig = await signer.sign(msg);
    derToRS(sig); // strict DER
    expect(cryptoVerify('sha256', msg, signer.publicKey, sig)).toBe(true);
    expect(cryptoVerify('sha256', msg, createPublicKey(signer.exportPublicKey('pem')), sig)).toBe(
      true,
    );
    expect(cryptoVerify('sha256', Buffer.from('other message'), signer.publicKey, sig)).toBe(false);

    const explicit = await signer.sign(msg, { format: 'der' });
    expect(cryptoVerify('sha256', msg, signer.publicKey, explicit)).toBe(true);
    // Strings are signed as UTF-8; Uint8Array and ArrayBuffer inputs sign the same bytes.
    const text = 'héllo wörld';
    const sigText = await signer.sign(text);
    expect(cryptoVerify('sha256', Buffer.from(text, 'utf8'), signer.publicKey, sigText)).toBe(true);
    const u8 = new Uint8Array(msg);
    expect(cryptoVerify('sha256', msg, signer.publicKey, await signer.sign(u8))).toBe(true);
    const ab = u8.buffer.slice(0) as ArrayBuffer;
    expect(cryptoVerify('sha256', msg, signer.publicKey, await signer.sign(ab as never))).toBe(
      true,
    );
    // An empty message is a message too.
    const empty = await signer.sign(Buffer.alloc(0));
    expect(cryptoVerify('sha256', Buffer.alloc(0), signer.publicKey, empty)).toBe(true);
  });

  it('message mode, P1363: WebCrypto verifies', async () => {
    const sig = await signer.sign(msg, { format: 'p1363' });
    expect(sig).toHaveLength(64);
    const key = await subtle.importKey('spki', signer.exportPublicKey('spki'), ECDSA_P256, false, [
      'verify',
    ]);
    const alg = { name: 'ECDSA', hash: 'SHA-256' };
    expect(await subtle.verify(alg, key, sig, msg)).toBe(true);
    expect(await subtle.verify(alg, key, sig, Buffer.from('other message'))).toBe(false);
    // WebCrypto's own signature, checked by our key object's verify, closes the loop.
    const pair = (await subtle.generateKey(ECDSA_P256, true, [
      'sign',
      'verify',
    ])) as webcrypto.CryptoKeyPair;
    const theirs = Buffer.from(await subtle.sign(alg, pair.privateKey, msg));
    const theirSpki = Buffer.from(await subtle.exportKey('spki', pair.publicKey));
    expect(verify(theirSpki, msg, theirs, { format: 'p1363' })).toBe(true);
  });

  it.skipIf(WINE)('DER: the openssl CLI verifies, and rejects a changed message', async () => {
    const sig = await signer.sign(msg);
    const msgFile = path.join(work, 'msg.bin');
    const sigFile = path.join(work, 'sig.der');
    await fsp.writeFile(msgFile, msg);
    await fsp.writeFile(sigFile, sig);
    const out = execFileSync(
      'openssl',
      ['dgst', '-sha256', '-verify', pemFile, '-signature', sigFile, msgFile],
      { encoding: 'utf8' },
    );
    expect(out).toContain('Verified OK');

    const tampered = Buffer.from(msg);
    tampered[0]! ^= 1;
    await fsp.writeFile(msgFile, tampered);
    const err = (await caught(() =>
      execFileSync(
        'openssl',
        ['dgst', '-sha256', '-verify', pemFile, '-signature', sigFile, msgFile],
        {
          encoding: 'utf8',
          stdio: 'pipe',
        },
      ),
    )) as Error & { status?: number; stdout?: string };
    expect(err.status).toBe(1);
    expect(err.stdout).toContain('Verification failure');
  });

  it.skipIf(WINE)(
    'prehashed mode signs a 32-byte SHA-256 digest; 31 or 33 bytes are refused',
    async () => {
      const digest = sha256(msg);
      const der = await signer.sign(digest, { prehashed: true });
      expect(cryptoVerify('sha256', msg, signer.publicKey, der)).toBe(true);

      const p1363 = await signer.sign(digest, { prehashed: true, format: 'p1363' });
      const key = await subtle.importKey(
        'spki',
        signer.exportPublicKey('spki'),
        ECDSA_P256,
        false,
        ['verify'],
      );
      expect(await subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key, p1363, msg)).toBe(true);

      // openssl pkeyutl verifies a signature over a digest as it is, without hashing again.
      const digestFile = path.join(work, 'digest.bin');
      const sigFile = path.join(work, 'digest-sig.der');
      await fsp.writeFile(digestFile, digest);
      await fsp.writeFile(sigFile, der);
      const out = execFileSync(
        'openssl',
        ['pkeyutl', '-verify', '-pubin', '-inkey', pemFile, '-in', digestFile, '-sigfile', sigFile],
        { encoding: 'utf8' },
      );
      expect(out).toContain('Signature Verified Successfully');

      await expectCode(
        () => signer.sign(digest.subarray(0, 31), { prehashed: true }),
        'E_INVALID_ARGUMENT',
      );
      await expectCode(
        () => signer.sign(Buffer.concat([digest, Buffer.of(0)]), { prehashed: true }),
        'E_INVALID_ARGUMENT',
      );
      await expectCode(
        () => signer.sign(Buffer.alloc(0), { prehashed: true }),
        'E_INVALID_ARGUMENT',
      );
    },
  );

  it('every signature is low-S, in both modes and both formats', async () => {
    const messages = Array.from({ length: 200 }, (_, i) => Buffer.from(`message #${i}`));
    const ders = await Promise.all(messages.map((m) => signer.sign(m)));
    const p1363s = await Promise.all(
      messages.slice(0, 50).map((m) => signer.sign(m, { format: 'p1363' })),
    );
    const prehashed = await Promise.all(
      messages.slice(0, 50).map((m) => signer.sign(sha256(m), { prehashed: true })),
    );
    const all = [
      ...ders.map((s, i) => ({ rs: derToRS(s), m: messages[i]!, s, dsa: 'der' as const })),
      ...p1363s.map((s, i) => ({
        rs: p1363ToRS(s),
        m: messages[i]!,
        s,
        dsa: 'ieee-p1363' as const,
      })),
      ...prehashed.map((s, i) => ({ rs: derToRS(s), m: messages[i]!, s, dsa: 'der' as const })),
    ];
    expect(all).toHaveLength(300);
    for (const { rs, m, s, dsa } of all) {
      expect(rs.r > 0n && rs.r < N).toBe(true);
      expect(rs.s > 0n && rs.s <= HALF_N).toBe(true);
      expect(cryptoVerify('sha256', m, { key: signer.publicKey, dsaEncoding: dsa }, s)).toBe(true);
    }
  });

  it('key.verify and verify() accept good signatures and reject tampered ones', async () => {
    const der = await signer.sign(msg);
    const p1363 = await signer.sign(msg, { format: 'p1363' });
    const digest = sha256(msg);
    const pre = await signer.sign(digest, { prehashed: true });
    const forms = [
      signer.publicKey,
      signer.exportPublicKey('pem'),
      signer.exportPublicKey('spki'),
      signer.exportPublicKey('jwk'),
      signer.exportPublicKey('raw'),
    ];

    expect(signer.verify(msg, der)).toBe(true);
    expect(signer.verify(msg, p1363, { format: 'p1363' })).toBe(true);
    expect(signer.verify(digest, pre, { prehashed: true })).toBe(true);
    for (const pub of forms) {
      expect(verify(pub, msg, der)).toBe(true);
      expect(verify(pub, msg, p1363, { format: 'p1363' })).toBe(true);
      expect(verify(pub, digest, pre, { prehashed: true })).toBe(true);
    }

    const flipped = (sig: Buffer, i: number) => {
      const t = Buffer.from(sig);
      t[i]! ^= 0x01;
      return t;
    };
    const otherMsg = Buffer.from('a different message');
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    for (const check of [
      (m: Buffer, s: Buffer, o?: object) => signer.verify(m, s, o),
      (m: Buffer, s: Buffer, o?: object) => verify(signer.exportPublicKey('pem'), m, s, o),
    ]) {
      expect(check(otherMsg, der)).toBe(false);
      expect(check(msg, flipped(der, der.length - 1))).toBe(false);
      expect(check(msg, flipped(der, 10))).toBe(false);
      expect(check(msg, der.subarray(0, der.length - 1))).toBe(false);
      expect(check(msg, Buffer.concat([der, Buffer.of(0)]))).toBe(false);
      expect(check(msg, p1363)).toBe(false); // p1363 bytes are not DER
      expect(check(msg, der, { format: 'p1363' })).toBe(false);
      expect(check(msg, flipped(p1363, 5), { format: 'p1363' })).toBe(false);
      expect(check(msg, flipped(p1363, 40), { format: 'p1363' })).toBe(false);
      expect(check(otherMsg, p1363, { format: 'p1363' })).toBe(false);
      expect(check(sha256(otherMsg), pre, { prehashed: true })).toBe(false);
      expect(check(digest, flipped(pre, pre.length - 1), { prehashed: true })).toBe(false);
      expect(check(msg, Buffer.alloc(64), { format: 'p1363' })).toBe(false);
    }
    expect(verify(other, msg, der)).toBe(false);

    // Signatures made elsewhere verify too, including the high-S twin of one of ours.
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(verify(pair.publicKey, msg, cryptoSign('sha256', msg, pair.privateKey))).toBe(true);
    const { r, s } = p1363ToRS(p1363);
    expect(signer.verify(msg, rsToP1363(r, N - s), { format: 'p1363' })).toBe(true);

    await expectCode(
      () => verify(signer.publicKey, digest.subarray(1), pre, { prehashed: true }),
      'E_INVALID_ARGUMENT',
    );
    await expectCode(() => verify('not a key', msg, der), 'E_INVALID_ARGUMENT');
  });

  it('unknown or malformed sign options are E_INVALID_ARGUMENT', async () => {
    const der = await signer.sign(msg);
    await expectCode(() => signer.sign(msg, { foo: 1 } as never), 'E_INVALID_ARGUMENT');
    await expectCode(() => signer.sign(msg, { hash: 'sha512' } as never), 'E_INVALID_ARGUMENT');
    await expectCode(() => signer.sign(msg, { format: 'raw' } as never), 'E_INVALID_ARGUMENT');
    await expectCode(() => signer.sign(msg, { prehashed: 1 } as never), 'E_INVALID_ARGUMENT');
    await expectCode(() => signer.sign(42 as never), 'E_INVALID_ARGUMENT');
    // A PIN for a key made without one is refused, not ignored: the caller would believe it
    // protects the key.
    const err = await caught(() => signer.sign(msg, { pin: '1234' }));
    expect(err.code).toBe('E_INVALID_ARGUMENT');
    expect(err.message).toMatch(/has no PIN/);
    await expectCode(() => signer.ecdh(signer.publicKey, { pin: '1234' }), 'E_INVALID_ARGUMENT');
    await expectCode(() => signer.verify(msg, der, { foo: 1 } as never), 'E_INVALID_ARGUMENT');
    await expectCode(
      () => verify(signer.publicKey, msg, der, { foo: 1 } as never),
      'E_INVALID_ARGUMENT',
    );
  });
});
