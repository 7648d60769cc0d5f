import { createHmac, randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { KeystoreError, corrupt, fromFsError } from '../core/errors';
import { aesGcmOpen, aesGcmSeal, type SealedBox } from '../crypto/aead';
import { DEFAULT_ARGON2, argon2ParamsValid, argon2id, type Argon2Params } from '../crypto/argon2';
import { SecretBytes } from '../crypto/secret-bytes';
import { readRecordIfAny, writeRecord } from './records';
import { canonicalJson, type Json } from '../core/json-record';
import { removeFileDurable, renameDurable } from './atomic';
import { withLock } from './lock';
import { abortable } from '../core/abort';
import type { StoreSettings } from './settings';
import { credentialDescription } from './credentials';
import {
  findPassphrase,
  generatePassphrase,
  hasLegacyPassphrase,
  stripLegacyPassphrase,
  isFileManaged,
  migrateLegacyPassphrase,
  readPassphraseFile,
  writePassphraseFile,
  PASSPHRASE_ENV,
  type PassphraseSource,
} from './passphrase';

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

export interface MasterRecord {
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

/** The master record's fields, checked; undefined when there is none. Exported for test/fuzz. */
export async function readMaster(file: string): Promise<MasterRecord | undefined> {
  const r = await readRecordIfAny(file, 'encrypted-file master', FORMAT, VERSION);
  if (!r) return undefined;
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
  ctx: StoreSettings,
): Promise<void> {
  const kdf = { ...DEFAULT_ARGON2, salt: randomBytes(16) };
  const header = masterHeader({ dataKeyId, kdf });
  const kek = await deriveWithProgress(passphrase, kdf, ctx);
  let box: SealedBox;
  try {
    box = aesGcmSeal(kek, dataKey, Buffer.from(canonicalJson(header)));
  } finally {
    kek.fill(0);
  }
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
  ctx: StoreSettings,
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
  ctx: StoreSettings,
): Promise<Buffer | undefined> {
  const kek = await deriveWithProgress(passphrase, master.kdf, ctx);
  try {
    return aesGcmOpen(kek, master.wrap, Buffer.from(canonicalJson(masterHeader(master))));
  } finally {
    kek.fill(0);
  }
}

/**
 * One derivation per process: the unwrapped data key is cached by master file, the whole master
 * record (header and wrapped key) and passphrase, so a second Keystore on the same directory, or a
 * second CLI step, does not pay Argon2id again, while any change to the file is a cache miss.
 * The cache key is an HMAC under a per-process random key, so it reveals nothing.
 *
 * Only the derivation is cached. What depends on the files around the master (a pending `.next`
 * passphrase, a legacy passphrase to migrate) is looked at on every unlock, because another
 * process may have changed it since.
 */
const cacheKeySecret = randomBytes(32);
const unwrapCache = new Map<string, Promise<Buffer | undefined>>();

function cacheKey(file: string, master: MasterRecord, passphrase: SecretBytes): string {
  // iv, ciphertext and tag have fixed lengths (readMaster checks them), so plain concatenation
  // is unambiguous.
  return createHmac('sha256', cacheKeySecret)
    .update(file)
    .update('\0')
    .update(canonicalJson(masterHeader(master)))
    .update('\0')
    .update(master.wrap.iv)
    .update(master.wrap.ciphertext)
    .update(master.wrap.tag)
    .update(passphrase.unsafeBytes())
    .digest('hex');
}

function unwrapCached(
  file: string,
  master: MasterRecord,
  passphrase: SecretBytes,
  ctx: StoreSettings,
): Promise<Buffer | undefined> {
  const key = cacheKey(file, master, passphrase);
  let unwrapped = unwrapCache.get(key);
  if (!unwrapped) {
    unwrapped = tryUnwrap(master, passphrase, ctx);
    unwrapCache.set(key, unwrapped);
    // Only a success is kept: a failure costs the next attempt a derivation, not a wrong answer.
    unwrapped.then(
      (dataKey) => {
        if (!dataKey) unwrapCache.delete(key);
      },
      () => unwrapCache.delete(key),
    );
  }
  return unwrapped;
}

function noPassphrase(ctx: StoreSettings): KeystoreError {
  return new KeystoreError('E_BAD_PASSPHRASE', 'no passphrase for the encrypted-file keystore', {
    path: ctx.paths.passphraseFile,
    hint: `set ${PASSPHRASE_ENV}, give the service its credential (${credentialDescription()}), or restore the passphrase file ${ctx.paths.passphraseFile}`,
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
    case 'credential':
      return `the systemd credential ${credentialDescription()}`;
    case 'env':
      return PASSPHRASE_ENV;
    case 'file':
    case 'generated':
      return 'the passphrase file';
    case 'legacy-identity':
      return 'the legacy identity.json field';
  }
}

async function fileExists(file: string): Promise<boolean> {
  try {
    await fsp.lstat(file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw fromFsError(err, file, 'check');
  }
}

/**
 * Unlock the master, or create it when `create` is set and none exists.
 *
 * `locked` says whether the caller holds the store lock (it must when `create` is set). Repairs
 * (discarding or rolling forward a `.next` passphrase, migrating a legacy passphrase) only ever
 * run under the lock: done outside it, they could race a `changePassphrase` in another process,
 * for instance deleting the `.next` file it is about to rename, which would leave the master
 * wrapped under a passphrase stored nowhere.
 */
export async function unlockMaster(
  ctx: StoreSettings,
  create: boolean,
  locked: boolean = create,
  signal?: AbortSignal,
  /** Told of each file a new master brings (see StoreContext.createdProvisionally). */
  created?: (file: string) => void,
): Promise<UnlockedMaster> {
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
    return createMaster(ctx, created);
  }
  const found = await findPassphrase(ctx.paths, ctx.passphrase);
  const nextFile = ctx.paths.passphraseNext;
  // `.next` only ever belongs to a file-managed passphrase.
  const pendingExists = (!found || isFileManaged(found.source)) && (await fileExists(nextFile));
  // A legacy field left behind by a migration that crashed after writing the passphrase file.
  const legacyLeftover = found?.source === 'file' && (await hasLegacyPassphrase(ctx.paths));
  const needsRepair = pendingExists || legacyLeftover || found?.source === 'legacy-identity';
  if (!found && !pendingExists) throw noPassphrase(ctx);
  if (needsRepair && !locked) {
    // Look again under the lock: another process may have finished the repair meanwhile.
    return withLock(ctx.paths.lock, () => unlockMaster(ctx, create, true), {
      timeoutMs: ctx.lockTimeoutMs,
      ...(signal ? { signal } : {}),
    });
  }
  if (found) {
    const dataKey = await abortable(unwrapCached(file, master, found.secret, ctx), signal);
    if (dataKey) {
      let source: PassphraseSource = found.source;
      if (found.source === 'legacy-identity') {
        await migrateLegacyPassphrase(ctx.paths, found.secret, ctx.warn);
        source = 'file';
      }
      if (legacyLeftover) await stripLegacyPassphrase(ctx.paths);
      // A passphrase change that crashed before re-wrapping left a `.next` file: discard it.
      if (pendingExists) await removeFileDurable(nextFile);
      return { dataKeyId: master.dataKeyId, dataKey, source };
    }
    if (!pendingExists) throw badPassphrase(found.source);
  }
  // A change that crashed after re-wrapping but before renaming: roll it forward.
  const pending = await readPassphraseFile(nextFile);
  const rolled = pending ? await unwrapCached(file, master, pending, ctx) : undefined;
  if (!rolled) throw found ? badPassphrase(found.source) : noPassphrase(ctx);
  await renameDurable(nextFile, ctx.paths.passphraseFile);
  return { dataKeyId: master.dataKeyId, dataKey: rolled, source: 'file' };
}

async function createMaster(
  ctx: StoreSettings,
  created: ((file: string) => void) | undefined,
): Promise<UnlockedMaster> {
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
    created?.(ctx.paths.passphraseFile);
    source = 'generated';
  }
  const dataKeyId = randomBytes(16).toString('base64url');
  const dataKey = randomBytes(32);
  await writeMaster(ctx.paths.fileMaster, dataKeyId, dataKey, passphrase, ctx);
  created?.(ctx.paths.fileMaster);
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
  ctx: StoreSettings,
  newPassphrase: SecretBytes | undefined,
): Promise<PassphraseChange> {
  const current = await unlockMaster(ctx, false, true);
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
  try {
    await writeMaster(ctx.paths.fileMaster, current.dataKeyId, current.dataKey, next, ctx);
  } catch (err) {
    // The master is still wrapped under the old passphrase: the new one never took effect.
    if (fileManaged) await removeFileDurable(ctx.paths.passphraseNext).catch(() => {});
    throw err;
  }
  if (fileManaged) {
    await renameDurable(ctx.paths.passphraseNext, ctx.paths.passphraseFile);
  }
  return {
    storedIn: fileManaged ? 'passphrase-file' : 'nowhere (caller keeps it)',
    generated: !newPassphrase,
  };
}

/** `Keystore.changePassphrase`: only a store with encrypted-file keys has a passphrase. */
export async function changePassphrase(
  ctx: {
    settings: StoreSettings;
    locked<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T>;
  },
  newPassphrase: SecretBytes | undefined,
  signal?: AbortSignal,
): Promise<PassphraseChange> {
  const file = ctx.settings.paths.fileMaster;
  if (!(await fileExists(file))) {
    throw new KeystoreError(
      'E_NOT_FOUND',
      'this store has no encrypted-file keys, so it has no passphrase',
      { path: file },
    );
  }
  const change = await ctx.locked(
    () => changeMasterPassphrase(ctx.settings, newPassphrase),
    signal,
  );
  // A passphrase given to open() is this Keystore's: it must open what it just re-wrapped.
  if (newPassphrase && ctx.settings.passphrase) ctx.settings.passphrase = newPassphrase;
  return change;
}
