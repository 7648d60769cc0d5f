import { KeystoreError } from '../../core/errors';
import { argon2Implementation } from '../../crypto/argon2';
import { findPassphrase } from '../../store/passphrase';
import { storePaths } from '../../store/paths';
import { describeSource } from '../../store/file-master';
import { formatTpmDiagnostics } from '../../doctor/tpm';
import { addonSummary } from '../../addon/load';
import { cryptoFeatures } from '../../crypto/features';
import { secureEnclaveFacts } from '../../tiers/apple/facts';
import { formatWindowsFacts, windowsFacts } from '../../tiers/windows/facts';
import { type Command, withStore, lines } from '../command';

export const info: Command = {
  options: {},
  positionals: 0,
  run: (ctx) =>
    withStore(ctx, async (ks) => {
      const d = await ks.describe();
      const paths = storePaths(ks.dir);
      const found = await findPassphrase(paths, undefined).catch((err: KeystoreError) => err);
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
      const { addon } = environment;
      const tpm = await ks.tpmDiagnostics();
      // On a Mac: entitlement, where SE keys are kept, and the probe's OSStatus if it failed.
      const secureEnclave =
        process.platform === 'darwin'
          ? await secureEnclaveFacts().catch((err: Error) => ({ error: err.message }))
          : undefined;
      // On Windows: the build, the TPM as TBS reports it, and whether each NCrypt provider made,
      // used and deleted a throwaway key (the reason, with the raw status, if not).
      const windows = process.platform === 'win32' ? await windowsFacts() : undefined;
      const tierLines = d.tiers.map(
        (t) =>
          `  ${t.chosen ? '*' : ' '} ${t.tier.padEnd(15)} ${t.status}${t.reason ? `: ${t.reason}` : ''}`,
      );
      return {
        ok: true,
        json: {
          ...d,
          keys: d.keys.map((k) => k.toJSON()),
          environment,
          tpm,
          ...(secureEnclave ? { secureEnclave } : {}),
          ...(windows ? { windows } : {}),
        },
        text: lines(
          `keystore:        ${d.dir}`,
          `identity:        ${d.identity ? `${d.identity.name} (${d.identity.deviceId})` : 'none (run init)'}`,
          `tier for new keys: ${d.tier} (hardware-backed: ${d.hardwareBacked ? 'yes' : 'no'}, extractable by: ${d.extractableBy})`,
          `keys:            ${d.keys.length}`,
          'tiers (detection order, * = chosen):',
          ...tierLines,
          'environment:',
          `  node ${environment.node} on ${environment.platform}; Argon2id: ${environment.argon2}`,
          `  passphrase source: ${passphrase}`,
          addon.loaded
            ? `  native addon: ${addon.path} (from ${addon.origin})`
            : `  native addon: not loaded (${addon.error}); ${addon.hint}`,
          `  node:crypto features: ${environment.cryptoFeatures.map((f) => `${f.feature} ${f.ok ? 'ok' : `${f.fileTier ? 'MISSING' : 'not available'} (${f.error})`}`).join(', ')}`,
          ...(secureEnclave ? ['Secure Enclave:', `  ${JSON.stringify(secureEnclave)}`] : []),
          ...(windows ? ['Windows:', ...formatWindowsFacts(windows)] : []),
          'TPM 2.0:',
          ...formatTpmDiagnostics(tpm),
          ...(d.warnings.length ? ['warnings:', ...d.warnings.map((w) => `  - ${w}`)] : []),
        ),
      };
    }),
};
