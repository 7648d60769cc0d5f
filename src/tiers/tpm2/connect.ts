import { constants as fsc, existsSync, promises as fsp } from 'node:fs';
import { KeystoreError } from '../../core/errors';
import {
  ADDON_MISSING_HINT,
  loadNative,
  tss2Status,
  type NativeTpmConnection,
} from '../../addon/load';
import type { BackendContext } from '../tier';

/**
 * Reaching the TPM: which transport, whether this user may open its device node, the owner
 * hierarchy's password, and the store's pinned storage key. node:fs is used here only to look at
 * the device node; the store keeps every file of a key.
 */

/** The owner hierarchy: the parent of every key we create (the H-2 SRK under it). */
export const OWNER_PARENT = 0x40000001;
export const PERSISTENT_SRK = 0x81000001;

export const TCTI_ENV = 'DEVICE_KEYSTORE_TCTI';
export const OWNER_AUTH_ENV = 'DEVICE_KEYSTORE_TPM_OWNER_AUTH';
const DEFAULT_DEVICE = '/dev/tpmrm0';

/** Which transport to use: the option, then DEVICE_KEYSTORE_TCTI, then /dev/tpmrm0 if present. */
export function resolveTcti(option: string | undefined): string | undefined {
  if (option) return option;
  if (process.env[TCTI_ENV]) return process.env[TCTI_ENV];
  return existsSync(DEFAULT_DEVICE) ? `device:${DEFAULT_DEVICE}` : undefined;
}

function devicePath(tcti: string): string | undefined {
  if (!tcti.startsWith('device')) return undefined;
  const conf = tcti.slice(tcti.indexOf(':') + 1);
  return conf || DEFAULT_DEVICE;
}

/** A device node we cannot open is a permission problem with a known fix, not an outage. */
async function checkDeviceAccess(tcti: string): Promise<void> {
  const dev = devicePath(tcti);
  if (!dev) return;
  try {
    await fsp.access(dev, fsc.R_OK | fsc.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') {
      throw new KeystoreError('E_TPM_PERMISSION', `${dev} exists but this user cannot open it`, {
        path: dev,
        errno: code,
        hint: `add the user to the group that owns ${dev} (usually tss: sudo usermod -aG tss $USER), then log in again`,
      });
    }
    throw new KeystoreError('E_TPM_UNAVAILABLE', `${dev} is not usable (${code ?? 'error'})`, {
      path: dev,
      ...(code ? { errno: code } : {}),
      hint: `check that the TPM is enabled, or set ${TCTI_ENV}`,
    });
  }
}

export function ownerAuthFrom(ctx: BackendContext): Buffer | undefined {
  if (ctx.tpmOwnerAuth) return Buffer.from(ctx.tpmOwnerAuth.unsafeBytes());
  const env = process.env[OWNER_AUTH_ENV];
  return env ? Buffer.from(env, 'utf8') : undefined;
}

/**
 * Run `fn` with a copy of the owner auth (the addon copies it again into wiped memory), and zero
 * the copy afterwards, when `fn` throws too.
 */
export function withOwnerAuth<T>(ctx: BackendContext, fn: (auth: Buffer | undefined) => T): T {
  const auth = ownerAuthFrom(ctx);
  try {
    return fn(auth);
  } finally {
    auth?.fill(0);
  }
}

/** Open a connection; every failure is a KeystoreError with the reason. */
export async function connect(
  ctx: BackendContext,
): Promise<{ tcti: string; conn: NativeTpmConnection }> {
  const tcti = resolveTcti(ctx.tcti);
  if (!tcti) {
    throw new KeystoreError('E_TPM_UNAVAILABLE', `no TPM: ${DEFAULT_DEVICE} does not exist`, {
      hint: `enable the TPM in the firmware, or point ${TCTI_ENV} at one (e.g. swtpm:host=127.0.0.1,port=2321)`,
    });
  }
  const status = tss2Status();
  if (!status.ok)
    throw new KeystoreError('E_TPM_UNAVAILABLE', status.error ?? 'tss2 is unavailable', {
      // No addon: say how to get one (no prebuild matched), not which library is missing.
      ...(loadNative().ok ? {} : { hint: ADDON_MISSING_HINT }),
    });
  await checkDeviceAccess(tcti);
  const native = loadNative();
  if (!native.ok || !native.addon.TpmConnection) {
    throw new KeystoreError('E_TPM_UNAVAILABLE', 'the TPM tier is not built into this addon');
  }
  const TpmConnection = native.addon.TpmConnection;
  const conn = withOwnerAuth(ctx, (auth) => new TpmConnection(tcti, auth));
  return { tcti, conn };
}

/**
 * Pin the connection to the store's SRK (tpm2-srk.json): record it the first time (a new store,
 * or trust on first use for one made before pinning), then compare it with the TPM's before the
 * tier is used, and let the addon compare it again before every command that carries a secret.
 */
export async function pinStorageKey(ctx: BackendContext, conn: NativeTpmConnection): Promise<void> {
  if (!ctx.tpmSrkPin) return; // a probe, which sends no secrets
  const actual = await conn.srkName();
  let pinned = await ctx.tpmSrkPin.read();
  if (!pinned) pinned = await ctx.tpmSrkPin.record(actual);
  conn.pinSrk(pinned);
  if (!pinned.equals(actual)) {
    throw new KeystoreError(
      'E_TPM_SRK_MISMATCH',
      `the TPM's storage key (Name ${actual.toString('hex')}) is not the one this store was made with (${pinned.toString('hex')}), so nothing was sent to it`,
      {
        tpmRc: 0,
        hint: 'either the TPM was cleared (then every TPM key of this store is gone for good: delete the store, or its tpm2-srk.json, and start again), or something between this process and the TPM is answering in its place (an interposer on the bus, a wrong tcti): check the tcti and the machine before trusting it',
      },
    );
  }
}
