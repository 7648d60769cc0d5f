import { tierUnavailable, withOpened } from '../common';
import type { TierProvider } from '../tier';
import type { ProbeResult, TierGuarantees } from '../../core/tiers';
import { type MacSupport, macosSupport } from '../../addon/apple';
import { macBackend } from './backend';
import { secureEnclaveFacts } from './facts';
import { reasonOf } from './records';
import { SE_GUARANTEES, KEYCHAIN_GUARANTEES } from './settings';
import { macKeyGuarantees } from './user-presence';

/**
 * The two macOS tiers, over Security.framework through the native addon (native/macos/):
 *
 * - secure-enclave: P-256 keys created inside the Secure Enclave. In a host signed with a
 *   keychain-access-groups entitlement (an Electron app), a permanent key in the data-protection
 *   keychain, found again by its application tag. In plain `node`, a non-permanent key whose
 *   SE-wrapped blob (the undocumented "toid" attribute) is kept in our key file and rebuilt with
 *   SecKeyCreateWithData; every rebuild is checked against the stored public key.
 * - keychain: a permanent software P-256 key in the user's default (login) keychain. The OS
 *   account owner can export it.
 *
 * Every call runs on the addon's worker thread, since a keychain call can wait on a prompt.
 * The addon reports raw statuses; withMacErrors (./osstatus) turns them into KeystoreErrors.
 */

function provider(
  guarantees: TierGuarantees,
  probe: (support: Extract<MacSupport, { ok: true }>) => Promise<ProbeResult>,
): TierProvider {
  return {
    ...guarantees,
    keyGuarantees: (record) => macKeyGuarantees(guarantees, record),
    async probe() {
      const support = macosSupport();
      if (!support.ok) return { available: false, reason: support.reason };
      try {
        return await probe(support);
      } catch (err) {
        return { available: false, reason: reasonOf(err) };
      }
    },
    async open(ctx) {
      const support = macosSupport();
      if (!support.ok) throw tierUnavailable(guarantees.tier, support.reason);
      return macBackend(ctx, support.open(), guarantees);
    },
  };
}

export const secureEnclaveTier: TierProvider = provider(SE_GUARANTEES, async (support) => {
  const facts = await secureEnclaveFacts(support);
  if (!facts.available)
    return { available: false, reason: `no usable Secure Enclave: ${facts.reason}` };
  const storage =
    facts.keyStorage === 'data-protection-keychain'
      ? `entitled host (keychain-access-groups: ${facts.accessGroups.join(', ')}): permanent keys in the data-protection keychain`
      : `${facts.keyStorageNote ? `entitled host, but ${facts.keyStorageNote}` : 'host not entitled (no keychain-access-groups)'}: non-permanent keys, their SE-wrapped blobs kept in the key files`;
  return {
    available: true,
    detail: `Secure Enclave; ${storage}; ECDH with the ${facts.ecdhAlgorithm} algorithm (the probe created, rebuilt, signed with and agreed with a key)`,
  };
});

export const keychainTier: TierProvider = provider(KEYCHAIN_GUARANTEES, async (support) => {
  const probe = await withOpened(support.open, (n) => n.probeKeychain());
  if (!probe.ok)
    return { available: false, reason: `the keychain did not answer: ${reasonOf(probe.error)}` };
  return {
    available: true,
    detail: 'login keychain; software keys the macOS account owner can export',
  };
});
