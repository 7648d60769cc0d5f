/**
 * A DER writer: the few universal types our files and certificates use, always in their one
 * canonical encoding (shortest lengths, minimal integers), so that what we sign is what any
 * strict reader re-encodes. Reading lives in p256.ts (readDerElement), where it is strict too.
 */

export const TAG = Object.freeze({
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
  /** [n] EXPLICIT = context-specific, constructed; [n] IMPLICIT of a primitive is 0x80 | n. */
  CONTEXT: 0xa0,
});

export function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.of(n);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, body: Uint8Array): Buffer {
  return Buffer.concat([Buffer.of(tag), derLength(body.length), body]);
}

export function sequence(...items: Uint8Array[]): Buffer {
  return tlv(TAG.SEQUENCE, Buffer.concat(items));
}

/** A non-negative INTEGER from big-endian bytes: leading zeros dropped, a 00 added before a high bit. */
export function unsignedInteger(bytes: Uint8Array): Buffer {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const body = Buffer.from(bytes.subarray(i));
  if (body.length === 0) return tlv(TAG.INTEGER, Buffer.of(0));
  return tlv(TAG.INTEGER, body[0]! & 0x80 ? Buffer.concat([Buffer.of(0), body]) : body);
}

export function smallInteger(value: number): Buffer {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError('not a small integer');
  const bytes: number[] = [];
  for (let v = value; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return unsignedInteger(Uint8Array.from(bytes.length ? bytes : [0]));
}

export function boolean(value: boolean): Buffer {
  return tlv(TAG.BOOLEAN, Buffer.of(value ? 0xff : 0x00));
}

export function octetString(body: Uint8Array): Buffer {
  return tlv(TAG.OCTET_STRING, body);
}

/** A BIT STRING of whole bytes (a key, a signature): no unused bits. */
export function bitString(bytes: Uint8Array): Buffer {
  return tlv(TAG.BIT_STRING, Buffer.concat([Buffer.of(0), bytes]));
}

/**
 * A named-bit BIT STRING (X.509 keyUsage) from the numbers of the bits that are set (bit 0 is
 * the most significant bit of the first byte). DER drops trailing zero bits.
 */
export function namedBits(bits: readonly number[]): Buffer {
  const top = Math.max(...bits);
  const bytes = Buffer.alloc(Math.floor(top / 8) + 1);
  for (const b of bits) bytes[b >> 3]! |= 0x80 >> (b & 7);
  return tlv(TAG.BIT_STRING, Buffer.concat([Buffer.of(7 - (top & 7)), bytes]));
}

/** The contents (no tag, no length) of a dotted OBJECT IDENTIFIER. */
export function oidBody(dotted: string): Buffer {
  const arcs = dotted.split('.').map((a) => {
    if (!/^(0|[1-9]\d*)$/.test(a)) throw new RangeError(`bad OID arc in ${dotted}`);
    return BigInt(a);
  });
  if (arcs.length < 2 || arcs[0]! > 2n || (arcs[0]! < 2n && arcs[1]! > 39n)) {
    throw new RangeError(`bad OID ${dotted}`);
  }
  const out: number[] = [];
  for (const arc of [arcs[0]! * 40n + arcs[1]!, ...arcs.slice(2)]) {
    const group: number[] = [Number(arc & 0x7fn)];
    for (let v = arc >> 7n; v > 0n; v >>= 7n) group.unshift(Number(v & 0x7fn) | 0x80);
    out.push(...group);
  }
  return Buffer.from(out);
}

export function oid(dotted: string): Buffer {
  return tlv(TAG.OID, oidBody(dotted));
}

export function utf8String(text: string): Buffer {
  return tlv(TAG.UTF8_STRING, Buffer.from(text, 'utf8'));
}

export function explicit(n: number, inner: Uint8Array): Buffer {
  return tlv(TAG.CONTEXT | n, inner);
}

/**
 * An X.509 Time (RFC 5280 §4.1.2.5): UTCTime through 2049, GeneralizedTime from 2050, both in
 * whole seconds and Zulu.
 */
export function x509Time(date: Date): Buffer {
  const iso = date.toISOString(); // 2026-12-02T00:56:31.000Z
  const digits = iso.slice(0, 19).replace(/[-:T]/g, '') + 'Z'; // 20261202005631Z
  const year = date.getUTCFullYear();
  if (year < 1950 || year > 9999) throw new RangeError('a certificate time must be in 1950–9999');
  return year < 2050
    ? tlv(TAG.UTC_TIME, Buffer.from(digits.slice(2), 'latin1'))
    : tlv(TAG.GENERALIZED_TIME, Buffer.from(digits, 'latin1'));
}
