/**
 * The C++ side checks what it is given, whatever the TS layer checked (sodium-native's rule:
 * check in JS, assert in C): the curve is NIST P-256, a persistent parent is the H-2 SRK, and
 * TPM2B size prefixes match what was unmarshalled. These tests call the addon's TpmConnection
 * directly, past every TypeScript check, against a real swtpm.
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TPM2_ALG, marshalTpm2bEccPublic } from '../../../src/crypto/tpm2-structures';
import { loadNative, type NativeTpmConnection } from '../../../src/addon/load';
import { Swtpm } from '../../helpers/swtpm';
import { caught, makeTempDir, removeDir, tpm2 } from '../../helpers/tpm';

const OWNER = 0x40000001;
const KEY_ATTRIBUTES = 0x00060472;
const H2 = 'restricted|decrypt|fixedtpm|fixedparent|sensitivedataorigin|userwithauth|noda';

let swtpm: Swtpm;
let scratch: string;
let conn: NativeTpmConnection;

function template(curveId: number): Buffer {
  return marshalTpm2bEccPublic({
    nameAlg: TPM2_ALG.SHA256,
    objectAttributes: KEY_ATTRIBUTES,
    authPolicy: Buffer.alloc(0),
    symmetric: { algorithm: TPM2_ALG.NULL },
    scheme: { scheme: TPM2_ALG.NULL },
    curveId,
    kdf: { scheme: TPM2_ALG.NULL },
    x: Buffer.alloc(0),
    y: Buffer.alloc(0),
  });
}

async function tools(tool: string, args: string[]): Promise<void> {
  const r = await tpm2(swtpm.tcti, tool, args);
  for (const what of ['-t', '-l', '-s']) await tpm2(swtpm.tcti, 'tpm2_flushcontext', [what]);
  expect(r.code, `${tool}: ${r.stderr}`).toBe(0);
}

/** A key made by tpm2_create under `parent`, as the blobs the addon takes. */
let srkName: Buffer;

/** A fresh connection, after the old one's teardown flushed what it had loaded. */
async function reconnect(): Promise<void> {
  await conn.close();
  const native = loadNative();
  if (!native.ok || !native.addon.TpmConnection) throw new Error('no TPM addon');
  conn = new native.addon.TpmConnection(swtpm.tcti);
  conn.pinSrk(srkName);
}

async function toolKey(parent: string, alg: string, name: string) {
  const pub = path.join(scratch, `${name}.pub`);
  const priv = path.join(scratch, `${name}.priv`);
  await tools('tpm2_create', [
    ...['-C', parent, '-G', alg, '-u', pub, '-r', priv],
    ...['-a', 'sign|decrypt|fixedtpm|fixedparent|sensitivedataorigin|userwithauth|noda'],
  ]);
  return { publicBlob: await fsp.readFile(pub), privateBlob: await fsp.readFile(priv) };
}

async function persist(handle: string, attributes: string): Promise<void> {
  const ctx = path.join(scratch, `${handle}.ctx`);
  await tools('tpm2_createprimary', [
    ...['-C', 'o', '-g', 'sha256', '-G', 'ecc256:null:aes128cfb', '-a', attributes, '-c', ctx],
  ]);
  await tools('tpm2_evictcontrol', ['-C', 'o', '-c', ctx, handle]);
}

beforeAll(async () => {
  process.env.TSS2_LOG ??= 'all+NONE'; // as tss2Status() sets it, which these calls bypass
  swtpm = await Swtpm.start();
  scratch = await makeTempDir('native');
  const native = loadNative();
  if (!native.ok || !native.addon.TpmConnection) throw new Error('no TPM addon');
  // The SRK's Name, from a connection closed again: its teardown flushes the SRK, which would
  // otherwise hold one of swtpm's three object slots while tpm2-tools work below.
  const first = new native.addon.TpmConnection(swtpm.tcti);
  srkName = await first.srkName();
  await first.close();
  conn = new native.addon.TpmConnection(swtpm.tcti);
  conn.pinSrk(srkName);
  await persist('0x81000001', H2); // the H-2 SRK, persisted
  await persist(
    '0x81000002',
    'restricted|decrypt|fixedtpm|fixedparent|sensitivedataorigin|userwithauth',
  ); // no noDA: another key
});

afterAll(async () => {
  await conn?.close();
  await swtpm?.stop();
  await removeDir(scratch);
});

describe('the addon checks what it is given', () => {
  it('creates NIST P-256 keys only: a BN-P256 template is refused', async () => {
    const ok = await conn.createKey(OWNER, template(0x0003));
    expect(ok.publicBlob.length).toBeGreaterThan(80);
    const err = await caught(() => conn.createKey(OWNER, template(0x0010)));
    expect(err.code, String(err)).toBe('E_INVALID_ARGUMENT');
    expect(err.message).toMatch(/P-256/);
  });

  it('signs with NIST P-256 keys only: an SM2-curve key is refused before the TPM signs', async () => {
    const sm2 = await toolKey('0x81000001', 'ecc_sm2', 'sm2');
    const err = await caught(() =>
      conn.sign(0x81000001, sm2.publicBlob, sm2.privateBlob, randomBytes(32)),
    );
    expect(err.code, String(err)).toBe('E_INVALID_ARGUMENT');
    expect(err.message).toMatch(/curve 0x20 is not NIST P-256/);
    const p256 = await toolKey('0x81000001', 'ecc256:null', 'p256');
    const sig = await conn.sign(0x81000001, p256.publicBlob, p256.privateBlob, randomBytes(32));
    expect(sig.length).toBe(64);
  });

  it('a loaded key asked for as another kind is checked again, not taken from the load cache', async () => {
    const key = await conn.createKey(OWNER, template(0x0003));
    // Signing loads it and caches the handle; unseal on the very same blobs must still fail
    // the check a fresh load would (the cache is keyed by the bytes and by what they were
    // checked as).
    expect((await conn.sign(OWNER, key.publicBlob, key.privateBlob, randomBytes(32))).length).toBe(
      64,
    );
    const err = await caught(() => conn.unseal(OWNER, key.publicBlob, key.privateBlob));
    expect(err.code, String(err)).toBe('E_INVALID_ARGUMENT');
    expect(err.message).toMatch(/not sealed data/);
    expect((await conn.sign(OWNER, key.publicBlob, key.privateBlob, randomBytes(32))).length).toBe(
      64,
    );
  });

  it('a persistent parent that is not the H-2 SRK is refused, even for a key made under it', async () => {
    // swtpm has three object slots, and tpm2_create needs two of them besides our SRK and key.
    await reconnect();
    const other = await toolKey('0x81000002', 'ecc256:null', 'other');
    const err = await caught(() =>
      conn.sign(0x81000002, other.publicBlob, other.privateBlob, randomBytes(32)),
    );
    expect(err.code, String(err)).toBe('E_TPM');
    expect(err.message).toMatch(/not the H-2 ECC P-256 SRK/);
  });

  it('a TPM2B size prefix that disagrees with the structure it holds is corrupt', async () => {
    const key = await conn.createKey(OWNER, template(0x0003));
    const body = key.publicBlob.subarray(2);
    const padded = Buffer.concat([Buffer.alloc(2), body, Buffer.alloc(2)]);
    padded.writeUInt16BE(body.length + 2, 0);
    const err = await caught(() => conn.sign(OWNER, padded, key.privateBlob, randomBytes(32)));
    expect(err.code, String(err)).toBe('E_TPM');
    expect(err.hint).toMatch(/corrupt/);
    // A prefix shorter than the structure that follows it: tss2's unmarshaller reads the whole
    // TPMT_PUBLIC anyway, so only comparing the prefix with what was read catches it.
    const short = Buffer.from(key.publicBlob);
    short.writeUInt16BE(body.length - 2, 0);
    const err1 = await caught(() => conn.sign(OWNER, short, key.privateBlob, randomBytes(32)));
    expect(err1.hint, String(err1)).toMatch(/corrupt/);
    const privPadded = Buffer.concat([key.privateBlob, Buffer.alloc(1)]);
    const err2 = await caught(() => conn.sign(OWNER, key.publicBlob, privPadded, randomBytes(32)));
    expect(err2.hint, String(err2)).toMatch(/corrupt/);
    expect((await conn.sign(OWNER, key.publicBlob, key.privateBlob, randomBytes(32))).length).toBe(
      64,
    );
  });
});
