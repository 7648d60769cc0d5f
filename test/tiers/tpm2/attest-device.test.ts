import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fsp, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Keystore,
  decodeTpmStatement,
  makeCredential,
  parseTpmSignature,
  verifyKeyAttestation,
  type KeyAttestation,
} from '../../../src/index';
import { EkTpm } from '../../helpers/attestation';
import { checkOf, derOfTpmEcdsa } from '../../helpers/attestation-checks';
import { Stores, expectCode, makeTempDir, removeDir } from '../../helpers/tpm';
import { jsonOf, runCli } from '../../helpers/proc';

describe('device-side attestation on swtpm with a real EK chain (issue 21)', () => {
  const stores = new Stores();
  let a: EkTpm;
  let b: EkTpm;
  let dir: string;
  let ksA: Keystore;
  let ksB: Keystore;
  let ekCertA: Buffer;
  let rsaEkA: Buffer;
  let ecc256EkA: Buffer;

  beforeAll(async () => {
    [a, b] = await Promise.all([EkTpm.create(), EkTpm.create()]);
    // What tpm2-tools reads, before our connection holds the TPM.
    ekCertA = a.ekCertificate();
    rsaEkA = a.readPublic(EkTpm.RSA_EK);
    a.tool('tpm2_createek', ['-G', 'ecc', '-c', '0x81010002', '-u', 'ek256.pub']);
    ecc256EkA = a.readPublic('0x81010002');
    a.tool('tpm2_evictcontrol', ['-C', 'o', '-c', '0x81010002']);
    dir = await makeTempDir('attest');
    ksA = await stores.add({ dir: path.join(dir, 'a'), backend: 'tpm2', tcti: a.tpm.tcti });
    ksB = await stores.add({ dir: path.join(dir, 'b'), backend: 'tpm2', tcti: b.tpm.tcti });
  }, 180_000);

  afterAll(async () => {
    await stores.closeAll();
    await Promise.all([a?.stop(), b?.stop()]);
    await removeDir(dir);
  });

  it('reads the EKs and their certificates from NV, as tpm2-tools does', async () => {
    const e = await ksA.endorsement();
    expect(e.noCertificate).toBeUndefined();
    const rsa = e.keys.find((k) => k.type === 'rsa-2048')!;
    expect(rsa.source).toBe('persistent');
    expect(rsa.handle).toBe(0x81010001);
    expect(rsa.publicArea.equals(rsaEkA)).toBe(true);
    expect(rsa.certificateIndex).toBe(0x01c00002);
    const der = Buffer.from(rsa.certificate!.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    expect(der.equals(ekCertA)).toBe(true);
    const p384 = e.keys.find((k) => k.type === 'ecc-p384')!;
    expect(p384.certificateIndex).toBe(0x01c00016);
    expect(e.unreadable).toEqual([]);
    // The chain validates with openssl to swtpm-localca's root.
    const f = (n: string, s: string) => (writeFileSync(path.join(dir, n), s), path.join(dir, n));
    const out = execFileSync('openssl', [
      ...[
        'verify',
        '-CAfile',
        f('root.pem', a.rootPem),
        '-untrusted',
        f('issuer.pem', a.issuerPem),
      ],
      f('ek.pem', rsa.certificate!),
    ]).toString();
    expect(out).toContain(': OK');
  });

  it('makes one AK per store, kept in tpm2-ak.json and the same after reopening', async () => {
    const ak = await ksA.attestationKey();
    expect(ak.name.subarray(0, 2).toString('hex')).toBe('000b');
    const again = await ksA.attestationKey();
    expect(again.name.equals(ak.name)).toBe(true);
    const reopened = await stores.add({
      dir: path.join(dir, 'a'),
      backend: 'tpm2',
      tcti: a.tpm.tcti,
    });
    expect((await reopened.attestationKey()).name.equals(ak.name)).toBe(true);
    await stores.close(reopened);
    const other = await ksB.attestationKey();
    expect(other.name.equals(ak.name)).toBe(false);
  });

  it('activates a credential made by makeCredential for its EK and AK, and only those', async () => {
    const ek = (await ksA.endorsement()).keys.find((k) => k.certificate)!;
    const ak = await ksA.attestationKey();
    const secret = randomBytes(32);
    const cred = makeCredential(ek.publicArea, ak.name, secret);
    expect(await ksA.activateCredential(cred)).toEqual(secret);
    // A credential tpm2_makecredential made offline (-T none) for the same EK and AK.
    writeFileSync(path.join(dir, 'rsa-ek.pub'), ek.publicArea);
    writeFileSync(path.join(dir, 'tools-secret.bin'), secret);
    execFileSync('tpm2_makecredential', [
      ...[
        '-T',
        'none',
        '-e',
        path.join(dir, 'rsa-ek.pub'),
        '-s',
        path.join(dir, 'tools-secret.bin'),
      ],
      ...['-n', ak.name.toString('hex'), '-o', path.join(dir, 'tools.cred')],
    ]);
    const file = await fsp.readFile(path.join(dir, 'tools.cred'));
    const blobEnd = 8 + 2 + file.readUInt16BE(8);
    const fromTools = { credentialBlob: file.subarray(8, blobEnd), secret: file.subarray(blobEnd) };
    expect(await ksA.activateCredential(fromTools)).toEqual(secret);
    // The TCG default ECC P-256 EK (tpm2_createek -G ecc), which swtpm did not persist: made
    // again from its template, and the seed reaches it by ECDH.
    const cred256 = makeCredential(ecc256EkA, ak.name, secret);
    expect(await ksA.activateCredential({ ...cred256, ekPublic: ecc256EkA })).toEqual(secret);
    // swtpm's P-384 EK has the high-range PolicyOR policy: refused before the TPM is asked.
    const p384 = (await ksA.endorsement()).keys.find((k) => k.type === 'ecc-p384')!;
    const cred384 = makeCredential(p384.publicArea, ak.name, randomBytes(48));
    const refused = await expectCode(
      () => ksA.activateCredential({ ...cred384, ekPublic: p384.publicArea }),
      'E_INVALID_ARGUMENT',
    );
    expect(refused.message).toContain('PolicyOR');
    // Another TPM's AK claimed to be A's: A's TPM does not release the secret.
    const akB = await ksB.attestationKey();
    const forB = makeCredential(ek.publicArea, akB.name, secret);
    const err = await expectCode(() => ksA.activateCredential(forB), 'E_ATTESTATION_INVALID');
    expect(err).toMatchObject({ check: 'ak', tpmRc: 0x1df }); // TPM_RC_INTEGRITY, parameter 1
    // And B cannot activate what was made for A's EK.
    await expectCode(
      () => ksB.activateCredential({ ...cred, ekPublic: ek.publicArea }),
      'E_INVALID_ARGUMENT',
    );
  });

  describe('key.attest', () => {
    let att: KeyAttestation;
    let raw: Buffer;
    const nonce = randomBytes(32);
    const opts = async () => {
      const ak = await ksA.attestationKey();
      return {
        nonce,
        akPublic: ak.publicArea,
        akName: ak.name,
        publicKey: raw,
        ekCertificate: att.ekCertificates.join(''),
        ekIntermediates: [a.issuerPem],
        ekRoots: [a.rootPem],
      };
    };

    beforeAll(async () => {
      const key = await ksA.createKey('attested');
      raw = key.exportPublicKey('raw');
      att = await key.attest({ nonce });
    });

    it('verifies with verifyKeyAttestation, in CBOR and JSON, EK chain included', async () => {
      for (const encoded of [att.encode('cbor'), att.encode('json'), att.statement]) {
        const v = verifyKeyAttestation(encoded, await opts());
        expect(v.publicKeyRaw.equals(raw)).toBe(true);
        expect(v.endorsement?.path.length).toBe(3);
      }
      expect(att.nonce.equals(nonce)).toBe(true);
      expect(att.akPublic).toContain('BEGIN PUBLIC KEY');
      expect(att.ekCertificates).toHaveLength(1);
    });

    it('verifies independently: openssl checks the AK signature over certInfo', () => {
      const { certInfo, sig } = att.statement.attStmt;
      const files = { ak: 'ak.pem', data: 'certinfo.bin', sig: 'sig.der' };
      writeFileSync(path.join(dir, files.ak), att.akPublic);
      writeFileSync(path.join(dir, files.data), certInfo);
      writeFileSync(path.join(dir, files.sig), derOfTpmEcdsa(sig));
      const out = execFileSync(
        'openssl',
        ['dgst', '-sha256', '-verify', files.ak, '-signature', files.sig, files.data],
        { cwd: dir },
      ).toString();
      expect(out).toContain('Verified OK');
      // certInfo carries the nonce as extraData: magic, type, qualifiedSigner, then extraData.
      const signerLen = certInfo.readUInt16BE(6);
      const at = 8 + signerLen;
      expect(certInfo.readUInt32BE(0)).toBe(0xff544347);
      expect(certInfo.readUInt16BE(4)).toBe(0x8017);
      expect(certInfo.subarray(at + 2, at + 2 + certInfo.readUInt16BE(at)).equals(nonce)).toBe(
        true,
      );
    });

    it('is refused, naming the check, for another nonce, another AK, or roots that are not the EK CA', async () => {
      const o = await opts();
      expect(
        checkOf(() => verifyKeyAttestation(att.encode(), { ...o, nonce: randomBytes(32) })),
      ).toBe('nonce');
      const akB = await ksB.attestationKey();
      expect(
        checkOf(() =>
          verifyKeyAttestation(att.encode(), { ...o, akPublic: akB.publicArea, akName: akB.name }),
        ),
      ).toBe('signature');
      expect(checkOf(() => verifyKeyAttestation(att.encode(), { ...o, akName: akB.name }))).toBe(
        'ak',
      );
      expect(
        checkOf(() =>
          verifyKeyAttestation(att.encode(), {
            ...o,
            ekIntermediates: [b.issuerPem],
            ekRoots: [b.rootPem],
          }),
        ),
      ).toBe('ek-chain');
    });

    it('attests a PIN key with its PIN, and refuses without it before the TPM is asked', async () => {
      const key = await ksA.createKey('with-pin', { pin: '4321' });
      await expectCode(() => key.attest({ nonce }), 'E_INVALID_ARGUMENT');
      const pinned = await key.attest({ nonce, pin: '4321' });
      const v = verifyKeyAttestation(pinned.encode(), {
        ...(await opts()),
        publicKey: key.exportPublicKey('raw'),
      });
      expect(v.publicKeyRaw.equals(key.exportPublicKey('raw'))).toBe(true);
    });

    it('carries the AK certificate chain as x5c when the caller has one', async () => {
      const key = await ksA.getKey('attested');
      const withX5c = await key.attest({ nonce, x5c: [ekCertA] }); // any DER stands in for it
      const decoded = decodeTpmStatement(withX5c.encode('cbor'));
      expect(decoded.attStmt.x5c?.map((c) => c.equals(ekCertA))).toEqual([true]);
      expect(verifyKeyAttestation(withX5c.encode('json'), await opts()).publicKeyRaw).toEqual(raw);
    });

    it('with the RSA-2048 AK (for step-ca), activated and verified, openssl agreeing', async () => {
      const rsa = await ksA.attestationKey({ algorithm: 'rsa-2048' });
      expect(rsa.algorithm).toBe('rsa-2048');
      const ecc = await ksA.attestationKey();
      expect(rsa.name.equals(ecc.name)).toBe(false);
      const ek = (await ksA.endorsement()).keys.find((k) => k.certificate)!;
      const secret = randomBytes(32);
      const cred = makeCredential(ek.publicArea, rsa.name, secret);
      expect(await ksA.activateCredential({ ...cred, akAlgorithm: 'rsa-2048' })).toEqual(secret);
      const key = await ksA.getKey('attested');
      const st = await key.attest({ nonce, ak: 'rsa-2048' });
      expect(st.statement.attStmt.alg).toBe(-257); // RS256
      const o = { ...(await opts()), akPublic: rsa.publicArea, akName: rsa.name };
      expect(verifyKeyAttestation(st.encode(), o).publicKeyRaw).toEqual(raw);
      expect(
        checkOf(() =>
          verifyKeyAttestation(st.encode(), { ...o, akPublic: ecc.publicArea, akName: ecc.name }),
        ),
      ).toBe('alg');
      const sig = parseTpmSignature(st.statement.attStmt.sig) as { sig: Buffer };
      writeFileSync(path.join(dir, 'rsa-ak.pem'), rsa.publicKey);
      writeFileSync(path.join(dir, 'rsa-certinfo.bin'), st.statement.attStmt.certInfo);
      writeFileSync(path.join(dir, 'rsa-sig.bin'), sig.sig);
      const out = execFileSync(
        'openssl',
        [
          'dgst',
          '-sha256',
          '-verify',
          'rsa-ak.pem',
          '-signature',
          'rsa-sig.bin',
          'rsa-certinfo.bin',
        ],
        { cwd: dir },
      ).toString();
      expect(out).toContain('Verified OK');
      await expectCode(() => key.attest({ nonce, ak: 'rsa-4096' as never }), 'E_INVALID_ARGUMENT');
    });

    it('describe() says which keys a server can have attested, and what that proves', async () => {
      const d = await ksA.describe();
      expect(d.attestation.keys['attested']).toBe('tpm2-certify');
      expect(d.attestation.proves).toContain('permanent identifier');
    });

    it('refuses bad nonces and unknown options with E_INVALID_ARGUMENT', async () => {
      const key = await ksA.getKey('attested');
      for (const bad of [Buffer.alloc(0), Buffer.alloc(65), 'abcd', undefined]) {
        await expectCode(
          () => key.attest({ nonce: bad as Buffer }),
          'E_INVALID_ARGUMENT',
          String(bad),
        );
      }
      await expectCode(() => key.attest({ nonce, extra: 1 } as never), 'E_INVALID_ARGUMENT');
    });
  });

  it('a damaged tpm2-ak.json is E_CORRUPT, never a new AK', async () => {
    const file = path.join(dir, 'a', 'tpm2-ak.json');
    const body = JSON.parse(await fsp.readFile(file, 'utf8'));
    const ks = await stores.add({ dir: path.join(dir, 'a'), backend: 'tpm2', tcti: a.tpm.tcti });
    const original = await fsp.readFile(file);
    try {
      await fsp.writeFile(file, JSON.stringify({ ...body, name: '000b' + '00'.repeat(32) }));
      await expectCode(() => ks.attestationKey(), 'E_CORRUPT');
    } finally {
      await fsp.writeFile(file, original);
      await stores.close(ks);
    }
  });

  it('the CLI: endorsement, attest and verify-attestation, exit 1 naming the check when refused', async () => {
    // One connection to swtpm at a time: the CLI's, once this process's are closed.
    await stores.closeAll();
    const env = { DEVICE_KEYSTORE_TCTI: a.tpm.tcti };
    const base = ['--dir', path.join(dir, 'a'), '--backend', 'tpm2'];
    const f = (n: string) => path.join(dir, n);
    const e = await runCli([...base, 'endorsement', '--json', '--out', f('ek-all.pem')], { env });
    expect(e.code, e.stderr).toBe(0);
    const report = jsonOf(e);
    expect(report.keys.find((k: { type: string }) => k.type === 'rsa-2048').certificateIndex).toBe(
      '0x01c00002',
    );
    const nonce = randomBytes(32).toString('hex');
    const args = ['attest', '--alias', 'attested', '--nonce', nonce, '--out', f('st.cbor')];
    const at = await runCli([...base, ...args, '--ak-out', f('ak.pub'), '--ek-out', f('ek.pem')], {
      env,
    });
    expect(at.code, at.stderr).toBe(0);
    writeFileSync(f('root.pem'), a.rootPem);
    writeFileSync(f('issuer.pem'), a.issuerPem);
    const check = ['verify-attestation', '--statement', f('st.cbor'), '--ak', f('ak.pub')];
    const ek = ['--ek-cert', f('ek.pem'), '--ek-intermediates', f('issuer.pem')];
    const ok = await runCli([
      ...check,
      '--nonce',
      nonce,
      ...ek,
      '--ek-roots',
      f('root.pem'),
      '--json',
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(jsonOf(ok).valid).toBe(true);
    const other = randomBytes(32).toString('hex');
    const replay = await runCli([...check, '--nonce', other, '--json']);
    expect(replay.code).toBe(1);
    expect(jsonOf(replay)).toMatchObject({
      ok: false,
      error: { code: 'E_ATTESTATION_INVALID', check: 'nonce' },
    });
    writeFileSync(f('other-root.pem'), b.rootPem);
    const foreign = await runCli([
      ...check,
      '--nonce',
      nonce,
      ...ek,
      '--ek-roots',
      f('other-root.pem'),
    ]);
    expect(foreign.code).toBe(1);
    expect(foreign.stderr).toContain('E_ATTESTATION_INVALID');
    const bad = await runCli([...base, 'attest', '--nonce', 'xyz'], { env });
    expect(bad.code).toBe(2);
  });

  it('keys of the encrypted-file tier say they cannot be attested', async () => {
    const ks = await stores.add({
      dir: path.join(dir, 'file'),
      backend: 'encrypted-file',
      passphrase: 'correct horse battery staple',
    });
    const key = await ks.createKey('k');
    await expectCode(() => key.attest({ nonce: randomBytes(16) }), 'E_BACKEND_UNAVAILABLE');
    expect((await ks.describe()).attestation.keys['k']).toBe('none');
  });
});
