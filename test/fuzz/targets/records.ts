/**
 * The store's JSON records, one fuzzer each: identity.json, keys/<alias>.json, secrets/<name>.json,
 * file-master.json and store.json, through the readers the store uses (real files in a temp
 * directory). Oracle: a typed error, or a record that, written back by the store's own writer,
 * reads back to the same fields.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { readIdentityFile, writeIdentityFile } from '../../../src/store/identity-file';
import { readMaster } from '../../../src/store/file-master';
import {
  readKeyRecord,
  readSecretRecord,
  writeKeyRecord,
  writeSecretRecord,
} from '../../../src/store/key-records';
import { storePaths } from '../../../src/store/paths';
import { writeRecord } from '../../../src/store/records';
import { readStoreId } from '../../../src/store/store-id';
import { FuzzFailure, typedOutcomeAsync, type Target } from '../engine';
import { mutateRecord } from './json-mutate';

const STORE_0_1_0 = path.join(__dirname, '../../fixtures/store-0.1.0');

let scratch: string | undefined;
function dir(): string {
  // tmpfs where there is one: the writers' fsyncs are then free, and the disk is left alone.
  const base = existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
  scratch ??= mkdtempSync(path.join(base, 'dk-fuzz-records-'));
  return scratch;
}

/** Removes the scratch store (the runners call it after their last check). */
export function removeRecordScratch(): void {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  scratch = undefined;
}

interface RecordKind {
  name: string;
  /** Where the file goes in the scratch store, and the name it must hold. */
  file: string;
  expected?: string;
  unchecked?: readonly string[];
  seeds: () => Buffer[];
  /** Reads it back and returns what the record says (undefined: no record). */
  read(file: string): Promise<unknown>;
  /** Writes `value` with the store's writer to `file`; false when the writer cannot (old formats). */
  write(file: string, value: never): Promise<boolean>;
}

const fixture =
  (...p: string[]) =>
  () => [readFileSync(path.join(STORE_0_1_0, ...p))];

const KINDS: RecordKind[] = [
  {
    name: 'record-identity',
    file: 'identity.json',
    unchecked: ['passphrase'],
    seeds: fixture('identity.json'),
    read: readIdentityFile,
    write: async (file, v: Parameters<typeof writeIdentityFile>[1]) => {
      await writeIdentityFile(file, v);
      return true;
    },
  },
  {
    name: 'record-key',
    file: 'keys/payments.json',
    expected: 'payments',
    seeds: fixture('keys', 'payments.json'),
    read: (file) => readKeyRecord(file, 'payments'),
    write: async (file, v: Awaited<ReturnType<typeof readKeyRecord>>) => {
      if (v.storeId === undefined) return false; // versions 1 and 2 are read, never written
      const { sideFileRef, ...rest } = v;
      if (sideFileRef) return false; // the side file's bytes are not part of this input
      await writeKeyRecord(file, rest);
      return true;
    },
  },
  {
    name: 'record-secret',
    file: 'secrets/token.json',
    seeds: fixture('secrets', 'token.json'),
    read: (file) => readSecretRecord(file, 'token'),
    write: async (file, v: Awaited<ReturnType<typeof readSecretRecord>>) => {
      if (v.storeId === undefined) return false;
      await writeSecretRecord(file, v);
      return true;
    },
  },
  {
    name: 'record-master',
    file: 'file-master.json',
    seeds: fixture('file-master.json'),
    read: readMaster,
    write: async (file, m: NonNullable<Awaited<ReturnType<typeof readMaster>>>) => {
      // The layout of file-master.ts's writeMaster, from the parsed fields.
      const b64 = (b: Buffer) => b.toString('base64url');
      await writeRecord(file, {
        format: 'device-keystore/file-master',
        version: 1,
        dataKeyId: m.dataKeyId,
        kdf: {
          alg: 'argon2id',
          version: 0x13,
          m: m.kdf.m,
          t: m.kdf.t,
          p: m.kdf.p,
          salt: b64(m.kdf.salt),
        },
        wrap: {
          alg: 'A256GCM',
          iv: b64(m.wrap.iv),
          ciphertext: b64(m.wrap.ciphertext),
          tag: b64(m.wrap.tag),
        },
      });
      return true;
    },
  },
  {
    name: 'record-store',
    file: 'store.json',
    seeds: () => [],
    read: (file) => readStoreId(storePaths(path.dirname(file))),
    write: async (file, id: string | undefined) => {
      if (id === undefined) return false;
      await writeRecord(file, {
        format: 'device-keystore/store',
        version: 1,
        storeId: id,
        createdAt: new Date().toISOString(),
      });
      return true;
    },
  },
];

function recordTarget(kind: RecordKind): Target {
  return {
    name: kind.name,
    seeds: kind.seeds,
    mutate: (input, rng) => mutateRecord(input, rng, kind.unchecked),
    async check(inputs) {
      const base = path.join(dir(), kind.name);
      const file = path.join(base, kind.file);
      const again = path.join(base, 'again', kind.file);
      for (const d of [file, again]) mkdirSync(path.dirname(d), { recursive: true, mode: 0o700 });
      const labels: string[] = [];
      for (const input of inputs) {
        writeFileSync(file, input, { mode: 0o600 });
        const read = await typedOutcomeAsync(() => kind.read(file));
        if (!read.ok) {
          labels.push(read.label);
          continue;
        }
        const written = await typedOutcomeAsync(() => kind.write(again, read.value as never));
        if (!written.ok)
          throw new FuzzFailure(
            `an accepted record cannot be written back: ${written.label}`,
            input,
          );
        if (written.value) {
          const back = await typedOutcomeAsync(() => kind.read(again));
          if (!back.ok || !isDeepStrictEqual(back.value, read.value)) {
            throw new FuzzFailure(
              `an accepted record does not round-trip (${back.ok ? 'other fields' : back.label})`,
              input,
            );
          }
        }
        labels.push(written.value ? 'accepted, round-trips' : 'accepted (an old format)');
      }
      return labels;
    },
  };
}

export const RECORD_TARGETS: readonly Target[] = KINDS.map(recordTarget);
