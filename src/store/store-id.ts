import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { KeystoreError } from '../core/errors';
import { STORE_ID_RE } from './key-records';
import { readRecordIfAny, writeRecord } from './records';
import { renameDurable } from './atomic';
import type { StorePaths } from './paths';

/**
 * The store record, `store.json`: a random 128-bit store id, made once. Every key and secret
 * record the store writes carries the id in its fields and its AAD, so a record copied from
 * another store (or from a backup of another store) is refused with E_CORRUPT naming both ids.
 *
 * It is made under the store lock by the first write that needs it. A store written by 0.1.0 has
 * none: the id is then introduced by a migration that re-seals every 0.1.0 secret under it (see
 * sealing.ts), in three crash-safe steps: the id goes to `store.next.json`, the secrets are
 * rewritten bound to it, and `store.next.json` is renamed over `store.json`. A crash anywhere
 * leaves a state the next writer resumes with the same id.
 */

const FORMAT = 'device-keystore/store';
const VERSION = 1;

async function readStoreFile(file: string): Promise<string | undefined> {
  const r = await readRecordIfAny(file, 'store record', FORMAT, VERSION);
  if (!r) return undefined;
  r.string('createdAt');
  return r.string('storeId', STORE_ID_RE);
}

/**
 * The store's id: store.json's, or the one a migration in progress (or interrupted) is binding
 * records to. Undefined for a store no version with store ids has written to.
 */
export async function readStoreId(paths: StorePaths): Promise<string | undefined> {
  return (await readStoreFile(paths.storeFile)) ?? (await readStoreFile(paths.storeNext));
}

/** A record that names a store id, when store.json is missing: a deleted or lost store.json. */
async function firstBoundRecord(paths: StorePaths): Promise<string | undefined> {
  for (const dir of [paths.keysDir, paths.secretsDir, paths.sealingDir]) {
    const names = await fsp.readdir(dir).catch(() => [] as string[]);
    for (const name of names.filter((n) => n.endsWith('.json') && !n.startsWith('.'))) {
      const file = path.join(dir, name);
      try {
        const body: unknown = JSON.parse(await fsp.readFile(file, 'utf8'));
        if (body !== null && typeof body === 'object' && 'storeId' in body) return file;
      } catch {
        // An unreadable record is reported when it is used, not here.
      }
    }
  }
  return undefined;
}

/**
 * The store id, made (with `migrate` run under it) when the store has none. The caller holds the
 * store lock. `migrate` must be idempotent: after a crash it runs again with the same id.
 */
export async function ensureStoreId(
  paths: StorePaths,
  migrate: (storeId: string) => Promise<void>,
): Promise<string> {
  const committed = await readStoreFile(paths.storeFile);
  if (committed) return committed;
  let pending = await readStoreFile(paths.storeNext);
  if (!pending) {
    // Making a new id would orphan every record bound to the old one, and would let a record
    // in the 0.1.0 format (which anyone can write on some tiers) be migrated as if it were ours.
    const bound = await firstBoundRecord(paths);
    if (bound) {
      throw new KeystoreError(
        'E_CORRUPT',
        `${paths.storeFile} is missing, but ${bound} is bound to a store id`,
        {
          path: paths.storeFile,
          hint: 'restore store.json from a backup; without it no record of this store can be used',
        },
      );
    }
    pending = randomBytes(16).toString('base64url');
    await writeRecord(paths.storeNext, {
      format: FORMAT,
      version: VERSION,
      storeId: pending,
      createdAt: new Date().toISOString(),
    });
  }
  await migrate(pending);
  await renameDurable(paths.storeNext, paths.storeFile);
  return pending;
}
