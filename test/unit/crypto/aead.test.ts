import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { aesGcmOpen, aesGcmSeal } from '../../../src/crypto/aead';

// Project Wycheproof AES-GCM vectors against the file tier's AEAD. We only ever use AES-256 with
// a 96-bit nonce and a 128-bit tag, so those groups must match exactly; for AES-256 with any
// other nonce size our open refuses by design, even for vectors marked valid.
interface GcmTest {
  tcId: number;
  key: string;
  iv: string;
  aad: string;
  msg: string;
  ct: string;
  tag: string;
  result: 'valid' | 'invalid' | 'acceptable';
}
interface GcmGroup {
  keySize: number;
  ivSize: number;
  tagSize: number;
  tests: GcmTest[];
}

const file = path.resolve(__dirname, '../../vectors/wycheproof/aes_gcm_test.json');
const groups = (JSON.parse(readFileSync(file, 'utf8')) as { testGroups: GcmGroup[] }).testGroups;
const hex = (s: string) => Buffer.from(s, 'hex');

describe('Wycheproof AES-GCM', () => {
  it('AES-256, 96-bit nonce, 128-bit tag: valid vectors open to the message, invalid ones fail', () => {
    const counts = { valid: 0, invalid: 0 };
    for (const g of groups) {
      if (g.keySize !== 256 || g.ivSize !== 96 || g.tagSize !== 128) continue;
      for (const t of g.tests) {
        const opened = aesGcmOpen(
          hex(t.key),
          { iv: hex(t.iv), ciphertext: hex(t.ct), tag: hex(t.tag) },
          hex(t.aad),
        );
        if (t.result === 'valid') {
          expect(opened?.toString('hex'), `tcId ${t.tcId}`).toBe(t.msg);
          counts.valid++;
        } else {
          expect(opened, `tcId ${t.tcId}`).toBeUndefined();
          counts.invalid++;
        }
      }
    }
    expect(counts).toEqual({ valid: 39, invalid: 27 });
  });

  it('AES-256 with any other nonce size is refused', () => {
    let refused = 0;
    for (const g of groups) {
      if (g.keySize !== 256 || g.ivSize === 96) continue;
      for (const t of g.tests) {
        const box = { iv: hex(t.iv), ciphertext: hex(t.ct), tag: hex(t.tag) };
        expect(aesGcmOpen(hex(t.key), box, hex(t.aad)), `tcId ${t.tcId}`).toBeUndefined();
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(20);
  });

  it('seal then open round-trips, and any change to ciphertext, tag, nonce or AAD fails', () => {
    const key = Buffer.alloc(32, 7);
    const aad = Buffer.from('header');
    const box = aesGcmSeal(key, Buffer.from('secret bytes'), aad);
    expect(aesGcmOpen(key, box, aad)?.toString()).toBe('secret bytes');
    for (const field of ['iv', 'ciphertext', 'tag'] as const) {
      const bad = { ...box, [field]: Buffer.from(box[field]) };
      bad[field][0]! ^= 1;
      expect(aesGcmOpen(key, bad, aad), field).toBeUndefined();
    }
    expect(aesGcmOpen(key, box, Buffer.from('headex'))).toBeUndefined();
  });
});
