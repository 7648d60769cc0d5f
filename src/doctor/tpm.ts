import { promises as fsp, constants as fsc } from 'node:fs';
import * as path from 'node:path';
import type { BackendContext } from '../tiers/tier';
import { TCTI_ENV, resolveTcti } from '../tiers/tpm2/connect';
import { tpmFacts, type TpmFacts } from '../tiers/tpm2/facts';
import { isKeystoreError } from '../core/errors';
import { addonSummary, tss2Status, type AddonSummary } from '../addon/load';

/**
 * What `device-keystore doctor` reports about the TPM: everything a user needs to see why the
 * tier is or is not available, read from the system without running any command.
 */
export interface TpmDiagnostics {
  tcti: string | null;
  tctiSource: 'option' | typeof TCTI_ENV | 'default device' | 'none';
  device?: {
    path: string;
    exists: boolean;
    mode?: string;
    owner?: string;
    group?: string;
    readWriteByThisUser?: boolean;
  };
  user: { uid: number; groups: string[] };
  addon: AddonSummary;
  tss2: {
    ok: boolean;
    error?: string;
    libraries: { soname: string; path: string; package?: string; version?: string }[];
  };
  tpm?: TpmFacts;
  tpmError?: { code: string; message: string; tpmRc?: number };
  /** The owner hierarchy has a password and none was given: key creation will fail. */
  ownerAuthNeeded?: boolean;
  /** What the dictionary-attack state means for keys with a PIN (with `tpm`). */
  dictionaryAttackWarning?: string;
}

/** Said by doctor wherever it reports the TPM's dictionary-attack state. */
export const DA_POWER_LOSS_WARNING =
  'keys made with a PIN are not noDA: besides wrong PINs, every unclean power loss (no orderly ' +
  "TPM shutdown) counts as one failed authorization against the TPM's lockout counter; keys " +
  'without a PIN are noDA and never affected';

async function idNames(file: string): Promise<Map<number, string>> {
  const names = new Map<number, string>();
  const text = await fsp.readFile(file, 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    const [name, , id] = line.split(':');
    if (name && id && /^\d+$/.test(id)) names.set(Number(id), name);
  }
  return names;
}

/** Debian/Ubuntu package name and version owning a library, from dpkg's status file. */
async function debianPackages(): Promise<{ name: string; version: string }[]> {
  const text = await fsp.readFile('/var/lib/dpkg/status', 'utf8').catch(() => '');
  const out: { name: string; version: string }[] = [];
  for (const stanza of text.split('\n\n')) {
    const name = /^Package: (\S+)/m.exec(stanza)?.[1];
    const version = /^Version: (\S+)/m.exec(stanza)?.[1];
    const installed = /^Status: .* installed$/m.test(stanza);
    if (name && version && installed && name.startsWith('libtss2-')) out.push({ name, version });
  }
  return out;
}

export async function tpmDiagnostics(ctx: BackendContext): Promise<TpmDiagnostics> {
  const tcti = resolveTcti(ctx.tcti) ?? null;
  const tctiSource = ctx.tcti
    ? 'option'
    : process.env[TCTI_ENV]
      ? TCTI_ENV
      : tcti
        ? 'default device'
        : 'none';
  const [users, groups] = await Promise.all([idNames('/etc/passwd'), idNames('/etc/group')]);
  const uid = typeof process.getuid === 'function' ? process.getuid() : -1;
  const gids = typeof process.getgroups === 'function' ? process.getgroups() : [];
  const diag: TpmDiagnostics = {
    tcti,
    tctiSource,
    user: { uid, groups: gids.map((g) => groups.get(g) ?? String(g)) },
    addon: { loaded: false },
    tss2: { ok: false, libraries: [] },
  };

  const devPath = !tcti
    ? '/dev/tpmrm0'
    : tcti.startsWith('device')
      ? tcti.split(':')[1] || '/dev/tpmrm0'
      : undefined;
  if (devPath) {
    const stat = await fsp.stat(devPath).catch(() => undefined);
    diag.device = { path: devPath, exists: !!stat };
    if (stat) {
      diag.device.mode = '0' + (stat.mode & 0o777).toString(8);
      diag.device.owner = users.get(stat.uid) ?? String(stat.uid);
      diag.device.group = groups.get(stat.gid) ?? String(stat.gid);
      diag.device.readWriteByThisUser = await fsp
        .access(devPath, fsc.R_OK | fsc.W_OK)
        .then(() => true)
        .catch(() => false);
    }
  }

  diag.addon = addonSummary();

  const status = tss2Status();
  const packages = await debianPackages();
  diag.tss2 = {
    ok: status.ok,
    ...(status.error ? { error: status.error } : {}),
    libraries: status.libraries.map((l) => {
      // libtss2-esys.so.0 -> a package named libtss2-esys*; the version is the package's.
      const stem = path.basename(l.soname).replace(/\.so\..*$/, '');
      const pkg = packages.find(
        (p) => p.name === stem || p.name.startsWith(`${stem}-`) || p.name === `${stem}0`,
      );
      return { ...l, ...(pkg ? { package: pkg.name, version: pkg.version } : {}) };
    }),
  };

  if (tcti && status.ok) {
    try {
      diag.tpm = await tpmFacts(ctx);
      diag.dictionaryAttackWarning = DA_POWER_LOSS_WARNING;
      diag.ownerAuthNeeded =
        diag.tpm.ownerAuthSet && !ctx.tpmOwnerAuth && !process.env.DEVICE_KEYSTORE_TPM_OWNER_AUTH;
    } catch (err) {
      diag.tpmError = isKeystoreError(err)
        ? {
            code: err.code,
            message: err.message,
            ...(err.tpmRc !== undefined ? { tpmRc: err.tpmRc } : {}),
          }
        : { code: 'E_TPM', message: String(err) };
    }
  }
  return diag;
}

/** Human-readable lines for the CLI. */
export function formatTpmDiagnostics(d: TpmDiagnostics): string[] {
  const lines = [`  transport: ${d.tcti ?? 'none'} (${d.tctiSource})`];
  if (d.device) {
    lines.push(
      d.device.exists
        ? `  device: ${d.device.path} ${d.device.mode} ${d.device.owner}:${d.device.group}; this user can open it: ${d.device.readWriteByThisUser ? 'yes' : 'no'}`
        : `  device: ${d.device.path} does not exist`,
    );
  }
  lines.push(`  user: uid ${d.user.uid}, groups ${d.user.groups.join(', ') || '(none)'}`);
  if (d.device?.exists && !d.device.readWriteByThisUser && d.device.group) {
    lines.push(
      `  hint: add this user to the ${d.device.group} group (sudo usermod -aG ${d.device.group} $USER), then log in again`,
    );
  }
  lines.push(
    d.addon.loaded
      ? `  addon: ${d.addon.path} (from ${d.addon.origin})`
      : `  addon: not loaded (${d.addon.error})`,
  );
  if (d.tss2.ok) {
    for (const l of d.tss2.libraries) {
      lines.push(
        `  tss2: ${l.soname} at ${l.path}${l.version ? ` (${l.package} ${l.version})` : ''}`,
      );
    }
  } else {
    lines.push(`  tss2: ${d.tss2.error}`);
  }
  if (d.tpm) {
    lines.push(
      `  TPM: manufacturer ${d.tpm.manufacturer || 'unknown'}, firmware ${d.tpm.firmwareVersion}`,
      `  lockout: ${d.tpm.inLockout ? 'IN LOCKOUT' : 'not in lockout'}, counter ${d.tpm.lockoutCounter} of ${d.tpm.maxAuthFail} (TPM2_PT_LOCKOUT_COUNTER, MAX_AUTH_FAIL); one failure forgotten every ${d.tpm.lockoutInterval} s (LOCKOUT_INTERVAL); lockout authorization retry after ${d.tpm.lockoutRecovery} s (LOCKOUT_RECOVERY)`,
      `  warning: ${d.dictionaryAttackWarning ?? DA_POWER_LOSS_WARNING}`,
      `  owner hierarchy password: ${d.tpm.ownerAuthSet ? 'set' : 'not set'}${d.ownerAuthNeeded ? ' (pass tpmOwnerAuth / DEVICE_KEYSTORE_TPM_OWNER_AUTH)' : ''}`,
    );
  } else if (d.tpmError) {
    lines.push(`  TPM: ${d.tpmError.message} [${d.tpmError.code}]`);
  }
  return lines;
}
