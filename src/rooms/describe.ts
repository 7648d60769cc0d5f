import * as path from 'node:path';
import { extractabilityOf, type TierName } from '../core/tiers';
import { providerFor } from '../tiers/detect';
import type { KeyInfo } from '../key-info';
import type { Identity } from '../store/identity-file';
import type { StoreContext } from './context';
import { listRecordNames } from '../store/key-records';
import { describeAttestation } from './describe-attestation';
import { findPassphrase } from '../store/passphrase';
import { sharedDirWarning } from '../store/permissions';
import { ephemeralStorageWarning, storageFacts } from '../store/persistence';
import { type ExtractableBy } from '../core/tiers';
import { type TierReport } from '../tiers/detect';
import { type AttestationDescription } from './describe-attestation';

/** What protects the keys, honestly: tier, hardware or not, extractable by whom, and why. */
export async function describeStore(
  ctx: StoreContext,
  identity: Identity | undefined,
  keys: KeyInfo[],
): Promise<StoreDescription> {
  const p = providerFor(ctx.tier);
  const warnings: string[] = [];
  const tiersInUse = new Set<TierName>([ctx.tier, ...keys.map((k) => k.tier)]);
  if (!p.hardwareBacked) {
    const hw = ctx.tiers.filter((t) => t.hardwareBacked && t.status === 'unavailable');
    warnings.push(
      `new keys go to the ${ctx.tier} tier, which is not hardware-backed` +
        (hw.length ? ` (${hw.map((t) => `${t.tier}: ${t.reason}`).join('; ')})` : ''),
    );
  }
  // Each tier in use states its own limits (e.g. software keys extractable with the passphrase).
  for (const tier of tiersInUse) {
    const backend = await ctx.backendIfUsable(tier);
    if (backend) warnings.push(...backend.warnings());
  }
  warnings.push(...keysBelowTheirTier(keys));
  if (tiersInUse.has('encrypted-file')) warnings.push(...(await passphraseWarnings(ctx)));
  warnings.push(...(await legacySecretWarnings(ctx)));
  const dir = ctx.paths.dir;
  const shared = await sharedDirWarning(dir).catch(() => undefined);
  if (shared) warnings.push(shared);
  const ephemeral = ephemeralStorageWarning(await storageFacts(dir));
  if (ephemeral) warnings.push(ephemeral);
  return {
    dir,
    tier: ctx.tier,
    hardwareBacked: p.hardwareBacked,
    ...extractabilityOf(p),
    warnings,
    tiers: ctx.tiers.map((t) => ({ ...t })),
    initialized: identity !== undefined,
    ...(identity ? { identity } : {}),
    keys,
    keyUsage: KEY_USAGE_STATEMENT,
    attestation: describeAttestation(keys),
  };
}

/** docs/delegation.md, "Key usage", in one paragraph. */
export const KEY_USAGE_STATEMENT =
  'Device and session certificates are signed by a certifying key kept for each key ' +
  '(certifying/<alias>.json), never by the key that signs what callers give it: its sign() and ' +
  'ecdh() refuse (E_KEY_USAGE), so no app and no CLI `sign` can be used as a signing oracle to ' +
  'mint certificates. Its usage is bound to the key, so that editing files cannot make it a ' +
  "general key: the AAD on encrypted-file; the key's public area on tpm2; on keychain and " +
  "secure-enclave keys kept in the keychain, the item's application tag, read back from the " +
  'keychain; on windows-tpm, the TPM key made sign-only (its usage properties, as the Platform ' +
  "Crypto Provider reports them); on windows-ksp, the key's name and sign-only usage. Not bound: " +
  'Secure Enclave keys kept as blobs in the key files (plain node, no entitlement), Windows ' +
  'keys whose provider does not report them sign-only, and certifying keys made by 0.2.0 on ' +
  'the macOS and Windows tiers (loading these warns); there only the record states the usage. ' +
  'A general key copied to certifying/ is refused on every tier. The macOS and Windows code is ' +
  'compile- and link-checked, not run. It does not stop code running as this user from ' +
  'driving the TPM (or reading the key file and passphrase) with the key material directly.';

/** Keys whose own material gives less than their tier claims: tpm2 keys an earlier release imported. */
function keysBelowTheirTier(keys: KeyInfo[]): string[] {
  return keys
    .filter((k) => k.hardwareBacked !== providerFor(k.tier).hardwareBacked)
    .map(
      (k) =>
        `key "${k.alias}" is in the ${k.tier} tier but was not made in and bound to its hardware ` +
        '(an earlier release imported it without checking), so it is not hardware-backed and copies ' +
        `of its private key may exist elsewhere; getKey refuses it. Delete it (deleteKey('${k.alias}'), ` +
        `or: device-keystore delete ${k.alias}) and create the key in the ${k.tier} tier (createKey), ` +
        'or import one made there',
    );
}

async function passphraseWarnings(ctx: StoreContext): Promise<string[]> {
  const { paths, passphrase } = ctx.settings;
  const found = await findPassphrase(paths, passphrase).catch(() => undefined);
  if (found?.source === 'file' && path.dirname(paths.passphraseFile) === paths.dir) {
    return [
      'the passphrase file is stored beside the encrypted keys, so anyone who can read this directory ' +
        'can use them; set DEVICE_KEYSTORE_PASSPHRASE or keep the file elsewhere (DEVICE_KEYSTORE_PASSPHRASE_FILE) ' +
        'for protection at rest',
    ];
  }
  return [];
}

/** Secrets of a store that has no id yet are in the 0.1.0 format, which did not authenticate them. */
async function legacySecretWarnings(ctx: StoreContext): Promise<string[]> {
  if ((await ctx.storeId()) !== undefined) return [];
  const names = await listRecordNames(ctx.paths.secretsDir);
  if (names.length === 0) return [];
  return [
    `${names.length} sealed secret(s) are in the 0.1.0 format, which on the tpm2 and macOS tiers anyone ` +
      'able to write the store could have made; the next write to the store re-seals them under its sealing keys',
  ];
}

export interface StoreDescription {
  dir: string;
  /** The tier new keys are created in. */
  tier: TierName;
  hardwareBacked: boolean;
  /** True when anyone (the OS account owner, a passphrase holder) can get the keys out. */
  extractable: boolean;
  extractableBy: ExtractableBy;
  warnings: string[];
  /** Every tier, in detection order, with what happened when it was tried. */
  tiers: TierReport[];
  initialized: boolean;
  identity?: Identity;
  keys: KeyInfo[];
  /** What certifying keys (DeviceKey.certifyingKey) stop and what they do not, in one paragraph. */
  keyUsage: string;
  /** Per key, whether key.attest() gives a TPM attestation ('tpm2-certify') or not ('none'). */
  attestation: AttestationDescription;
}
