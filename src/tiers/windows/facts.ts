import { createHash, diffieHellman, generateKeyPairSync, randomBytes, verify } from 'node:crypto';
import * as os from 'node:os';
import { KeystoreError, isKeystoreError } from '../../core/errors';
import { publicKeyObjectFromRaw, rawFromPublicKeyObject } from '../../crypto/p256';
import { withOpened } from '../common';
import { loadNative } from '../../addon/load';
import { keyFacts, publicPointOf, type NcryptKeyFacts } from './key-facts';
import {
  type NcryptUsagePolicy,
  type NcryptKind,
  type NativeNcryptProvider,
  type NativeNcryptKey,
  type NativeNcryptKeyRef,
  type NcryptSupport,
  ncryptSupport,
} from '../../addon/windows';
import { makeKeyName, reasonOf } from './records';
import { provenThisProcess, PCP_NAME, KSP_NAME } from './settings';

/** Probing the NCrypt providers, and what `doctor` reports about them and the TPM behind the PCP. */

/** What one attempt of a probe did: which usage policy, and the step that failed, if one did. */
export interface ProbeAttempt {
  usage: NcryptUsagePolicy;
  step?: string;
  error?: unknown;
}

export type ProbeOutcome =
  | { ok: true; usage: NcryptUsagePolicy; key: NcryptKeyFacts; attempts: ProbeAttempt[] }
  | { ok: false; step: string; error: unknown; attempts: ProbeAttempt[] };

/** The policies a provider's probe tries, in order: the PCP's own one only on the PCP. */
function policiesFor(kind: NcryptKind): NcryptUsagePolicy[] {
  return kind === 'platform' ? ['key-usage', 'pcp-generic'] : ['key-usage'];
}

/**
 * Makes a throwaway key the way the tier makes its keys, has it sign (node:crypto verifies) and
 * agree (equal to node:crypto's ECDH), and gets rid of it: a named (KSP) key is deleted, a key
 * without a name (PCP) is freed, as Chromium does (a PCP may refuse to delete such a key, and
 * there is nothing to delete). Opening a provider proves nothing: under Wine both open, and then
 * no P-256 key can be made (NTE_NOT_SUPPORTED).
 */
async function probeOnce(
  native: NativeNcryptProvider,
  kind: NcryptKind,
  usage: NcryptUsagePolicy,
): Promise<{ ok: true; key: NcryptKeyFacts } | { ok: false; step: string; error: unknown }> {
  let step = 'make a throwaway P-256 key';
  let made: NativeNcryptKey | undefined;
  const dispose = (key: NativeNcryptKeyRef) =>
    kind === 'software' ? native.deleteKey(key) : native.releaseKey(key);
  try {
    made = await native.createKey(kind === 'software' ? makeKeyName('probe') : undefined, usage);
    const facts = keyFacts(made);
    step = 'read its public key';
    const pub = publicKeyObjectFromRaw(publicPointOf(made));
    step = 'sign with it';
    const message = randomBytes(32);
    const digest = createHash('sha256').update(message).digest();
    const sig = await native.sign(made.key, digest);
    if (!verify('sha256', message, { key: pub, dsaEncoding: 'ieee-p1363' }, sig)) {
      throw new KeystoreError('E_WINDOWS', 'its signature does not verify with node:crypto');
    }
    step = 'run ECDH with it';
    const peer = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const shared = await native.ecdh(made.key, rawFromPublicKeyObject(peer.publicKey));
    const expected = diffieHellman({ privateKey: peer.privateKey, publicKey: pub });
    if (!shared.equals(expected)) {
      throw new KeystoreError('E_WINDOWS', "its ECDH result differs from node:crypto's");
    }
    step = kind === 'software' ? 'delete it' : 'free it';
    const key = made.key;
    made = undefined;
    await dispose(key);
    return { ok: true, key: facts };
  } catch (err) {
    if (made) await dispose(made.key).catch(() => {});
    return { ok: false, step, error: err };
  }
}

/**
 * The probe of a provider: one attempt per usage policy (policiesFor) until one passes. The
 * result says which held, what the provider said of the key (magic, curve, algorithm, usage),
 * and every failed attempt.
 */
export async function probeProvider(
  native: NativeNcryptProvider,
  kind: NcryptKind,
): Promise<ProbeOutcome> {
  const attempts: ProbeAttempt[] = [];
  for (const usage of policiesFor(kind)) {
    const r = await probeOnce(native, kind, usage);
    if (r.ok) {
      attempts.push({ usage });
      return { ok: true, usage, key: r.key, attempts };
    }
    attempts.push({ usage, step: r.step, error: r.error });
  }
  const first = attempts[0]!;
  return { ok: false, step: first.step!, error: first.error, attempts };
}

export const POLICY_WORDS: Readonly<Record<NcryptUsagePolicy, string>> = {
  'key-usage': 'the key usage property (signing | key agreement)',
  'pcp-generic': 'the PCP generic usage policy',
};

export function probeReason(
  provider: string,
  r: { step: string; error: unknown; attempts: ProbeAttempt[] },
  wineVersion?: string,
): string {
  const wine =
    wineVersion && isKeystoreError(r.error) && r.error.osStatus === 0x80090029
      ? ` (this is Wine ${wineVersion}, whose ncrypt.dll makes RSA keys only)`
      : '';
  const others = r.attempts
    .slice(1)
    .map((a) => `; with ${POLICY_WORDS[a.usage]} it could not ${a.step}: ${reasonOf(a.error)}`)
    .join('');
  return `${provider} could not ${r.step}: ${reasonOf(r.error)}${wine}${others}`;
}

export function withProvider<T>(
  support: Extract<NcryptSupport, { ok: true }>,
  kind: NcryptKind,
  fn: (n: NativeNcryptProvider) => Promise<T>,
): Promise<T> {
  return withOpened(() => support.open(kind), fn);
}

const TPM_INTERFACES: Readonly<Record<number, string>> = {
  1: 'TIS (discrete)',
  2: 'TrustZone (firmware)',
  3: 'hardware (firmware or discrete)',
  4: 'emulator',
  5: 'SPB (firmware)',
};

export interface WindowsFacts {
  /** The Windows build (os.release(): major.minor.build) and its name (os.version()). */
  build: string;
  version: string;
  /** Set when running under Wine. */
  wine?: string;
  addon: { loaded: boolean; error?: string };
  /** What TPM Base Services reports, or why it reports nothing. */
  tpm:
    | { present: true; version: '1.2' | '2.0' | string; interface: string; revision: number }
    | { present: false; reason: string; osStatus?: number };
  /**
   * Whether each provider made, used and got rid of a throwaway key; the reason if not. When
   * usable: which usage policy held, and what the provider said of the key (its public blob's
   * magic, its curve, algorithm and usage properties).
   */
  platformCryptoProvider: ProviderFacts;
  softwareKsp: ProviderFacts;
}

export interface ProviderFacts {
  usable: boolean;
  reason?: string;
  usagePolicy?: NcryptUsagePolicy;
  key?: NcryptKeyFacts;
}

/** What `doctor` shows on Windows: the build, the TPM (TBS), and each provider's probe. */
export async function windowsFacts(
  support: NcryptSupport = ncryptSupport(),
): Promise<WindowsFacts> {
  const native = loadNative();
  const base = {
    build: os.release(),
    version: os.version(),
    addon: native.ok ? { loaded: true } : { loaded: false, error: native.error },
  };
  if (!support.ok) {
    const none = { usable: false, reason: support.reason };
    return {
      ...base,
      tpm: { present: false, reason: support.reason },
      platformCryptoProvider: none,
      softwareKsp: none,
    };
  }
  const tpm = await withProvider(support, 'platform', async (n) => {
    try {
      const info = await n.tpmInfo();
      return {
        present: true as const,
        version:
          info.tpmVersion === 2 ? '2.0' : info.tpmVersion === 1 ? '1.2' : `${info.tpmVersion}`,
        interface: TPM_INTERFACES[info.interfaceType] ?? `type ${info.interfaceType}`,
        revision: info.implementationRevision,
      };
    } catch (err) {
      return {
        present: false as const,
        reason: reasonOf(err),
        ...(isKeystoreError(err) && err.osStatus !== undefined ? { osStatus: err.osStatus } : {}),
      };
    }
  });
  const usable = async (kind: NcryptKind, name: string): Promise<ProviderFacts> => {
    const r = await withProvider(support, kind, (n) => probeProvider(n, kind));
    if (!r.ok) return { usable: false, reason: probeReason(name, r, support.wineVersion) };
    provenThisProcess.set(kind, r.usage);
    return { usable: true, usagePolicy: r.usage, key: r.key };
  };
  return {
    ...base,
    ...(support.wineVersion ? { wine: support.wineVersion } : {}),
    tpm,
    platformCryptoProvider: await usable('platform', PCP_NAME),
    softwareKsp: await usable('software', KSP_NAME),
  };
}

/** Human-readable lines for the CLI's `info`/`doctor`. */
export function formatWindowsFacts(f: WindowsFacts): string[] {
  return [
    `  Windows ${f.build} (${f.version})${f.wine ? `, under Wine ${f.wine}` : ''}`,
    f.tpm.present
      ? `  TPM: ${f.tpm.version}, ${f.tpm.interface}, revision ${f.tpm.revision}`
      : `  TPM: none reported by TBS (${f.tpm.reason})`,
    `  ${PCP_NAME}: ${providerLine(f.platformCryptoProvider, 'freed')}`,
    `  ${KSP_NAME}: ${providerLine(f.softwareKsp, 'deleted')}`,
  ];
}

function providerLine(p: ProviderFacts, disposed: string): string {
  if (!p.usable) return `not usable: ${p.reason}`;
  const k = p.key;
  const said = k
    ? `; public blob ${k.magic}, curve ${k.curveName ?? 'not reported'}, algorithm ${k.algorithm ?? 'not reported'}, usage ${k.usage === null ? 'not reported' : `0x${k.usage.toString(16)}`}`
    : '';
  return `ready (made, used and ${disposed} a P-256 key, with ${POLICY_WORDS[p.usagePolicy ?? 'key-usage']}${said})`;
}
