import { parseTpmSignature } from '../../src/index';

/** The failed check of an E_ATTESTATION_INVALID, or 'passed'. */
export function checkOf(fn: () => unknown): string {
  try {
    fn();
    return 'passed';
  } catch (err) {
    const e = err as { code?: string; check?: string };
    if (e.code !== 'E_ATTESTATION_INVALID') throw err;
    return e.check!;
  }
}

/** An ECDSA TPMT_SIGNATURE as the DER signature openssl takes. */
export function derOfTpmEcdsa(sig: Buffer): Buffer {
  const s = parseTpmSignature(sig) as { r: Buffer; s: Buffer };
  const int = (v: Buffer) => {
    let b = v.subarray(v.findIndex((x) => x !== 0));
    if (b[0]! & 0x80) b = Buffer.concat([Buffer.of(0), b]);
    return Buffer.concat([Buffer.of(2, b.length), b]);
  };
  const body = Buffer.concat([int(s.r), int(s.s)]);
  return Buffer.concat([Buffer.of(0x30, body.length), body]);
}
