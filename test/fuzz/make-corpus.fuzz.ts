/**
 * `npm run fuzz -- --make-corpus`: (re)writes the seed corpus, test/fuzz/corpus/<fuzzer>/seed-*,
 * from real files: a file-tier store and a TPM store (on swtpm) made by the package itself, its
 * signatures, and its public keys in every export format. Crash inputs (crash-*) are kept.
 */
import { sign } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { Keystore } from '../../src/index';
import { decodeTss2Pem } from '../../src/crypto/tss2-pem';
import { Swtpm } from '../helpers/swtpm';
import { EkTpm } from '../helpers/attestation';
import { buildTpmStatement, encodeTpmStatement } from '../../src/attestation/index';
import { CORPUS, saveCorpusInput } from './engine';
import { MESSAGE } from './targets/ecdsa';
import { fixChecksum } from './targets/json-mutate';
import { signingKey } from './targets/seeds';
import { ATTESTATION_NONCE } from './targets/tpm-attestation';

const work = mkdtempSync(path.join(os.tmpdir(), 'dk-fuzz-corpus-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function clearSeeds(name: string): void {
  const dir = path.join(CORPUS, name);
  for (const f of readdirSync(dir, { withFileTypes: true }).filter((e) =>
    e.name.startsWith('seed-'),
  )) {
    rmSync(path.join(dir, f.name));
  }
}

function seed(name: string, bytes: Buffer | string): void {
  saveCorpusInput(name, 'seed', Buffer.from(bytes));
}

it('makes the seed corpus from real stores', async () => {
  for (const name of [
    'tss2-pem',
    'tpm2b-public',
    'ecdsa-signature',
    'p256-public-key',
    'record-identity',
    'record-key',
    'record-secret',
    'record-master',
    'record-store',
  ]) {
    mkdirSync(path.join(CORPUS, name), { recursive: true });
    clearSeeds(name);
  }

  // A file-tier store: identity, a key, a secret, the master, store.json, the sealing key.
  const dir = path.join(work, 'file');
  const ks = await Keystore.open({
    dir,
    backend: 'encrypted-file',
    passphrase: 'fuzz corpus passphrase',
  });
  await ks.init({ name: 'fuzz corpus' });
  const key = await ks.createKey('payments');
  await ks.secrets.set('token', 'a sealed token');
  const files = (sub: string) =>
    readdirSync(path.join(dir, sub)).map((f) => readFileSync(path.join(dir, sub, f)));
  seed('record-identity', readFileSync(path.join(dir, 'identity.json')));
  for (const f of [...files('keys'), ...files('sealing')]) seed('record-key', rewriteAlias(f));
  for (const f of files('secrets')) seed('record-secret', rewriteName(f));
  seed('record-master', readFileSync(path.join(dir, 'file-master.json')));
  seed('record-store', readFileSync(path.join(dir, 'store.json')));

  // Public keys in every export format, as bytes, PEM string, JWK and KeyObject.
  for (const k of [key, await ks.identityKey()]) {
    seed('p256-public-key', Buffer.concat([Buffer.of(0), k.exportPublicKey('spki')]));
    seed('p256-public-key', Buffer.concat([Buffer.of(0), k.exportPublicKey('raw')]));
    seed('p256-public-key', Buffer.concat([Buffer.of(1), Buffer.from(k.exportPublicKey('pem'))]));
    seed(
      'p256-public-key',
      Buffer.concat([Buffer.of(2), Buffer.from(JSON.stringify(k.exportPublicKey('jwk')))]),
    );
    seed('p256-public-key', Buffer.concat([Buffer.of(3), k.exportPublicKey('spki')]));
  }
  await ks.close();

  // Signatures by the fuzzers' fixed key (so they verify there), DER and P1363, from node:crypto.
  const { privateKey } = signingKey();
  for (let i = 0; i < 4; i++) {
    seed('ecdsa-signature', Buffer.concat([Buffer.of(0), sign('sha256', MESSAGE, privateKey)]));
    seed(
      'ecdsa-signature',
      Buffer.concat([
        Buffer.of(1),
        sign('sha256', MESSAGE, { key: privateKey, dsaEncoding: 'ieee-p1363' }),
      ]),
    );
  }

  // A TPM store on swtpm: the key files the TPM tier writes, and their public areas.
  const swtpm = await Swtpm.start();
  try {
    const tdir = path.join(work, 'tpm');
    const tks = await Keystore.open({ dir: tdir, backend: 'tpm2', tcti: swtpm.tcti });
    await tks.init({ name: 'fuzz corpus tpm' });
    await tks.createKey('payments');
    await tks.secrets.set('token', 'a TPM-sealed token');
    await tks.close();
    seed('record-identity', readFileSync(path.join(tdir, 'identity.json')));
    for (const f of readdirSync(path.join(tdir, 'secrets'))) {
      seed('record-secret', rewriteName(readFileSync(path.join(tdir, 'secrets', f))));
    }
    for (const sub of ['keys', 'sealing']) {
      for (const f of readdirSync(path.join(tdir, sub))) {
        const bytes = readFileSync(path.join(tdir, sub, f));
        if (f.endsWith('.tss2.pem')) {
          seed('tss2-pem', bytes);
          seed('tpm2b-public', decodeTss2Pem(bytes).publicBlob);
        } else {
          seed('record-key', rewriteAlias(bytes));
        }
      }
    }
  } finally {
    await swtpm.stop();
  }
  const count = readdirSync(CORPUS).map((n) => readdirSync(path.join(CORPUS, n)).length);
  expect(Math.min(...count)).toBeGreaterThan(0);
});

/**
 * The attestation statements: real tpm2_certify output on a swtpm whose EK has a certificate (a
 * key with our attributes, one imported from software, one duplicable), as CBOR and as JSON.
 * Runs alone with `npm run fuzz -- --make-corpus` too; it clears only its own seeds.
 */
it('makes the tpm-attestation seeds on swtpm', async () => {
  const name = 'tpm-attestation';
  mkdirSync(path.join(CORPUS, name), { recursive: true });
  clearSeeds(name);
  const tpm = await EkTpm.create();
  try {
    tpm.makeAk();
    tpm.makeSrk();
    tpm.createKey('key', '0x00060472');
    tpm.createKey('dup', 'sign|decrypt|sensitivedataorigin|userwithauth|noda');
    tpm.importKey('imported');
    for (const k of ['key', 'dup', 'imported']) {
      const st = buildTpmStatement(tpm.certify(`${k}.pub`, `${k}.priv`));
      seed(name, Buffer.concat([Buffer.of(0), encodeTpmStatement(st, 'cbor') as Buffer]));
      seed(name, Buffer.concat([Buffer.of(1), Buffer.from(encodeTpmStatement(st, 'json'))]));
    }
    // And what the package itself hands out: key.attest() by the store's ECC and RSA AKs.
    const ks = await Keystore.open({
      dir: path.join(work, 'attest-store'),
      backend: 'tpm2',
      tcti: tpm.tpm.tcti,
    });
    try {
      const key = await ks.createKey('attested');
      for (const ak of ['ecc-p256', 'rsa-2048'] as const) {
        const att = await key.attest({ nonce: ATTESTATION_NONCE, ak });
        seed(name, Buffer.concat([Buffer.of(0), att.encode('cbor') as Buffer]));
        seed(name, Buffer.concat([Buffer.of(1), Buffer.from(att.encode('json') as string)]));
      }
    } finally {
      await ks.close();
    }
  } finally {
    await tpm.stop();
  }
}, 120_000);

/**
 * The record fuzzers read their file under one name ("payments", "token"), as the store would:
 * a seed from another alias gets that name (and its checksum) so it starts out valid.
 */
function rewriteAlias(bytes: Buffer): Buffer {
  return renamed(bytes, 'alias', 'payments');
}
function rewriteName(bytes: Buffer): Buffer {
  return renamed(bytes, 'name', 'token');
}
function renamed(bytes: Buffer, field: string, to: string): Buffer {
  const body = JSON.parse(bytes.toString('utf8'));
  if (body[field] === to) return bytes;
  body[field] = to;
  return Buffer.from(JSON.stringify(fixChecksum(body), null, 2) + '\n');
}
