// What makes a stored certifying key unusable beyond its own record: less protection than its
// key, or the material of one of the store's general keys.
import { KeystoreError } from '../core/errors';
import { type UserPresence } from '../core/tiers';
import type { DeviceKey } from '../device-key';
import { listRecordNames, readKeyRecord, type StoredKeyRecord } from '../store/key-records';
import { keyFile, type StorePaths } from '../store/paths';

/**
 * A certifying key that asks less than its key (none made it so: a file put in by hand, or a
 * stale one): certificates would bypass the key's PIN or prompt, so it is not used.
 */
export function protectionMismatch(
  file: string,
  alias: string,
  presence: UserPresence,
  key: DeviceKey,
): KeystoreError {
  return new KeystoreError(
    'E_CORRUPT',
    `${file} is not a certifying key of "${alias}": the key has userPresence '${presence}', its certifying key '${key.userPresence}'`,
    {
      path: file,
      hint: `delete ${file} and its .tss2.pem (if any): the next certificate() makes a new one, whose device certificate servers must enroll again`,
    },
  );
}

/**
 * A certifying record that names the key of a general record of this store is that record
 * edited to certify. Where the usage is bound to the material, loading refuses it anyway;
 * where only the record states it (Secure Enclave blobs, certifying keys made by 0.2.0 on the
 * macOS and Windows tiers), this is what refuses it: the key would sign certificates and,
 * through its general record, caller data.
 */
export async function refuseGeneralKey(
  paths: StorePaths,
  file: string,
  stored: StoredKeyRecord,
): Promise<void> {
  for (const alias of await listRecordNames(paths.keysDir)) {
    const general = keyFile(paths, alias);
    // A record that does not read does not load either, so it signs nothing.
    const record = await readKeyRecord(general, alias).catch(() => undefined);
    if (record?.publicKey.equals(stored.publicKey)) {
      throw new KeystoreError(
        'E_CORRUPT',
        `${file} is corrupt: it names the key of ${general}, which is a general key`,
        {
          path: file,
          hint: 'the file was changed outside device-keystore; delete it, and the next certificate() or delegate() makes a certifying key',
        },
      );
    }
  }
}
