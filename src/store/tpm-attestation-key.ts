import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { fromFsError } from '../core/errors';
import { fsyncDir } from './atomic';
import { readRecordIfAny, writeRecord } from './records';
import { type StoredAttestationKey, type TpmAttestationKeyFile } from '../core/records';

/**
 * `tpm2-ak.json`: the store's TPM attestation key (AK), made once per store on first use
 * (src/tiers/tpm2/attestation-key.ts): its wrapped blobs, as a key record keeps them, and its
 * Name. Like every TPM key of the store, the record is authenticated by the TPM itself: the
 * wrapped private area carries an integrity HMAC over the public area's Name, so a record whose
 * blobs were edited or swapped does not load (and the Name is checked against the public area
 * here, and against the TPM's at load). The checksum makes accidental damage E_CORRUPT.
 *
 * Made exactly once: two processes that make an AK at once each try to link their record into
 * place, and the one that loses reads the winner's and uses that AK.
 */

const FORMAT = 'device-keystore/tpm2-ak';
const VERSION = 1;
const NAME_RE = /^000b[0-9a-f]{64}$/;

async function readAk(file: string): Promise<StoredAttestationKey | undefined> {
  const r = await readRecordIfAny(file, 'TPM attestation key', FORMAT, VERSION);
  if (!r) return undefined;
  return {
    parent: r.integer('parent'),
    publicBlob: r.bytes('publicBlob'),
    privateBlob: r.bytes('privateBlob'),
    name: Buffer.from(r.string('name', NAME_RE), 'hex'),
    createdAt: r.string('createdAt'),
  };
}

/** `tpm2-ak.json` for the ECC P-256 AK, `tpm2-ak-rsa-2048.json` for the RSA one. */
export function tpmAttestationKeyFile(
  storeDir: string,
  algorithm: 'ecc-p256' | 'rsa-2048',
): TpmAttestationKeyFile {
  const base = algorithm === 'ecc-p256' ? 'tpm2-ak.json' : `tpm2-ak-${algorithm}.json`;
  const file = path.join(storeDir, base);
  return {
    path: file,
    read: () => readAk(file),
    async record(ak) {
      const existing = await readAk(file);
      if (existing) return existing;
      const tmp = path.join(storeDir, `.${base}.${randomBytes(6).toString('hex')}.new`);
      await writeRecord(tmp, {
        format: FORMAT,
        version: VERSION,
        createdAt: new Date().toISOString(),
        parent: ak.parent,
        publicBlob: ak.publicBlob.toString('base64url'),
        privateBlob: ak.privateBlob.toString('base64url'),
        name: ak.name.toString('hex'),
      });
      try {
        // link, not rename: it fails when another process's AK is already in place.
        await fsp.link(tmp, file);
        await fsyncDir(storeDir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw fromFsError(err, file, 'write');
      } finally {
        await fsp.unlink(tmp).catch(() => {});
      }
      const now = await readAk(file);
      if (!now)
        throw fromFsError(Object.assign(new Error('vanished'), { code: 'ENOENT' }), file, 'read');
      return now;
    },
  };
}
