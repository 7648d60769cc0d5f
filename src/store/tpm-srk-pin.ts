import { promises as fsp } from 'node:fs';
import { readRecordIfAny, writeRecord } from './records';
import type { StorePaths } from './paths';
import { type TpmSrkPin } from '../core/records';

/**
 * `tpm2-srk.json`: the Name of the TPM storage key (the owner hierarchy's H-2 SRK) this store's
 * TPM keys live under. Every salted session is encrypted to that key, so a TPM (or something
 * between us and the TPM) presenting another one is refused before anything secret is sent
 * (src/tiers/tpm2/connect.ts, native/linux-tpm/tpm_device.cc). Recorded the first time the store
 * uses the TPM: at its first TPM key for a new store; for a store made before pinning existed,
 * on its first use by this version, which is trust on first use (docs/security.md).
 */

const FORMAT = 'device-keystore/tpm2-srk';
const VERSION = 1;
const NAME_RE = /^000b[0-9a-f]{64}$/;

async function readPin(file: string): Promise<Buffer | undefined> {
  const r = await readRecordIfAny(file, 'TPM storage key pin', FORMAT, VERSION);
  if (!r) return undefined;
  r.string('pinnedAt');
  r.string('how');
  return Buffer.from(r.string('srkName', NAME_RE), 'hex');
}

/** Whether the store already holds TPM items, which makes a first pin trust on first use. */
async function hasTpmItems(paths: StorePaths): Promise<boolean> {
  const keys = await fsp.readdir(paths.keysDir).catch(() => [] as string[]);
  if (keys.some((n) => n.endsWith('.tss2.pem'))) return true;
  const sealing = await fsp.readdir(paths.sealingDir).catch(() => [] as string[]);
  return sealing.includes('tpm2.json');
}

export function tpmSrkPin(paths: StorePaths): TpmSrkPin {
  return {
    read: () => readPin(paths.tpmSrkPin),
    async record(name) {
      const how = (await hasTpmItems(paths)) ? 'trust-on-first-use' : 'new-store';
      try {
        await writeRecord(paths.tpmSrkPin, {
          format: FORMAT,
          version: VERSION,
          pinnedAt: new Date().toISOString(),
          how,
          srkName: name.toString('hex'),
        });
      } catch (err) {
        // Two processes pinning at once write the same Name; the one that lost reads it back.
        const now = await readPin(paths.tpmSrkPin).catch(() => undefined);
        if (!now) throw err;
        return now;
      }
      return name;
    },
  };
}
