import { diffieHellman, generateKeyPairSync, randomBytes, verify } from 'node:crypto';
import { KeystoreError, isKeystoreError } from '../../core/errors';
import { publicKeyObjectFromRaw, rawFromPublicKeyObject } from '../../crypto/p256';
import { tierUnavailable, withOpened } from '../common';
import {
  type MacEcdhAlgorithm,
  type NativeMacSecurity,
  type MacSupport,
  macosSupport,
} from '../../addon/apple';
import { type Accessibility, accessibilityFrom, ACCESSIBILITY_ENV } from './settings';
import { publicKeyFromX963 } from './records';
import { reasonOf } from './records';

/** What `doctor` and detection learn about the Secure Enclave: entitlement, probe, ECDH variant. */

/** What the Secure Enclave's probe found each ECDH algorithm to do: "ok", or why not. */
export type EcdhFindings = Record<MacEcdhAlgorithm, string>;

export interface SecureEnclaveFacts {
  available: boolean;
  /** Why not, with the OSStatus, when unavailable. */
  reason?: string;
  osStatus?: number;
  entitled: boolean;
  accessGroups: string[];
  /** How new keys are kept: in the data-protection keychain, or as blobs in our key files. */
  keyStorage: 'data-protection-keychain' | 'key-file-blob';
  /** Set when the host is entitled but the data-protection keychain refused a key (-34018). */
  keyStorageNote?: string;
  accessibility: Accessibility;
  /** Which ECDH algorithms the probe's key took, and the one the tier uses. */
  ecdh?: EcdhFindings;
  ecdhAlgorithm?: MacEcdhAlgorithm;
}

/** Set when an entitled host's data-protection keychain refused a key in this process. */
let dataProtectionRefused: string | undefined;

/** From then on in this process, detection and doctor say where keys really go. */
export function noteDataProtectionRefused(message: string): void {
  dataProtectionRefused = message;
}
/** The ECDH algorithm the last passing Secure Enclave probe chose. */
export let provenSeEcdh: MacEcdhAlgorithm | undefined;

export type SeProbe =
  | { ok: true; ecdh: EcdhFindings; ecdhAlgorithm: MacEcdhAlgorithm }
  | { ok: false; step: string; error: unknown; ecdh?: EcdhFindings };

/**
 * The Secure Enclave's probe: the round trip a key makes, not just its creation. A throwaway
 * non-permanent SE key is created, rebuilt from its "toid" blob (and checked to be the same key),
 * signs (node:crypto verifies), and agrees with both ECDH algorithms (each compared with
 * node:crypto's). It is never stored anywhere, so there is nothing to delete: dropping the last
 * reference to it destroys it.
 */
export async function probeSecureEnclave(
  native: NativeMacSecurity,
  afterFirstUnlock: boolean,
): Promise<SeProbe> {
  let step = 'create a Secure Enclave key';
  let ecdh: EcdhFindings | undefined;
  try {
    const made = await native.createKey({
      kind: 'se-blob',
      label: 'device-keystore probe',
      afterFirstUnlock,
    });
    if (!made.blob) throw new KeystoreError('E_MACOS', 'the new key has no "toid" blob');
    const pub = publicKeyFromX963(made.publicKey, 'the probe key');
    step = 'rebuild it from its blob';
    const rebuilt = await native.rebuildKey(made.blob);
    made.blob.fill(0);
    if (!publicKeyFromX963(rebuilt.publicKey, 'the rebuilt probe key').equals(pub)) {
      throw new KeystoreError('E_MACOS', 'its blob rebuilt a different key');
    }
    step = 'sign with it';
    const message = randomBytes(32);
    const der = await native.sign(rebuilt.key, message, false);
    if (!verify('sha256', message, publicKeyObjectFromRaw(pub), der)) {
      throw new KeystoreError('E_MACOS', 'its signature does not verify with node:crypto');
    }
    step = 'run ECDH with it';
    const peer = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const expected = diffieHellman({
      privateKey: peer.privateKey,
      publicKey: publicKeyObjectFromRaw(pub),
    });
    const point = rawFromPublicKeyObject(peer.publicKey);
    const found: Partial<EcdhFindings> = {};
    for (const alg of ['cofactor', 'standard'] as const) {
      try {
        const z = await native.ecdh(rebuilt.key, point, alg);
        found[alg] = z.equals(expected) ? 'ok' : "differs from node:crypto's";
      } catch (err) {
        found[alg] = reasonOf(err);
      }
    }
    const findings = found as EcdhFindings;
    ecdh = findings;
    const alg = (['cofactor', 'standard'] as const).find((a) => findings[a] === 'ok');
    if (!alg) {
      throw new KeystoreError(
        'E_MACOS',
        `neither ECDH algorithm works (cofactor: ${findings.cofactor}; standard: ${findings.standard})`,
      );
    }
    return { ok: true, ecdh: findings, ecdhAlgorithm: alg };
  } catch (err) {
    return { ok: false, step, error: err, ...(ecdh ? { ecdh } : {}) };
  }
}

/** What `doctor` can show about the Secure Enclave on this Mac. */
export async function secureEnclaveFacts(
  support: MacSupport = macosSupport(),
): Promise<SecureEnclaveFacts> {
  if (!support.ok) throw tierUnavailable('secure-enclave', support.reason);
  const accessibility = accessibilityFrom(process.env[ACCESSIBILITY_ENV]);
  return withOpened(support.open, async (n) => {
    const host = await n.hostInfo();
    const probe = await probeSecureEnclave(n, accessibility === 'after-first-unlock');
    if (probe.ok) provenSeEcdh = probe.ecdhAlgorithm;
    const error = probe.ok ? undefined : probe.error;
    const refused = host.entitled ? dataProtectionRefused : undefined;
    return {
      available: probe.ok,
      ...(probe.ok ? {} : { reason: `could not ${probe.step}: ${reasonOf(error)}` }),
      ...(isKeystoreError(error) && error.osStatus !== undefined
        ? { osStatus: error.osStatus }
        : {}),
      entitled: host.entitled,
      accessGroups: host.accessGroups,
      keyStorage: host.entitled && !refused ? 'data-protection-keychain' : 'key-file-blob',
      ...(refused
        ? { keyStorageNote: `the data-protection keychain refused it (${refused})` }
        : {}),
      accessibility,
      ...(probe.ecdh ? { ecdh: probe.ecdh } : {}),
      ...(probe.ok ? { ecdhAlgorithm: probe.ecdhAlgorithm } : {}),
    };
  });
}
