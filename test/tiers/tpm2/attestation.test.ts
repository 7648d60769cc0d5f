import { execFileSync } from 'node:child_process';
import { X509Certificate, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildTpmStatement,
  encodeTpmStatement,
  makeCredential,
  verifyEkCertificate,
  verifyKeyAttestation,
} from '../../../src/index';
import { EkTpm, expiredEkChain } from '../../helpers/attestation';
import { checkOf, derOfTpmEcdsa } from '../../helpers/attestation-checks';

const TOOLS_NONCE = Buffer.from('00ff55aa', 'hex'); // tpm2_certify 5.4's fixed qualifying data
const KEY_ATTRS = '0x00060472';

/** The shape of a tpm2-tools credential file: sizes of each field, not their random bytes. */
function credentialShape(file: Buffer) {
  expect(file.readUInt32BE(0)).toBe(0xbadcc0de);
  expect(file.readUInt32BE(4)).toBe(1);
  const idSize = file.readUInt16BE(8);
  const hmacSize = file.readUInt16BE(10);
  const secretAt = 10 + idSize;
  const secretSize = file.readUInt16BE(secretAt);
  expect(file.length).toBe(secretAt + 2 + secretSize);
  return { idSize, hmacSize, secretSize };
}

describe('TPM key attestation on swtpm with a real EK chain', () => {
  let a: EkTpm;
  let b: EkTpm;
  let akA: { pub: Buffer; name: Buffer };
  let akB: { pub: Buffer; name: Buffer };
  let ekCertA: Buffer;
  let good: { certInfo: Buffer; sig: Buffer; pubArea: Buffer };
  let goodCbor: Buffer;

  beforeAll(async () => {
    [a, b] = await Promise.all([EkTpm.create(), EkTpm.create()]);
    akA = a.makeAk();
    akB = b.makeAk();
    a.makeSrk();
    b.makeSrk();
    ekCertA = a.ekCertificate();
    a.createKey('key', KEY_ATTRS);
    good = a.certify('key.pub', 'key.priv');
    goodCbor = encodeTpmStatement(buildTpmStatement(good), 'cbor') as Buffer;
  }, 120_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  const optsA = () => ({
    nonce: TOOLS_NONCE,
    akPublic: akA.pub,
    akName: akA.name,
    ekCertificate: ekCertA,
    ekIntermediates: [a.issuerPem],
    ekRoots: [a.rootPem],
  });

  it('validates the EK certificate chain, as openssl verify does, and reads the TCG SAN', () => {
    const e = verifyEkCertificate(ekCertA, {
      roots: [a.rootPem],
      intermediates: [a.issuerPem],
      ekPublic: a.readPublic(EkTpm.RSA_EK),
    });
    expect(e.manufacturer).toBe('id:00001014');
    expect(e.model).toBe('swtpm');
    expect(e.path).toHaveLength(3);
    writeFileSync(a.path('ek.der'), ekCertA);
    writeFileSync(a.path('root.pem'), a.rootPem);
    writeFileSync(a.path('issuer.pem'), a.issuerPem);
    execFileSync('openssl', [
      'x509',
      '-inform',
      'der',
      '-in',
      a.path('ek.der'),
      '-out',
      a.path('ek.pem'),
    ]);
    const out = execFileSync('openssl', [
      ...[
        'verify',
        '-CAfile',
        a.path('root.pem'),
        '-untrusted',
        a.path('issuer.pem'),
        a.path('ek.pem'),
      ],
    ]).toString();
    expect(out).toContain(': OK');
    // The ECC EK's certificate (P-384) validates too, and holds the ECC EK.
    expect(
      verifyEkCertificate(a.ekCertificate('0x01c00016'), {
        roots: [a.rootPem],
        intermediates: [a.issuerPem],
        ekPublic: a.readPublic(EkTpm.ECC_EK),
      }).model,
    ).toBe('swtpm');
    expect(
      checkOf(() =>
        verifyEkCertificate(ekCertA, {
          roots: [a.rootPem],
          intermediates: [a.issuerPem],
          ekPublic: a.readPublic(EkTpm.ECC_EK),
        }),
      ),
    ).toBe('ek-public');
  });

  it('makeCredential to the RSA EK: the TPM activates it and returns the secret', () => {
    const secret = randomBytes(32);
    const made = makeCredential(a.readPublic(EkTpm.RSA_EK), akA.name, secret);
    expect(a.activate(made.tpm2ToolsFile, EkTpm.RSA_EK)).toEqual(secret);
    // The same shape as tpm2_makecredential -T none, and the TPM activates that one too.
    writeFileSync(a.path('ek-rsa.pub'), a.readPublic(EkTpm.RSA_EK));
    writeFileSync(a.path('secret.bin'), secret);
    a.tool('tpm2_makecredential', [
      ...['-T', 'none', '-e', 'ek-rsa.pub', '-s', 'secret.bin', '-n', akA.name.toString('hex')],
      ...['-o', 'tools.cred'],
    ]);
    const tools = readFileSync(a.path('tools.cred'));
    expect(credentialShape(made.tpm2ToolsFile)).toEqual(credentialShape(tools));
    expect(credentialShape(tools)).toEqual({
      idSize: 2 + 32 + 2 + 32,
      hmacSize: 32,
      secretSize: 256,
    });
    expect(a.activate(tools, EkTpm.RSA_EK)).toEqual(secret);
  });

  it('makeCredential to ECC EKs (P-256 SHA-256 AES-128, P-384 SHA-384 AES-256): activated by the TPM', () => {
    // The TCG low-range ECC EK template (tpm2_createek -G ecc), P-256.
    a.tool('tpm2_createek', ['-G', 'ecc', '-c', '0x81010003', '-u', 'ek256.pub']);
    const s256 = randomBytes(32);
    const m256 = makeCredential(a.readPublic('0x81010003'), akA.name, s256);
    expect(a.activate(m256.tpm2ToolsFile, '0x81010003')).toEqual(s256);
    // swtpm's own ECC EK is P-384/SHA-384/AES-256 under the high-range PolicyOR policy, which
    // tpm2-tools cannot satisfy; a primary with the same parameters and PolicySecret(endorsement).
    a.tool('tpm2_startauthsession', ['-S', 't.ctx', '-g', 'sha384']);
    a.tool('tpm2_policysecret', ['-S', 't.ctx', '-c', 'e', '-L', 'pol384.dat']);
    a.tool('tpm2_flushcontext', ['t.ctx']);
    a.tool('tpm2_createprimary', [
      ...[
        '-C',
        'e',
        '-g',
        'sha384',
        '-G',
        'ecc384:aes256cfb',
        '-L',
        'pol384.dat',
        '-c',
        'ek384.ctx',
      ],
      ...['-a', 'fixedtpm|fixedparent|sensitivedataorigin|adminwithpolicy|restricted|decrypt'],
    ]);
    a.tool('tpm2_evictcontrol', ['-C', 'o', '-c', 'ek384.ctx', '0x81010004']);
    a.tool('tpm2_flushcontext', ['-t']);
    const s384 = randomBytes(48);
    const m384 = makeCredential(a.readPublic('0x81010004'), akA.name, s384);
    expect(a.activate(m384.tpm2ToolsFile, '0x81010004', EkTpm.AK, 'sha384')).toEqual(s384);
    // Against swtpm's real P-384 EK, our blob has tpm2_makecredential's exact shape.
    writeFileSync(a.path('ek384.pub'), a.readPublic(EkTpm.ECC_EK));
    writeFileSync(a.path('secret48.bin'), s384);
    a.tool('tpm2_makecredential', [
      ...['-T', 'none', '-e', 'ek384.pub', '-s', 'secret48.bin', '-n', akA.name.toString('hex')],
      ...['-o', 'tools384.cred'],
    ]);
    const ours = makeCredential(a.readPublic(EkTpm.ECC_EK), akA.name, s384).tpm2ToolsFile;
    const shape = credentialShape(readFileSync(a.path('tools384.cred')));
    expect(credentialShape(ours)).toEqual(shape);
    expect(shape).toEqual({ idSize: 2 + 48 + 2 + 48, hmacSize: 48, secretSize: 2 + 48 + 2 + 48 });
  });

  it("another TPM cannot activate a credential made for this TPM's EK", () => {
    const made = makeCredential(a.readPublic(EkTpm.RSA_EK), akB.name, randomBytes(32));
    expect(() => b.activate(made.tpm2ToolsFile, EkTpm.RSA_EK)).toThrow();
  });

  it('a TPM-certified key verifies (CBOR and JSON), and openssl verifies the AK signature', () => {
    const r = verifyKeyAttestation(goodCbor, optsA());
    expect(r.endorsement?.model).toBe('swtpm');
    expect(r.akName).toEqual(akA.name);
    expect(r.objectAttributes).toBe(0x00060472);
    const json = encodeTpmStatement(buildTpmStatement(good), 'json') as string;
    const rj = verifyKeyAttestation(json, optsA());
    expect(rj.publicKey.export({ format: 'jwk' })).toEqual(r.publicKey.export({ format: 'jwk' }));
    // The key's own public key, as tpm2-tools reads it, is the one certified.
    a.tool('tpm2_load', ['-C', EkTpm.SRK, '-u', 'key.pub', '-r', 'key.priv', '-c', 'k.ctx']);
    a.tool('tpm2_readpublic', ['-c', 'k.ctx', '-f', 'pem', '-o', 'key.pem']);
    a.tool('tpm2_flushcontext', ['-t']);
    const keyPem = readFileSync(a.path('key.pem'), 'utf8');
    expect(verifyKeyAttestation(goodCbor, { ...optsA(), publicKey: keyPem }).name).toEqual(r.name);
    // Independently: openssl, with the AK public key as tpm2-tools exports it.
    a.tool('tpm2_readpublic', ['-c', EkTpm.AK, '-f', 'pem', '-o', 'ak.pem']);
    writeFileSync(a.path('certinfo.bin'), good.certInfo);
    writeFileSync(a.path('sig.der'), derOfTpmEcdsa(good.sig));
    const out = execFileSync('openssl', [
      ...['dgst', '-sha256', '-verify', a.path('ak.pem'), '-signature', a.path('sig.der')],
      a.path('certinfo.bin'),
    ]).toString();
    expect(out).toContain('Verified OK');
    // The AK as SPKI PEM works too (without akName).
    const akPem = readFileSync(a.path('ak.pem'), 'utf8');
    expect(verifyKeyAttestation(goodCbor, { nonce: TOOLS_NONCE, akPublic: akPem }).name).toEqual(
      r.name,
    );
  });

  it('refuses another nonce', () => {
    expect(
      checkOf(() => verifyKeyAttestation(goodCbor, { ...optsA(), nonce: randomBytes(4) })),
    ).toBe('nonce');
    expect(
      checkOf(() =>
        verifyKeyAttestation(goodCbor, { ...optsA(), nonce: Buffer.from('00ff55', 'hex') }),
      ),
    ).toBe('nonce');
  });

  it('refuses a key imported from software (fixedTPM clear)', () => {
    a.importKey('imported');
    const st = buildTpmStatement(a.certify('imported.pub', 'imported.priv'));
    expect(checkOf(() => verifyKeyAttestation(st, optsA()))).toBe('fixedTPM');
  });

  it('refuses a duplicable key (fixedParent clear, and so fixedTPM)', () => {
    a.createKey('dup', 'sign|decrypt|sensitivedataorigin|userwithauth|noda');
    const st = buildTpmStatement(a.certify('dup.pub', 'dup.priv'));
    let message = '';
    try {
      verifyKeyAttestation(st, optsA());
    } catch (err) {
      message = (err as Error).message;
      expect((err as { check: string }).check).toBe('fixedTPM');
    }
    expect(message).toContain('fixedParent is clear');
    expect(message).not.toContain('sensitiveDataOrigin is clear');
  });

  it('refuses a tampered certInfo, pubArea or signature', () => {
    const flip = (buf: Buffer, at: number) => {
      const c = Buffer.from(buf);
      c[at]! ^= 1;
      return c;
    };
    const with_ = (p: Partial<typeof good> & { alg?: number }) => ({
      fmt: 'tpm',
      attStmt: { ver: '2.0', alg: -7, ...good, ...p },
    });
    expect(
      checkOf(() => verifyKeyAttestation(with_({ certInfo: flip(good.certInfo, 50) }), optsA())),
    ).toBe('signature');
    expect(
      checkOf(() => verifyKeyAttestation(with_({ certInfo: flip(good.certInfo, 0) }), optsA())),
    ).toBe('magic');
    expect(
      checkOf(() =>
        verifyKeyAttestation(
          with_({ pubArea: flip(good.pubArea, good.pubArea.length - 1) }),
          optsA(),
        ),
      ),
    ).toBe('name');
    expect(checkOf(() => verifyKeyAttestation(with_({ sig: flip(good.sig, 20) }), optsA()))).toBe(
      'signature',
    );
    expect(checkOf(() => verifyKeyAttestation(with_({ alg: -257 }), optsA()))).toBe('alg');
  });

  it("refuses another TPM's AK", () => {
    b.createKey('keyb', KEY_ATTRS);
    const fromB = buildTpmStatement(b.certify('keyb.pub', 'keyb.priv'));
    expect(checkOf(() => verifyKeyAttestation(fromB, optsA()))).toBe('signature');
    // B's AK given with A's enrolled Name: the Name does not match.
    expect(checkOf(() => verifyKeyAttestation(fromB, { ...optsA(), akPublic: akB.pub }))).toBe(
      'ak',
    );
    // With B's own AK it verifies (the statement itself is fine).
    expect(
      verifyKeyAttestation(fromB, { nonce: TOOLS_NONCE, akPublic: akB.pub, akName: akB.name })
        .akName,
    ).toEqual(akB.name);
  });

  it('refuses a non-restricted key as the AK (it could sign a forged certInfo)', () => {
    expect(
      checkOf(() =>
        verifyKeyAttestation(goodCbor, { nonce: TOOLS_NONCE, akPublic: a.readPublic(EkTpm.SRK) }),
      ),
    ).toBe('ak');
  });

  it('refuses an EK certificate from a CA not in the roots, and an expired EK chain', () => {
    expect(
      checkOf(() =>
        verifyKeyAttestation(goodCbor, {
          ...optsA(),
          ekRoots: [b.rootPem],
          ekIntermediates: [b.issuerPem],
        }),
      ),
    ).toBe('ek-chain');
    const ekPem = new X509Certificate(ekCertA).publicKey.export({
      format: 'pem',
      type: 'spki',
    }) as string;
    const old = expiredEkChain(a.dir, ekPem);
    expect(
      checkOf(() =>
        verifyKeyAttestation(goodCbor, {
          ...optsA(),
          ekCertificate: old.leaf,
          ekIntermediates: [],
          ekRoots: [old.root],
        }),
      ),
    ).toBe('ek-validity');
    writeFileSync(a.path('old-root.pem'), old.root);
    writeFileSync(a.path('old-leaf.pem'), old.leaf);
    expect(() =>
      execFileSync(
        'openssl',
        ['verify', '-CAfile', a.path('old-root.pem'), a.path('old-leaf.pem')],
        { stdio: 'pipe' },
      ),
    ).toThrow(/expired/);
  });

  it('a cached endorsement is accepted and checked for validity at each call', () => {
    const endorsement = verifyEkCertificate(ekCertA, {
      roots: [a.rootPem],
      intermediates: [a.issuerPem],
    });
    const opts = { nonce: TOOLS_NONCE, akPublic: akA.pub, akName: akA.name, endorsement };
    expect(verifyKeyAttestation(goodCbor, opts).endorsement).toBe(endorsement);
    expect(
      checkOf(() => verifyKeyAttestation(goodCbor, { ...opts, at: new Date('2000-01-01') })),
    ).toBe('ek-validity');
    expect(() =>
      verifyKeyAttestation(goodCbor, { ...opts, endorsement: { ...endorsement } }),
    ).toThrow(/verifyEkCertificate/);
  });
});
