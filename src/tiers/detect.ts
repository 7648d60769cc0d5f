import { KeystoreError } from '../core/errors';
import type { BackendContext, TierProvider } from './tier';
import type { TierName } from '../core/tiers';
import { encryptedFileTier } from './file/provider';
import { tpm2Tier } from './tpm2/provider';
import { keychainTier, secureEnclaveTier } from './apple/provider';
import { windowsKspTier, windowsTpmTier } from './windows/provider';

/** Every tier, in detection order. */
export const TIER_PROVIDERS: readonly TierProvider[] = [
  secureEnclaveTier,
  keychainTier,
  tpm2Tier,
  windowsTpmTier,
  windowsKspTier,
  encryptedFileTier,
];

let providersForTesting: readonly TierProvider[] | undefined;

/**
 * The test seam, as Chromium's SetUnexportableKeyProviderForTesting: until the returned function
 * is called, detection and providerFor() see `providers` instead of the real tiers, so a test can
 * put a tier that fails on purpose (or a fake TPM) in front of the store. Not in the package's
 * entry points: only code that imports this module directly can reach it.
 */
export function setTierProvidersForTesting(providers: readonly TierProvider[]): () => void {
  const previous = providersForTesting;
  providersForTesting = providers;
  return () => {
    providersForTesting = previous;
  };
}

function activeProviders(): readonly TierProvider[] {
  return providersForTesting ?? TIER_PROVIDERS;
}

export interface TierReport {
  tier: TierName;
  hardwareBacked: boolean;
  /** 'available', 'unavailable', or 'not tried' when an earlier tier won or one was forced. */
  status: 'available' | 'unavailable' | 'not tried';
  reason?: string;
  chosen: boolean;
}

export interface Detection {
  chosen: TierProvider;
  tiers: TierReport[];
}

export function providerFor(tier: TierName): TierProvider {
  const p = activeProviders().find((t) => t.tier === tier);
  if (!p) throw new KeystoreError('E_INVALID_ARGUMENT', `unknown tier ${tier}`);
  return p;
}

/**
 * Walk the tiers in order and take the first that works, probing for real (a device that
 * answers, a throwaway key), never going by the platform name alone.
 */
export async function detectTier(
  ctx: BackendContext,
  backend: 'auto' | TierName,
  requireHardware: boolean,
): Promise<Detection> {
  const tiers: TierReport[] = [];
  let chosen: TierProvider | undefined;
  for (const p of activeProviders()) {
    const base = { tier: p.tier, hardwareBacked: p.hardwareBacked, chosen: false };
    if (chosen) {
      tiers.push({ ...base, status: 'not tried', reason: `${chosen.tier} was chosen first` });
      continue;
    }
    if (backend !== 'auto' && p.tier !== backend) {
      tiers.push({ ...base, status: 'not tried', reason: `backend forced to ${backend}` });
      continue;
    }
    if (requireHardware && !p.hardwareBacked) {
      tiers.push({
        ...base,
        status: 'not tried',
        reason: 'not hardware-backed (requireHardware is set)',
      });
      continue;
    }
    const probe = await p.probe(ctx);
    if (probe.available) {
      chosen = p;
      tiers.push({
        ...base,
        status: 'available',
        chosen: true,
        ...(probe.detail ? { reason: probe.detail } : {}),
      });
    } else {
      tiers.push({ ...base, status: 'unavailable', reason: probe.reason });
    }
  }
  if (chosen) return { chosen, tiers };
  const why = tiers
    .filter((t) => t.status === 'unavailable')
    .map((t) => `${t.tier}: ${t.reason}`)
    .join('; ');
  if (backend !== 'auto' && requireHardware && !providerFor(backend).hardwareBacked) {
    throw new KeystoreError(
      'E_HARDWARE_REQUIRED',
      `requireHardware is set but ${backend} is a software tier`,
      {
        hint: 'drop requireHardware, or choose a hardware tier',
      },
    );
  }
  if (requireHardware) {
    throw new KeystoreError(
      'E_HARDWARE_REQUIRED',
      `no hardware-backed tier is available (${why})`,
      {
        hint: 'run `device-keystore doctor` to see what each tier needs',
      },
    );
  }
  throw new KeystoreError('E_BACKEND_UNAVAILABLE', `the ${backend} tier is unavailable (${why})`, {
    hint: 'run `device-keystore doctor` to see what each tier needs, or omit the backend option',
  });
}
