/**
 * The DER writer behind the certificates (src/crypto/der.ts, src/crypto/x509.ts), against
 * encodings worked out by hand from X.690 and RFC 5280, and against node's X509Certificate for a
 * certificate whose times need GeneralizedTime.
 */
import { generateKeyPairSync, sign, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  derLength,
  namedBits,
  oid,
  smallInteger,
  unsignedInteger,
  x509Time,
} from '../../../src/crypto/der';
import { encodeCertificate, encodeTbsCertificate } from '../../../src/crypto/x509';

const hex = (b: Buffer) => b.toString('hex');

describe('DER encodings', () => {
  it('OBJECT IDENTIFIER: first two arcs in one byte, base-128 arcs', () => {
    expect(hex(oid('1.2.840.10045.4.3.2'))).toBe('06082a8648ce3d040302'); // ecdsa-with-SHA256
    expect(hex(oid('2.5.29.37'))).toBe('0603551d25'); // extKeyUsage
    // 55555 = 3·128² + 50·128 + 3 → 83 b2 03
    expect(hex(oid('1.3.6.1.4.1.55555.7.1'))).toBe('060a2b0601040183b2030701');
    expect(hex(oid('2.999.3'))).toBe('0603883703'); // 2·40 + 999 = 1079 = 8·128 + 55
    for (const bad of ['1', '3.1', '1.40', '1.2.x', '1..2', '01.2']) {
      expect(() => oid(bad), bad).toThrow(RangeError);
    }
  });

  it('INTEGER: minimal, non-negative', () => {
    expect(hex(unsignedInteger(Buffer.from([0x80])))).toBe('02020080');
    expect(hex(unsignedInteger(Buffer.from([0, 0, 1])))).toBe('020101');
    expect(hex(unsignedInteger(Buffer.from([0])))).toBe('020100');
    expect(hex(smallInteger(0))).toBe('020100');
    expect(hex(smallInteger(2))).toBe('020102');
    expect(hex(smallInteger(255))).toBe('020200ff');
  });

  it('named-bit BIT STRING drops trailing zero bits (keyUsage)', () => {
    expect(hex(namedBits([0, 5]))).toBe('03020284'); // digitalSignature, keyCertSign
    expect(hex(namedBits([0]))).toBe('03020780'); // digitalSignature
    expect(hex(namedBits([8]))).toBe('0303070080'); // decipherOnly
  });

  it('lengths in their shortest form', () => {
    expect(hex(derLength(0x7f))).toBe('7f');
    expect(hex(derLength(0x80))).toBe('8180');
    expect(hex(derLength(300))).toBe('82012c');
  });

  it('Time: UTCTime through 2049, GeneralizedTime from 2050, whole seconds', () => {
    const utc = x509Time(new Date('2049-12-31T23:59:59.999Z'));
    expect(utc[0]).toBe(0x17);
    expect(utc.subarray(2).toString('latin1')).toBe('491231235959Z');
    const gen = x509Time(new Date('2050-01-01T00:00:00Z'));
    expect(gen[0]).toBe(0x18);
    expect(gen.subarray(2).toString('latin1')).toBe('20500101000000Z');
    expect(() => x509Time(new Date('1949-12-31T00:00:00Z'))).toThrow(RangeError);
  });
});

describe('a certificate node reads back field for field', () => {
  it('with a GeneralizedTime notAfter and a custom extended key usage', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(26);
    const tbs = encodeTbsCertificate({
      serial: Buffer.from('01', 'hex'),
      issuer: { organization: 'Org', commonName: 'Issuer' },
      subject: { organization: 'Org', organizationalUnit: 'Unit', commonName: 'Subject ü' },
      notBefore: new Date('2049-06-01T00:00:00Z'),
      notAfter: new Date('2060-06-01T12:34:56Z'),
      subjectKey: raw,
      issuerKey: raw,
      ca: false,
      keyUsage: ['digitalSignature'],
      extendedKeyUsage: ['1.3.6.1.4.1.55555.7.1'],
    });
    const cert = new X509Certificate(encodeCertificate(tbs, sign('sha256', tbs, privateKey)));
    expect(new Date(cert.validFrom).toISOString()).toBe('2049-06-01T00:00:00.000Z');
    expect(new Date(cert.validTo).toISOString()).toBe('2060-06-01T12:34:56.000Z');
    expect(cert.subject).toBe('O=Org\nOU=Unit\nCN=Subject ü');
    expect(cert.issuer).toBe('O=Org\nCN=Issuer');
    expect(cert.serialNumber).toBe('01');
    expect(cert.keyUsage).toEqual(['1.3.6.1.4.1.55555.7.1']);
    expect(cert.ca).toBe(false);
    expect(cert.verify(publicKey)).toBe(true);
  });

  it('refuses a serial that is empty, negative or longer than 20 bytes', () => {
    const raw = Buffer.alloc(65, 4);
    const base = {
      issuer: { commonName: 'x' },
      subject: { commonName: 'x' },
      notBefore: new Date(),
      notAfter: new Date(),
      subjectKey: raw,
      issuerKey: raw,
      ca: true,
      keyUsage: ['keyCertSign'] as const,
    };
    for (const serial of [Buffer.alloc(0), Buffer.from([0x80]), Buffer.alloc(21, 1)]) {
      expect(() => encodeTbsCertificate({ ...base, serial })).toThrow(RangeError);
    }
  });
});
