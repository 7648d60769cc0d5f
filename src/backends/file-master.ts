import { createHmac, randomBytes } from 'node:crypto';
import { KeystoreError, corrupt } from '../errors';
import { aesGcmOpen, aesGcmSeal } from '../crypto/aead';
import { DEFAULT_ARGON2, argon2ParamsValid, argon2id, type Argon2Params } from '../crypto/argon2';
import { SecretBytes } from '../crypto/secret-bytes';
import { RecordReader, canonicalJson, readRecord, writeRecord, type Json } from '../store/records';
import { removeFileDurable, renameDurable } from '../store/atomic';
import type { BackendContext } from './backend';
import {
  findPassphrase,
  generatePassphrase,
  isFileManaged,
  migrateLegacyPassphrase,
  readPassphraseFile,
  writePassphraseFile,
  PASSPHRASE_ENV,
  type PassphraseSource,
} from '../store/passphrase';

/**
 * The encrypted-file tier's master record: a random 256-bit data key, wrapped with AES-256-GCM
 * under a key-encryption key from Argon2id(passphrase). Keys and secrets are encrypted under the
 * data key, so changing the passphrase re-wraps one small file and nothing else.
 *
 * The header (format, version, data key id, KDF parameters and salt) is the GCM AAD: changing
 * the parameters or the salt fails authentication instead of silently deriving another key.
 */

const FORMAT = 'device-keystore/file-master';
const VERSION = 1;

interface MasterRecord {
  dataKeyId: string;
  kdf: Argon2Params & { salt: Buffer };
  wrap: { iv: Buffer; ciphertext: Buffer; tag: Buffer };
}

export interface UnlockedMaster {
  dataKeyId: string;
  dataKey: Buffer;
  source: PassphraseSource | 'generated';
}

function masterHeader(r: Pick<MasterRecord, 'dataKeyId' | 'kdf'>): { [key: string]: Json } {
  return {
    format: FORMAT,
    version: VERSION,
    dataKeyId: r.dataKeyId,
    kdf: {
      alg: 'argon2id',
      version: 0x13,
      m: r.kdf.m,
      t: r.kdf.t,
      p: r.kdf.p,
      salt: r.kdf.salt.toString('base64url'),
    },
  };
}

async function readMaster(file: string): Promise<MasterRecord | undefined> {
  let body;
  try {
    body = await readRecord(file, 'encrypted-file master');
  } catch (err) {
    if ((err as KeystoreError).code === 'E_NOT_FOUND') return undefined;
    throw err;
  }
  const r = new RecordReader(file, body);
  r.literal('format', FORMAT);
  r.literal('version', VERSION);
  const kdf = r.object('kdf');
  kdf.literal('alg', 'argon2id');
  kdf.literal('version', 0x13);
  const params = { m: kdf.integer('m'), t: kdf.integer('t'), p: kdf.integer('p') };
  if (!argon2ParamsValid(params)) throw corrupt(file, 'KDF parameters out of range');
  const wrap = r.object('wrap');
  wrap.literal('alg', 'A256GCM');
  return {
    dataKeyId: r.string('dataKeyId', /^[A-Za-z0-9_-]{22}$/),
    kdf: { ...params, salt: kdf.bytes('salt', 16) },
    wrap: {
      iv: wrap.bytes('iv', 12),
      ciphertext: wrap.bytes('ciphertext', 32),
      tag: wrap.bytes('tag', 16),
    },
  };
}

async function writeMaster(
  file: string,
  dataKeyId: string,
  dataKey: Buffer,
  passphrase: SecretBytes,
  ctx: BackendContext,
): Promise<void> {
  const kdf = { ...DEFAULT_ARGON2, salt: randomBytes(16) };
  const header = masterHeader({ dataKeyId, kdf });
  const kek = await deriveWithProgress(passphrase, kdf, ctx);
  const box = aesGcmSeal(kek, dataKey, Buffer.from(canonicalJson(header)));
  kek.fill(0);
  await writeRecord(file, {
    ...header,
    wrap: {
      alg: 'A256GCM',
      iv: box.iv.toString('base64url'),
      ciphertext: box.ciphertext.toString('base64url'),
      tag: box.tag.toString('base64url'),
    },
  });
}

async function deriveWithProgress(
  passphrase: SecretBytes,
  kdf: Argon2Params & { salt: Buffer },
  ctx: BackendContext,
): Promise<Buffer> {
  ctx.onSlowStep?.('deriving the key from the passphrase (Argon2id)', false);
  try {
    return await argon2id(passphrase.unsafeBytes(), kdf.salt, kdf);
  } finally {
    ctx.onSlowStep?.('deriving the key from the passphrase (Argon2id)', true);
  }
}

async function tryUnwrap(
  master: MasterRecord,
  passphrase: SecretBytes,
  ctx: BackendContext,
): Promise<Buffer | undefined> {
  const kek = await deriveWithProgress(passphrase, master.kdf, ctx);
  const dataKey = aesGcmOpen(kek, master.wrap, Buffer.from(canonicalJson(masterHeader(master))));
  kek.fill(0);
  return dataKey;
}

/**
 * One unlock per process: the derived data key is cached by master file and passphrase, so a
 * second Keystore on the same directory, or a second CLI step, does not pay Argon2id again.
 * The cache key is an HMAC under a per-process random key, so it reveals nothing.
 */
const cacheKeySecret = randomBytes(32);
const unlockCache = new Map<string, Promise<UnlockedMaster>>();

function cacheKey(file: string, master: MasterRecord, passphrase: SecretBytes): string {
  return createHmac('sha256', cacheKeySecret)
    .update(file)
    .update('\0')
    .update(canonicalJson(masterHeader(master)))
    .update(master.wrap.tag)
    .update('\0')
    .update(passphrase.unsafeBytes())
    .digest('hex');
}

function noPassphrase(ctx: BackendContext): KeystoreError {
  return new KeystoreError('E_BAD_PASSPHRASE', 'no passphrase for the encrypted-file keystore', {
    path: ctx.paths.passphraseFile,
    hint: `set ${PASSPHRASE_ENV}, or restore the passphrase file ${ctx.paths.passphraseFile}`,
  });
}

function badPassphrase(source: PassphraseSource): KeystoreError {
  return new KeystoreError(
    'E_BAD_PASSPHRASE',
    `the passphrase (from ${describeSource(source)}) does not unlock this keystore`,
    { hint: 'check the passphrase; a forgotten passphrase cannot be recovered' },
  );
}

export function describeSource(source: PassphraseSource | 'generated'): string {
  switch (source) {
    case 'option':
      return 'the passphrase option';
    case 'env':
      return PASSPHRASE_ENV;
    case 'file':
    case 'generated':
      return 'the passphrase file';
    case 'legacy-identity':
      return 'the legacy identity.json field';
  }
}

/**
 * Unlock the master, or create it when `create` is set and none exists. The caller holds the
 * store lock when `create` is set.
 */
export async function unlockMaster(ctx: BackendContext, create: boolean): Promise<UnlockedMaster> {
  const file = ctx.paths.fileMaster;
  const master = await readMaster(file);
  if (!master) {
    if (!create) {
      throw new KeystoreError(
        'E_CORRUPT',
        `${file} is missing, so no key of this store can be unlocked`,
        {
          path: file,
          hint: 'restore the file from a backup; without it the encrypted keys are lost',
        },
      );
    }
    return createMaster(ctx);
  }
  const found = await findPassphrase(ctx.paths, ctx.passphrase);
  if (!found) {
    const pending = await readPassphraseFile(ctx.paths.passphraseNext);
    if (!pending) throw noPassphrase(ctx);
    return unlockExisting(ctx, master, { secret: pending, source: 'file' }, undefined);
  }
  return unlockExisting(
    ctx,
    master,
    found,
    isFileManaged(found.source) ? ctx.paths.passphraseNext : undefined,
  );
}

async function unlockExisting(
  ctx: BackendContext,
  master: MasterRecord,
  found: { secret: SecretBytes; source: PassphraseSource },
  pendingFile: string | undefined,
): Promise<UnlockedMaster> {
  const file = ctx.paths.fileMaster;
  const key = cacheKey(file, master, found.secret);
  let unlocked = unlockCache.get(key);
  if (!unlocked) {
    unlocked = (async () => {
      const dataKey = await tryUnwrap(master, found.secret, ctx);
      if (dataKey) {
        if (found.source === 'legacy-identity') {
          await migrateLegacyPassphrase(ctx.paths, found.secret, ctx.warn);
        }
        // A passphrase change that crashed before re-wrapping left a `.next` file: discard it.
        if (pendingFile) await removeFileDurable(pendingFile);
        return { dataKeyId: master.dataKeyId, dataKey, source: found.source };
      }
      // A change that crashed after re-wrapping but before renaming: roll it forward.
      const pending = pendingFile ? await readPassphraseFile(pendingFile) : undefined;
      const rolled = pending ? await tryUnwrap(master, pending, ctx) : undefined;
      if (pending && rolled) {
        await renameDurable(pendingFile!, ctx.paths.passphraseFile);
        return { dataKeyId: master.dataKeyId, dataKey: rolled, source: 'file' as const };
      }
      throw badPassphrase(found.source);
    })();
    unlockCache.set(key, unlocked);
    // A failure must not be cached: the user may fix the passphrase and retry in-process.
    unlocked.catch(() => unlockCache.delete(key));
  }
  return unlocked;
}

async function createMaster(ctx: BackendContext): Promise<UnlockedMaster> {
  const found = await findPassphrase(ctx.paths, ctx.passphrase);
  let passphrase: SecretBytes;
  let source: PassphraseSource | 'generated';
  if (found) {
    passphrase = found.secret;
    source = found.source;
    if (found.source === 'legacy-identity') {
      await migrateLegacyPassphrase(ctx.paths, found.secret, ctx.warn);
      source = 'file';
    }
  } else {
    // The passphrase file is written before the master, so a crash in between leaves a
    // passphrase that the next attempt reuses rather than a master nobody can open.
    passphrase = generatePassphrase();
    await writePassphraseFile(ctx.paths.passphraseFile, passphrase);
    source = 'generated';
  }
  const dataKeyId = randomBytes(16).toString('base64url');
  const dataKey = randomBytes(32);
  await writeMaster(ctx.paths.fileMaster, dataKeyId, dataKey, passphrase, ctx);
  return { dataKeyId, dataKey, source };
}

export interface PassphraseChange {
  /** Where the new passphrase now lives. */
  storedIn: 'passphrase-file' | 'nowhere (caller keeps it)';
  generated: boolean;
}

/**
 * Re-wrap the data key under a new passphrase. When the passphrase is file-managed, the new one
 * goes to `<file>.next` first, then the master is rewritten, then `.next` is renamed over the
 * file: a crash at any point leaves a state `unlockMaster` resolves to the old or the new one.
 * The caller holds the store lock.
 */
export async function changeMasterPassphrase(
  ctx: BackendContext,
  newPassphrase: SecretBytes | undefined,
): Promise<PassphraseChange> {
  const current = await unlockMaster(ctx, false);
  const fileManaged =
    current.source === 'file' ||
    current.source === 'generated' ||
    current.source === 'legacy-identity';
  if (!newPassphrase && !fileManaged) {
    throw new KeystoreError(
      'E_INVALID_ARGUMENT',
      `the current passphrase comes from ${describeSource(current.source)}, so a new one must be given`,
      { hint: 'pass the new passphrase on stdin (CLI) or as newPassphrase (API)' },
    );
  }
  const next = newPassphrase ?? generatePassphrase();
  if (fileManaged) await writePassphraseFile(ctx.paths.passphraseNext, next);
  await writeMaster(ctx.paths.fileMaster, current.dataKeyId, current.dataKey, next, ctx);
  if (fileManaged) {
    await renameDurable(ctx.paths.passphraseNext, ctx.paths.passphraseFile);
  }
  return {
    storedIn: fileManaged ? 'passphrase-file' : 'nowhere (caller keeps it)',
    generated: !newPassphrase,
  };
}
