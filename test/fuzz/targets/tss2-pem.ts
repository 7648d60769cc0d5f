/**
 * TSS2 PRIVATE KEY PEM: src/crypto/tss2-pem.ts and the TPM tier's key check (checkLoadableKey),
 * with libtss2-mu as the outside parser of the two blobs. A key file we accept must re-encode
 * to the same fields, its TPM2B_PRIVATE must be one libtss2-mu (and so the addon) accepts, and
 * a key we would load must have a TPM2B_PUBLIC libtss2-mu reads exactly as we do.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { KeystoreError } from '../../../src/core/errors';
import { checkLoadableKey } from '../../../src/tiers/tpm2/key-checks';
import { parseTpm2bPublic } from '../../../src/crypto/tpm2-structures';
import { decodeTss2Pem, encodeTss2Pem, type DecodedTss2Key } from '../../../src/crypto/tss2-pem';
import { FuzzFailure, typedOutcome, type Rng, type Target } from '../engine';
import { muCheck } from '../mu-oracle';
import { generatePublic, tsLine } from './tpm2b-public';

interface Tlv {
  tag: number;
  body: Buffer;
}

/** A lenient TLV splitter for the mutator (the parser under test is the strict one). */
function split(buf: Buffer): Tlv[] | undefined {
  const out: Tlv[] = [];
  for (let at = 0; at < buf.length; ) {
    if (at + 2 > buf.length) return undefined;
    const tag = buf[at]!;
    let len = buf[at + 1]!;
    let start = at + 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n === 0 || n > 3 || start + n > buf.length) return undefined;
      len = buf.subarray(start, start + n).reduce((v, b) => v * 256 + b, 0);
      start += n;
    }
    if (start + len > buf.length) return undefined;
    out.push({ tag, body: buf.subarray(start, start + len) });
    at = start + len;
  }
  return out;
}

function encLen(n: number, rng?: Rng): Buffer {
  if (rng?.chance(0.03)) return Buffer.of(0x82, n >> 8, n & 0xff); // non-minimal length
  if (n < 0x80) return Buffer.of(n);
  if (n < 0x100) return Buffer.of(0x81, n);
  return Buffer.of(0x82, n >> 8, n & 0xff);
}

function tlv(tag: number, body: Buffer, rng?: Rng): Buffer {
  return Buffer.concat([Buffer.of(tag), encLen(body.length, rng), body]);
}

const OPTIONAL_FIELDS = [
  tlv(0xa0, tlv(0x01, Buffer.of(0xff))),
  tlv(0xa0, tlv(0x01, Buffer.of(0x01))),
  tlv(0xa0, tlv(0x01, Buffer.of(0x00))),
  tlv(
    0xa1,
    tlv(
      0x30,
      tlv(
        0x30,
        Buffer.concat([tlv(0xa0, tlv(0x02, Buffer.of(1))), tlv(0xa1, tlv(0x04, Buffer.alloc(4)))]),
      ),
    ),
  ),
  tlv(0xa2, tlv(0x04, Buffer.alloc(8, 7))),
  tlv(0xa3, tlv(0x30, Buffer.alloc(0))),
  tlv(0xa4, tlv(0x0c, Buffer.from('a description'))),
  tlv(0xa4, tlv(0x0c, Buffer.of(0xc3, 0x28))),
  tlv(0xa5, tlv(0x01, Buffer.of(0xff))),
  tlv(0xa6, tlv(0x01, Buffer.of(0xff))),
];
const PARENTS = [
  '40000001',
  '0081000001',
  '81000001',
  '00',
  'ff',
  '0040000001',
  '0100000000',
  '7fffffff',
];

function derOf(pem: Buffer): Buffer | undefined {
  const m = /-----BEGIN [^-]+-----\r?\n([A-Za-z0-9+/=\r\n]+)-----END/.exec(pem.toString('latin1'));
  return m ? Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64') : undefined;
}

function pemOf(der: Buffer, rng: Rng): Buffer {
  const width = rng.chance(0.9) ? 64 : 1 + rng.below(80);
  const eol = rng.chance(0.9) ? '\n' : '\r\n';
  const lines = der.toString('base64').match(new RegExp(`.{1,${width}}`, 'g')) ?? [];
  const label = rng.chance(0.97)
    ? 'TSS2 PRIVATE KEY'
    : rng.pick(['TSS2 KEY BLOB', 'PRIVATE KEY', 'TSS2 PRIVATE KEY ']);
  const lead = rng.chance(0.95) ? '' : rng.pick([' ', '\n', 'x', '\t\n']);
  return Buffer.from(
    `${lead}-----BEGIN ${label}-----${eol}${lines.join(eol)}${eol}-----END ${label}-----${eol}`,
  );
}

/** One structural change to the TPMKey SEQUENCE, then the PEM around it again. */
function mutatePem(input: Buffer, rng: Rng): Buffer | undefined {
  const der = derOf(input);
  const outer = der && split(der)?.[0];
  const fields = outer && split(outer.body);
  if (!fields || fields.length < 3) return undefined;
  const i = rng.below(fields.length);
  switch (rng.below(9)) {
    case 0:
      fields.splice(rng.below(fields.length + 1), 0, { tag: 0, body: rng.pick(OPTIONAL_FIELDS) });
      break;
    case 1:
      fields.splice(i, 1);
      break;
    case 2:
      fields[i] = {
        ...fields[i]!,
        tag: rng.pick([0x01, 0x02, 0x04, 0x06, 0x0c, 0x30, 0xa0, 0xa4, 0x1f]),
      };
      break;
    case 3: {
      const at = fields.findIndex((f) => f.tag === 0x02);
      if (at >= 0) fields[at] = { tag: 0x02, body: Buffer.from(rng.pick(PARENTS), 'hex') };
      break;
    }
    case 4: {
      // A generated TPM2B_PUBLIC in place of the pubkey (the first OCTET STRING).
      const at = fields.findIndex((f) => f.tag === 0x04);
      if (at >= 0) fields[at] = { tag: 0x04, body: generatePublic(rng) };
      break;
    }
    case 5: {
      // A TPM2B_PRIVATE of another size, with its prefix right or wrong.
      const at = fields.map((f) => f.tag).lastIndexOf(0x04);
      const n = rng.pick([0, 1, 126, 200, 1000, 1540, 1550, 1600, 3000]);
      const prefix = rng.chance(0.8) ? n : rng.below(0x10000);
      if (at >= 0)
        fields[at] = {
          tag: 0x04,
          body: Buffer.concat([Buffer.of(prefix >> 8, prefix & 0xff), rng.bytes(n)]),
        };
      break;
    }
    case 6:
      fields.push({ ...fields[i]! });
      break;
    case 7: {
      const at = fields.findIndex((f) => f.tag === 0x06);
      if (at >= 0)
        fields[at] = {
          tag: 0x06,
          body: Buffer.from(
            rng.pick(['6781050a0103', '6781050a02', '6781050a0102', '2a864886f70d010101']),
            'hex',
          ),
        };
      break;
    }
    default:
      fields[i] = { ...fields[i]!, body: Buffer.concat([fields[i]!.body, rng.bytes(1)]) };
  }
  const body = Buffer.concat(fields.map((f) => (f.tag === 0 ? f.body : tlv(f.tag, f.body, rng))));
  return pemOf(tlv(0x30, body, rng), rng);
}

const complain = (what: string) => new KeystoreError('E_CORRUPT', what);

export const tss2PemTarget: Target = {
  name: 'tss2-pem',
  seeds: () => [readFileSync(path.join(__dirname, '../../fixtures/tss2/tpm2-openssl-p256.pem'))],
  mutate: mutatePem,
  check(inputs) {
    const decoded = inputs.map((input) => typedOutcome(() => decodeTss2Pem(input)));
    const loadable = decoded.map((d) =>
      d.ok ? typedOutcome(() => checkLoadableKey(d.value, complain)) : undefined,
    );
    // One harness call for the batch: every accepted private blob, every loadable public one.
    const asks = decoded.flatMap((d, i) =>
      d.ok
        ? [
            { kind: 'private' as const, bytes: d.value.privateBlob, i },
            ...(loadable[i]!.ok ? [{ kind: 'public' as const, bytes: d.value.publicBlob, i }] : []),
          ]
        : [],
    );
    const answers = muCheck(asks);
    asks.forEach((ask, k) => {
      const input = inputs[ask.i]!;
      const mu = answers[k]!;
      if (ask.kind === 'private' && !mu.startsWith('OK')) {
        throw new FuzzFailure(`we accept a TPM2B_PRIVATE libtss2-mu refuses (${mu})`, input);
      }
      if (ask.kind === 'public') {
        const line = tsLine(parseTpm2bPublic(ask.bytes));
        if (line !== mu) {
          throw new FuzzFailure(
            `a key we would load has a TPM2B_PUBLIC libtss2-mu reads otherwise:\n ours ${line}\n   mu ${mu}`,
            input,
          );
        }
      }
    });
    return decoded.map((d, i) => {
      if (!d.ok) return d.label;
      roundTrip(d.value, inputs[i]!);
      const l = loadable[i]!;
      return l.ok ? 'accepted, loadable' : `accepted, not loadable: ${l.label}`;
    });
  },
};

function roundTrip(d: DecodedTss2Key, input: Buffer): void {
  const { parent, publicBlob, privateBlob, emptyAuth } = d;
  const again = typedOutcome(() =>
    decodeTss2Pem(encodeTss2Pem({ parent, publicBlob, privateBlob, emptyAuth })),
  );
  if (
    !again.ok ||
    again.value.parent !== parent ||
    again.value.emptyAuth !== emptyAuth ||
    !again.value.publicBlob.equals(publicBlob) ||
    !again.value.privateBlob.equals(privateBlob)
  ) {
    throw new FuzzFailure('an accepted key file does not round-trip through encodeTss2Pem', input);
  }
}
