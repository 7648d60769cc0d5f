import { KeystoreError } from '../core/errors';
import { addonSummary } from '../addon/load';
import { argon2Implementation } from '../crypto/argon2';
import { cryptoFeatures } from '../crypto/features';
import { describeSource } from '../store/file-master';
import { findPassphrase } from '../store/passphrase';
import { storePaths } from '../store/paths';
import { secureEnclaveFacts } from '../tiers/apple/facts';
import { formatWindowsFacts, windowsFacts } from '../tiers/windows/facts';
import type { StoreDescription } from '../rooms/describe';
import { formatTpmDiagnostics, type TpmDiagnostics } from './tpm';

/**
 * The one doctor report (`device-keystore info` and `doctor`): the store as describe() sees it,
 * the environment, and each platform's own facts (the TPM's everywhere; the Secure Enclave's on
 * a Mac; NCrypt's on Windows), as JSON for scripts and as text for people.
 */

export type DoctorReport = Awaited<ReturnType<typeof doctorReport>>;

export async function doctorReport(d: StoreDescription, tpm: TpmDiagnostics) {
  const found = await findPassphrase(storePaths(d.dir), undefined).catch(
    (err: KeystoreError) => err,
  );
  const passphrase =
    found instanceof KeystoreError
      ? `error: ${found.message}`
      : found
        ? describeSource(found.source)
        : 'none yet (one is generated at the first encrypted-file key)';
  const environment = {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    argon2: await argon2Implementation(),
    passphraseSource: passphrase,
    addon: addonSummary(),
    cryptoFeatures: await cryptoFeatures(),
  };
  // On a Mac: entitlement, where SE keys are kept, and the probe's OSStatus if it failed.
  const secureEnclave =
    process.platform === 'darwin'
      ? await secureEnclaveFacts().catch((err: Error) => ({ error: err.message }))
      : undefined;
  // On Windows: the build, the TPM as TBS reports it, and whether each NCrypt provider made,
  // used and deleted a throwaway key (the reason, with the raw status, if not).
  const windows = process.platform === 'win32' ? await windowsFacts() : undefined;
  return {
    ...d,
    keys: d.keys.map((k) => k.toJSON()),
    environment,
    tpm,
    ...(secureEnclave ? { secureEnclave } : {}),
    ...(windows ? { windows } : {}),
  };
}

export function formatDoctorReport(r: DoctorReport): string[] {
  const { environment, tpm, secureEnclave, windows } = r;
  const { addon } = environment;
  const tierLines = r.tiers.map(
    (t) =>
      `  ${t.chosen ? '*' : ' '} ${t.tier.padEnd(15)} ${t.status}${t.reason ? `: ${t.reason}` : ''}`,
  );
  return [
    `keystore:        ${r.dir}`,
    `identity:        ${r.identity ? `${r.identity.name} (${r.identity.deviceId})` : 'none (run init)'}`,
    `tier for new keys: ${r.tier} (hardware-backed: ${r.hardwareBacked ? 'yes' : 'no'}, extractable by: ${r.extractableBy})`,
    `keys:            ${r.keys.length}`,
    'tiers (detection order, * = chosen):',
    ...tierLines,
    'environment:',
    `  node ${environment.node} on ${environment.platform}; Argon2id: ${environment.argon2}`,
    `  passphrase source: ${environment.passphraseSource}`,
    addon.loaded
      ? `  native addon: ${addon.path} (from ${addon.origin})`
      : `  native addon: not loaded (${addon.error}); ${addon.hint}`,
    `  node:crypto features: ${environment.cryptoFeatures.map((f) => `${f.feature} ${f.ok ? 'ok' : `${f.fileTier ? 'MISSING' : 'not available'} (${f.error})`}`).join(', ')}`,
    ...(secureEnclave ? ['Secure Enclave:', `  ${JSON.stringify(secureEnclave)}`] : []),
    ...(windows ? ['Windows:', ...formatWindowsFacts(windows)] : []),
    'TPM 2.0:',
    ...formatTpmDiagnostics(tpm),
    ...(r.warnings.length ? ['warnings:', ...r.warnings.map((w) => `  - ${w}`)] : []),
  ];
}
