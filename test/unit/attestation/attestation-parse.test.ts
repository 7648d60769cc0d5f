/**
 * The attestation parsers and the statement codec on their own (no TPM): real swtpm statements
 * from the fuzz corpus, and structures built here field by field.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  decodeTpmStatement,
  encodeTpmStatement,
  makeCredential,
  parseCertifyAttestation,
  parseTpmSignature,
  verifyKeyAttestation,
  type TpmAttestationStatement,
} from '../../../src/index';
import { keyObjectOf, readTpmPublic } from '../../../src/attestation/tpm-public';
import { corpusFiles } from '../../fuzz/engine';

/** The real statements: tpm2_certify on swtpm, CBOR (tag 0) and JSON (tag 1). */
const REAL = corpusFiles('tpm-attestation')
  .filter((c) => c.file.includes('seed-') && c.bytes[0] === 0)
  .map((c) => decodeTpmStatement(c.bytes.subarray(1)));
const OURS = REAL.find(
  (s) => readTpmPublic(s.attStmt.pubArea, 'pubArea', '').objectAttributes === 0x00060472,
)!;

function checkOf(fn: () => unknown): string {
  try {
    fn();
    return 'passed';
  } catch (err) {
    const e = err as { code?: string; check?: string };
    expect(e.code).toBe('E_ATTESTATION_INVALID');
    return e.check!;
  }
}

const u16 = (n: number) => Buffer.of(n >> 8, n & 0xff);
const tpm2b = (b: Buffer) => Buffer.concat([u16(b.length), b]);

/** A TPMS_ATTEST of type CERTIFY written field by field. */
function certInfo(f: {
  extraData?: Buffer;
  name: Buffer;
  magic?: number;
  type?: number;
  safe?: number;
}) {
  const head = Buffer.alloc(6);
  head.writeUInt32BE(f.magic ?? 0xff544347);
  head.writeUInt16BE(f.type ?? 0x8017, 4);
  return Buffer.concat([
    head,
    tpm2b(Buffer.concat([u16(0x000b), Buffer.alloc(32, 7)])), // qualifiedSigner
    tpm2b(f.extraData ?? Buffer.alloc(0)),
    Buffer.alloc(8, 1), // clock
    Buffer.alloc(8, 2), // resetCount, restartCount
    Buffer.of(f.safe ?? 1),
    Buffer.alloc(8, 3), // firmwareVersion
    tpm2b(f.name),
    tpm2b(f.name), // qualifiedName (any Name will do here)
  ]);
}

describe('TPMS_ATTEST, TPMT_SIGNATURE and TPMT_PUBLIC parsers', () => {
  it('reads a real swtpm certification', () => {
    expect(REAL.length).toBeGreaterThanOrEqual(3);
    const a = parseCertifyAttestation(OURS.attStmt.certInfo);
    expect(a.magic).toBe(0xff544347);
    expect(a.type).toBe(0x8017);
    expect(a.extraData).toEqual(Buffer.from('00ff55aa', 'hex'));
    expect(a.name.subarray(0, 2)).toEqual(Buffer.of(0, 0x0b));
    expect(a.name).toHaveLength(34);
    const s = parseTpmSignature(OURS.attStmt.sig);
    expect(s.sigAlg).toBe(0x0018);
  });

  it('refuses every truncation, a trailing byte, and each malformed field, naming the check', () => {
    const real = OURS.attStmt.certInfo;
    for (let n = 0; n < real.length; n++) {
      expect(['certInfo', 'magic', 'type']).toContain(
        checkOf(() => parseCertifyAttestation(real.subarray(0, n))),
      );
    }
    expect(checkOf(() => parseCertifyAttestation(Buffer.concat([real, Buffer.of(0)])))).toBe(
      'certInfo',
    );
    const name = Buffer.concat([u16(0x000b), Buffer.alloc(32, 9)]);
    expect(checkOf(() => parseCertifyAttestation(certInfo({ name })))).toBe('passed');
    expect(checkOf(() => parseCertifyAttestation(certInfo({ name, magic: 0xff544348 })))).toBe(
      'magic',
    );
    expect(checkOf(() => parseCertifyAttestation(certInfo({ name, type: 0x8018 })))).toBe('type');
    expect(checkOf(() => parseCertifyAttestation(certInfo({ name, safe: 2 })))).toBe('certInfo');
    expect(
      checkOf(() => parseCertifyAttestation(certInfo({ name, extraData: Buffer.alloc(65) }))),
    ).toBe('certInfo');
    const badName = Buffer.concat([u16(0x0099), Buffer.alloc(32)]);
    expect(checkOf(() => parseCertifyAttestation(certInfo({ name: badName })))).toBe('certInfo');
    expect(checkOf(() => parseCertifyAttestation(Buffer.alloc(2000)))).toBe('certInfo');
    expect(checkOf(() => parseCertifyAttestation('ff544347'))).toBe('certInfo');

    const sig = OURS.attStmt.sig;
    expect(checkOf(() => parseTpmSignature(Buffer.concat([sig, Buffer.of(0)])))).toBe('sig');
    expect(checkOf(() => parseTpmSignature(Buffer.concat([u16(0x0016), sig.subarray(2)])))).toBe(
      'sig',
    );
    const rsassa = Buffer.concat([u16(0x0014), u16(0x000b), tpm2b(Buffer.alloc(256, 1))]);
    expect(parseTpmSignature(rsassa)).toMatchObject({ sigAlg: 0x0014, hashAlg: 0x000b });
    expect(
      checkOf(() =>
        parseTpmSignature(Buffer.concat([u16(0x0014), u16(0x000b), tpm2b(Buffer.alloc(513))])),
      ),
    ).toBe('sig');
  });

  it('reads an RSA TPMT_PUBLIC (an RSA EK) and gives node the same key', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const n = Buffer.from(publicKey.export({ format: 'jwk' }).n!, 'base64url');
    const area = Buffer.concat([
      u16(0x0001),
      u16(0x000b),
      Buffer.from('000300b2', 'hex'),
      tpm2b(Buffer.alloc(32, 1)),
      u16(0x0006),
      u16(128),
      u16(0x0043),
      u16(0x0010),
      u16(2048),
      Buffer.alloc(4),
      tpm2b(n),
    ]);
    const pub = readTpmPublic(tpm2b(area), 'pubArea', 'EK');
    expect(pub.type).toBe(0x0001);
    expect(keyObjectOf(pub, 'ak', 'EK').export({ format: 'jwk' })).toEqual(
      publicKey.export({ format: 'jwk' }),
    );
    expect(checkOf(() => readTpmPublic(Buffer.concat([area, Buffer.of(0)]), 'pubArea', 'x'))).toBe(
      'pubArea',
    );
    expect(
      checkOf(() =>
        keyObjectOf(
          readTpmPublic(
            Buffer.concat([area.subarray(0, 50), u16(1024), area.subarray(52)]),
            'pubArea',
            'x',
          ),
          'ak',
          'x',
        ),
      ),
    ).toBe('ak');
  });
});

describe('makeCredential input checks', () => {
  const ekArea = () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const n = Buffer.from(publicKey.export({ format: 'jwk' }).n!, 'base64url');
    return (sym: Buffer) =>
      Buffer.concat([
        u16(0x0001),
        u16(0x000b),
        Buffer.from('000300b2', 'hex'),
        tpm2b(Buffer.alloc(32)),
        sym,
        u16(0x0010),
        u16(2048),
        Buffer.alloc(4),
        tpm2b(n),
      ]);
  };
  const make = ekArea();
  const ek = make(Buffer.concat([u16(0x0006), u16(128), u16(0x0043)]));
  const name = Buffer.concat([u16(0x000b), Buffer.alloc(32, 5)]);

  it('makes the wire structures of the right sizes for an RSA-2048, SHA-256, AES-128 EK', () => {
    const m = makeCredential(ek, name, Buffer.alloc(32, 1));
    expect(m.credentialBlob).toHaveLength(2 + 2 + 32 + 2 + 32);
    expect(m.secret).toHaveLength(2 + 256);
    expect(m.tpm2ToolsFile.subarray(0, 8)).toEqual(Buffer.from('badcc0de00000001', 'hex'));
  });

  it('refuses a secret longer than the nameAlg digest, a malformed Name, an EK without AES-CFB', () => {
    expect(() => makeCredential(ek, name, Buffer.alloc(33))).toThrow(/1 to 32 bytes/);
    expect(() => makeCredential(ek, name, Buffer.alloc(0))).toThrow(/1 to 32 bytes/);
    expect(() => makeCredential(ek, name.subarray(0, 20), Buffer.alloc(32))).toThrow(/Name/);
    expect(() => makeCredential(make(u16(0x0010)), name, Buffer.alloc(32))).toThrow(/AES-CFB/);
    const notPublic = () => makeCredential(Buffer.from('0001000b'), name, Buffer.alloc(32));
    expect(notPublic).toThrow(expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }));
  });
});

describe('the statement codec', () => {
  it('CBOR round-trips with minimal map headers; JSON round-trips in base64url', () => {
    const cbor = encodeTpmStatement(OURS, 'cbor') as Buffer;
    expect(cbor[0]).toBe(0xa2); // a map of 2: fmt, attStmt
    expect(decodeTpmStatement(cbor)).toEqual(OURS);
    const json = encodeTpmStatement(OURS, 'json') as string;
    expect(JSON.parse(json).attStmt.sig).toBe(OURS.attStmt.sig.toString('base64url'));
    expect(decodeTpmStatement(json)).toEqual(OURS);
    expect(decodeTpmStatement(JSON.parse(json))).toEqual(OURS);
  });

  it('refuses unknown fields, wrong types, padded base64, trailing CBOR, oversize input', () => {
    const json = JSON.parse(encodeTpmStatement(OURS, 'json') as string);
    const variant = (f: (j: typeof json) => void) => {
      const j = structuredClone(json);
      f(j);
      return JSON.stringify(j);
    };
    expect(checkOf(() => decodeTpmStatement(variant((j) => (j.attStmt.extra = 1))))).toBe('format');
    expect(checkOf(() => decodeTpmStatement(variant((j) => (j.extra = 1))))).toBe('format');
    expect(checkOf(() => decodeTpmStatement(variant((j) => (j.attStmt.ver = '1.0'))))).toBe('ver');
    expect(checkOf(() => decodeTpmStatement(variant((j) => (j.attStmt.alg = '-7'))))).toBe(
      'format',
    );
    expect(checkOf(() => decodeTpmStatement(variant((j) => (j.attStmt.sig += '='))))).toBe(
      'format',
    );
    expect(checkOf(() => decodeTpmStatement(variant((j) => (j.attStmt.certInfo = ''))))).toBe(
      'format',
    );
    expect(checkOf(() => decodeTpmStatement(variant((j) => (j.fmt = 'packed'))))).toBe('format');
    const cbor = encodeTpmStatement(OURS, 'cbor') as Buffer;
    expect(checkOf(() => decodeTpmStatement(Buffer.concat([cbor, Buffer.of(0)])))).toBe('format');
    expect(checkOf(() => decodeTpmStatement(Buffer.alloc(70_000)))).toBe('format');
    expect(checkOf(() => decodeTpmStatement(Buffer.from('9f'.repeat(5000), 'hex')))).toBe('format');
    expect(checkOf(() => decodeTpmStatement(42))).toBe('format');
  });
});

describe('the nonce, with a certInfo built here and signed by a software AK', () => {
  // The real statements carry tpm2-tools' fixed qualifying data; here the nonce is ours. The AK is
  // a software P-256 key given as SPKI (so the restricted-AK check cannot apply): this tests the
  // nonce comparison, not what a TPM would sign.
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const nonce = Buffer.alloc(32, 0x5a);
  const real = parseCertifyAttestation(OURS.attStmt.certInfo);
  const info = certInfo({ extraData: nonce, name: real.name });
  const p1363 = sign('sha256', info, { key: privateKey, dsaEncoding: 'ieee-p1363' });
  const sig = Buffer.concat([
    u16(0x0018),
    u16(0x000b),
    tpm2b(p1363.subarray(0, 32)),
    tpm2b(p1363.subarray(32)),
  ]);
  const st: TpmAttestationStatement = {
    fmt: 'tpm',
    attStmt: { ...OURS.attStmt, certInfo: info, sig },
  };

  it('accepts exactly that nonce', () => {
    expect(verifyKeyAttestation(st, { nonce, akPublic: publicKey }).objectAttributes).toBe(
      0x00060472,
    );
    const other = Buffer.from(nonce);
    other[31] ^= 1;
    expect(checkOf(() => verifyKeyAttestation(st, { nonce: other, akPublic: publicKey }))).toBe(
      'nonce',
    );
    expect(
      checkOf(() =>
        verifyKeyAttestation(st, { nonce: nonce.subarray(0, 31), akPublic: publicKey }),
      ),
    ).toBe('nonce');
  });

  it('refuses bad options with E_INVALID_ARGUMENT', () => {
    expect(() => verifyKeyAttestation(st, { nonce: Buffer.alloc(0), akPublic: publicKey })).toThrow(
      /nonce/,
    );
    expect(() =>
      verifyKeyAttestation(st, { nonce, akPublic: publicKey, akName: Buffer.alloc(34) }),
    ).toThrow(/akName/);
    expect(() =>
      verifyKeyAttestation(st, { nonce, akPublic: publicKey, nonse: 1 } as never),
    ).toThrow(/unknown option/);
    expect(() => verifyKeyAttestation(st, { nonce, akPublic: publicKey, ekRoots: [] })).toThrow(
      /ekCertificate/,
    );
  });
});

describe('src/attestation stays pure', () => {
  // Server code: node:crypto for the primitives, our crypto/ and errors, cbor; no store, tier,
  // addon or file system, so a verifier can run anywhere the package loads.
  const dir = join(__dirname, '..', '..', '..', 'src', 'attestation');
  it.each(readdirSync(dir))('%s', (file) => {
    const source = readFileSync(join(dir, file), 'utf8');
    const imports = [...source.matchAll(/(?:from |require\()'([^']+)'/g)].map((m) => m[1]!);
    for (const i of imports) {
      expect(i, `${file} imports ${i}`).toMatch(
        /^(node:crypto|\.\.\/core\/errors|\.\.\/crypto\/[\w-]+|\.\/[\w-]+|cbor)$/,
      );
    }
  });
});
