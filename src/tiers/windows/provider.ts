import { tierUnavailable } from '../common';
import type { Backend, BackendContext, TierProvider } from '../tier';
import type { ProbeResult } from '../../core/tiers';
import { isTbsMissing } from '../../addon/ncrypt-status';
import {
  type NcryptKind,
  type NcryptUsagePolicy,
  type NcryptSupport,
  ncryptSupport,
} from '../../addon/windows';
import { withProvider, POLICY_WORDS, type ProbeOutcome, probeProvider, probeReason } from './facts';
import { reasonOf } from './records';
import { ncryptBackend } from './backend';
import {
  WINDOWS_TPM_GUARANTEES,
  WINDOWS_KSP_GUARANTEES,
  allowedProviders,
  NCRYPT_PROVIDERS_ENV,
  provenThisProcess,
  PCP_NAME,
  KSP_NAME,
} from './settings';
import { pcpKeyGuarantees } from './pcp-pin';

/**
 * The two Windows tiers, over CNG's key storage providers (NCrypt) through the native addon
 * (native/windows/win_ncrypt.cc):
 *
 * - windows-tpm: P-256 keys made inside the TPM by the Microsoft Platform Crypto Provider. A key
 *   is made with no name, so the provider keeps nothing; it is exported as an opaque blob
 *   (BCRYPT_OPAQUE_KEY_BLOB: the key wrapped by the TPM's storage key), which the store keeps in
 *   the key file and which is imported again to load it: the way of Chromium's unexportable keys.
 *   The blob is of use only to this TPM. A tier of its own, not `tpm2` on another OS: its key
 *   files are PCP blobs that no TSS2 tool reads, and the Linux tier's TSS2 PEM files do not load
 *   here.
 * - windows-ksp: persisted software P-256 keys in the Microsoft Software Key Storage Provider,
 *   under a random name the key file holds, with an export policy that allows no export. They
 *   are protected by the Windows account (DPAPI), so the account's owner can extract them: the
 *   counterpart of the macOS keychain tier.
 *
 * One key per alias both signs and agrees: keys are made as NCRYPT_ECDH_P256_ALGORITHM with the
 * usage "signing | key agreement", and each tier's probe makes such a key and has it sign
 * (checked by node:crypto) and agree (equal to node:crypto's ECDH) before the tier is offered.
 * Whether a PCP takes that usage on an ECDH_P256 key is known only on real hardware: when it
 * refuses, the probe tries the PCP's own generic usage policy (NCRYPT_PCP_KEY_USAGE_POLICY_PROPERTY
 * = NCRYPT_PCP_GENERIC_KEY, sign | decrypt on the TPM object, from the PCP white paper in
 * microsoft/TSS.MSR), and reports which held. A provider that refuses both leaves its tier
 * unavailable with the reasons, rather than offering keys that can do only half of what a key
 * does on every other tier.
 *
 * Every NCrypt call runs on the addon's worker thread with NCRYPT_SILENT_FLAG, so no call ever
 * shows UI; only these two providers are ever opened (never the smart-card or Windows Hello
 * ones, which prompt). The addon reports raw statuses; ./ncrypt-status maps them.
 */

/**
 * Why the TPM tier cannot be used when TPM Base Services itself is missing (tbs.dll absent:
 * Server Core, some VMs); undefined otherwise. The addon loads tbs.dll only when asked, so its
 * absence costs this tier and nothing else.
 */
async function tbsMissing(
  support: Extract<NcryptSupport, { ok: true }>,
): Promise<string | undefined> {
  return withProvider(support, 'platform', async (n) => {
    try {
      await n.tpmInfo();
      return undefined;
    } catch (err) {
      return isTbsMissing(err) ? reasonOf(err) : undefined;
    }
  });
}

function provider(
  guarantees: typeof WINDOWS_TPM_GUARANTEES | typeof WINDOWS_KSP_GUARANTEES,
  kind: NcryptKind,
  name: string,
  details: string,
): TierProvider {
  const detailFor = (usage: NcryptUsagePolicy) =>
    usage === 'key-usage' ? details : `${details}; keys made with ${POLICY_WORDS[usage]}`;
  return {
    ...guarantees,
    keyGuarantees: (record) => pcpKeyGuarantees(guarantees, record),
    async probe(_ctx: BackendContext): Promise<ProbeResult> {
      const support = ncryptSupport();
      if (!support.ok) return { available: false, reason: support.reason };
      const allowed = allowedProviders();
      if (!allowed.ok) return { available: false, reason: allowed.reason };
      if (!allowed.kinds.includes(kind)) {
        return {
          available: false,
          reason: `${name}: not used (${NCRYPT_PROVIDERS_ENV}=${process.env[NCRYPT_PROVIDERS_ENV]})`,
        };
      }
      // A passing probe is remembered for the life of the process: on a real TPM it costs a key
      // creation, and a server that opens stores often should pay that once. A failing probe is
      // not remembered (the TPM may become ready), and a provider that breaks later fails the
      // key's own calls with their typed error.
      const proven = provenThisProcess.get(kind);
      if (proven) return { available: true, detail: detailFor(proven) };
      if (kind === 'platform') {
        const tbs = await tbsMissing(support);
        if (tbs) return { available: false, reason: `${name}: ${tbs}` };
      }
      const r: ProbeOutcome = await withProvider(support, kind, (n) =>
        probeProvider(n, kind),
      ).catch((error: unknown) => ({ ok: false as const, step: 'be probed', error, attempts: [] }));
      if (!r.ok) return { available: false, reason: probeReason(name, r, support.wineVersion) };
      provenThisProcess.set(kind, r.usage);
      return { available: true, detail: detailFor(r.usage) };
    },
    async open(ctx: BackendContext): Promise<Backend> {
      const support = ncryptSupport();
      if (!support.ok) throw tierUnavailable(guarantees.tier, support.reason);
      return ncryptBackend(support.open(kind), guarantees, provenThisProcess.get(kind), ctx.warn);
    },
  };
}

export const windowsTpmTier: TierProvider = provider(
  WINDOWS_TPM_GUARANTEES,
  'platform',
  PCP_NAME,
  `${PCP_NAME}: P-256 keys inside the TPM, kept as TPM-wrapped blobs in the key files; one key signs and runs ECDH (the probe checked both)`,
);

export const windowsKspTier: TierProvider = provider(
  WINDOWS_KSP_GUARANTEES,
  'software',
  KSP_NAME,
  `${KSP_NAME}: software keys of this Windows account, which its owner can extract; one key signs and runs ECDH (the probe checked both)`,
);
