import { KeystoreError, corrupt, isKeystoreError } from '../../core/errors';
import { asBuffer, checkUsage, RecordOnlyUsageNotes } from '../common';
import type { Backend, BackendContext, GeneratedKey } from '../tier';
import type { KeyHandle, RawSignature } from '../../core/key-handle';
import type { KeyRecord, NewKeyHeader, SecretRecord } from '../../core/records';
import type { TierGuarantees } from '../../core/tiers';
import { CRYPTOTOKENKIT_DOMAIN, OSSTATUS_DOMAIN } from '../../addon/osstatus';
import {
  type NativeMacSecurity,
  type NativeKeyRef,
  type MacEcdhAlgorithm,
  type NativeMacKey,
  type NativeKeySpec,
} from '../../addon/apple';
import { provenSeEcdh } from './facts';
import {
  makeKeyTag,
  tagBytes,
  tagUsage,
  type MacKeyData,
  publicKeyFromX963,
  blobError,
  parseSecretData,
  unframeSecret,
} from './records';
import { accessibilityFrom, ACCESSIBILITY_ENV } from './settings';
import { keyDataToJson, parseKeyData, blobCorrupt } from './records';
import { noteDataProtectionRefused } from './facts';
import { type PromptedPresence } from '../../core/tiers';
import { type NewKeyOptions } from '../tier';
import { invalidArgument } from '../../core/errors';

/** An open macOS tier: makes, loads and destroys keys through the addon's worker thread. */

class MacKeyHandle implements KeyHandle {
  constructor(
    private readonly native: NativeMacSecurity,
    private readonly key: NativeKeyRef,
    private readonly ecdhAlgorithm: MacEcdhAlgorithm,
    /** A key made with createKey's userPresence: macOS prompts at each use. */
    readonly userPresence?: PromptedPresence,
  ) {}

  async signRaw(data: Uint8Array, prehashed: boolean): Promise<RawSignature> {
    // Security.framework returns X9.62 DER; DeviceKey.sign checks it strictly, makes it low-S
    // and re-encodes it as asked (finishSignature).
    return { encoding: 'der', bytes: await this.native.sign(this.key, asBuffer(data), prehashed) };
  }

  async ecdh(peerPoint: Buffer): Promise<Buffer> {
    // The peer point was validated in TypeScript (parsePeerPublicKey) before it got here.
    return this.native.ecdh(this.key, peerPoint, this.ecdhAlgorithm);
  }
}

/**
 * Statuses of a failed 0.1.0 decrypt that may mean the stored secret is damaged: errSecParam,
 * errSecDecode, and CryptoTokenKit's "corrupted data" (which Security maps to errSecDecode).
 * Any other failure (a locked keychain, no access, interaction not allowed, a status nobody
 * named) says nothing about the file: the migration then leaves the secret in place and runs
 * again at the store's next write (sealing.ts, store-id.ts).
 */
const DAMAGE_STATUSES: readonly (readonly [string, number])[] = [
  [OSSTATUS_DOMAIN, -50],
  [OSSTATUS_DOMAIN, -26275],
  [CRYPTOTOKENKIT_DOMAIN, -3],
];

/** Whether a failed decrypt of a stored ciphertext proves damage (see DAMAGE_STATUSES). */
export function decryptProvesDamage(err: unknown): boolean {
  if (!isKeystoreError(err)) return false;
  // macosError keeps the addon's raw error (domain, status, reason) as the cause.
  const raw = err.cause as { domain?: unknown; status?: unknown; reason?: unknown } | undefined;
  if (raw?.reason === 'corrupt') return true;
  return DAMAGE_STATUSES.some(([d, s]) => raw?.domain === d && raw.status === s);
}

class MacBackend implements Backend {
  readonly tier: TierGuarantees['tier'];
  readonly hardwareBacked: boolean;
  readonly extractableBy: TierGuarantees['extractableBy'];
  readonly maxSecretBytes = 64 * 1024;
  readonly #notes: string[] = [];
  readonly #usageNotes: RecordOnlyUsageNotes;
  #host: Promise<{ entitled: boolean; accessGroups: string[] }> | undefined;

  constructor(
    private readonly ctx: BackendContext,
    private readonly native: NativeMacSecurity,
    guarantees: TierGuarantees,
  ) {
    this.tier = guarantees.tier;
    this.hardwareBacked = guarantees.hardwareBacked;
    this.extractableBy = guarantees.extractableBy;
    this.#usageNotes = new RecordOnlyUsageNotes(ctx.warn);
  }

  private get secureEnclave(): boolean {
    return this.tier === 'secure-enclave';
  }

  /** Only the Secure Enclave takes a SecAccessControl prompt (not the file-based keychain). */
  get promptKeys(): boolean {
    return this.secureEnclave;
  }

  /**
   * A key's handle. Keychain keys use the standard ECDH algorithm; Secure Enclave keys the one
   * the probe found the Secure Enclave takes (the cofactor variant, which Apple's own code uses
   * with these keys, until a probe says otherwise).
   */
  #handle(key: NativeKeyRef, presence?: PromptedPresence): MacKeyHandle {
    const alg = this.secureEnclave ? (provenSeEcdh ?? 'cofactor') : 'standard';
    return new MacKeyHandle(this.native, key, alg, presence);
  }

  private host(): Promise<{ entitled: boolean; accessGroups: string[] }> {
    this.#host ??= this.native.hostInfo();
    return this.#host;
  }

  async generateKey({ alias, usage }: NewKeyHeader, opts?: NewKeyOptions): Promise<GeneratedKey> {
    const label = `device-keystore: ${alias}${usage === 'certify' ? ' (certifying)' : ''}`;
    const presence = opts?.userPresence;
    const prompt = presence ? { userPresence: presence } : {};
    if (presence && !this.secureEnclave) {
      throw invalidArgument(`the ${this.tier} tier does not make keys with userPresence`);
    }
    if (!this.secureEnclave) {
      const tag = makeKeyTag(alias, usage);
      const k = await this.native.createKey({ kind: 'keychain', tag: tagBytes(tag), label });
      return this.#generated({ kind: 'keychain', tag }, k);
    }
    const accessibility = accessibilityFrom(process.env[ACCESSIBILITY_ENV]);
    const afterFirstUnlock = accessibility === 'after-first-unlock';
    if ((await this.host()).entitled) {
      const tag = makeKeyTag(alias, usage);
      try {
        const k = await this.native.createKey({
          kind: 'se-keychain',
          tag: tagBytes(tag),
          label,
          afterFirstUnlock,
          ...prompt,
        });
        return this.#generated({ kind: 'se-keychain', tag, accessibility, ...prompt }, k);
      } catch (err) {
        // Entitled on paper but refused (no provisioning profile): the blob form is just as
        // bound to this Mac's Secure Enclave, so use it and say so.
        if (!isKeystoreError(err, 'E_MISSING_ENTITLEMENT')) throw err;
        noteDataProtectionRefused(err.message);
        const note = `the host has a keychain-access-groups entitlement but the data-protection keychain refused it (${err.message}); Secure Enclave keys are kept as SE-wrapped blobs in the key files instead`;
        if (!this.#notes.includes(note)) {
          this.#notes.push(note);
          this.ctx.warn(note);
        }
      }
    }
    const k = await this.native.createKey({ kind: 'se-blob', label, afterFirstUnlock, ...prompt });
    if (!k.blob) throw new KeystoreError('E_MACOS', 'the new Secure Enclave key has no blob');
    return this.#generated({ kind: 'se-blob', blob: k.blob, accessibility, ...prompt }, k);
  }

  #generated(data: MacKeyData, k: NativeMacKey): GeneratedKey {
    return {
      publicKey: publicKeyFromX963(k.publicKey, 'the new key'),
      backendData: keyDataToJson(data),
      handle: this.#handle(k.key, data.kind === 'keychain' ? undefined : data.userPresence),
    };
  }

  async loadKey(record: KeyRecord, file: string): Promise<KeyHandle> {
    const data = parseKeyData(record, file);
    if (data.kind === 'se-blob') {
      const k = await this.native.rebuildKey(data.blob).catch((err: unknown) => {
        throw blobError(err, file);
      });
      // A *missing* "toid" makes macOS mint a fresh key instead of failing (SecCTKKey.m; a
      // damaged one fails): only this comparison catches that.
      if (!publicKeyFromX963(k.publicKey, file).equals(record.publicKey)) {
        throw blobCorrupt(
          file,
          'its Secure Enclave blob rebuilt a different key (the blob is damaged, or it was made on another Mac)',
        );
      }
      // The blob is the key's only identity and holds nothing of ours: a certifying se-blob
      // key's usage is in its record alone (docs/delegation.md, "Key usage").
      return this.#handle(k.key, data.userPresence);
    }
    const keys = await this.native.findKeys(this.#spec(data)).catch((err: unknown) => {
      if (isKeystoreError(err, 'E_NOT_FOUND')) {
        throw corrupt(
          file,
          `its keychain item (tag ${data.tag}) is missing; it was deleted outside device-keystore, or is in another keychain`,
        );
      }
      throw err;
    });
    const match = keys.find((k) => k.publicKey.equals(record.publicKey));
    if (!match) throw corrupt(file, `the keychain item with tag ${data.tag} holds a different key`);
    // The usage is read from the item's own tag, as the keychain reports it.
    const itemTag = match.tag?.toString('utf8');
    if (itemTag !== data.tag) {
      throw new KeystoreError(
        'E_MACOS',
        `the keychain item found for ${file} reports ${itemTag === undefined ? 'no tag' : `the tag ${itemTag}`}, not ${data.tag}`,
      );
    }
    const where = `its keychain item (tag ${itemTag})`;
    this.#usageNotes.note(file, checkUsage(record, tagUsage(itemTag), file, where), where);
    return this.#handle(match.key, data.kind === 'se-keychain' ? data.userPresence : undefined);
  }

  #spec(data: Exclude<MacKeyData, { kind: 'se-blob' }>): NativeKeySpec {
    return {
      kind: data.kind,
      tag: tagBytes(data.tag),
      ...(data.kind === 'se-keychain' && data.accessGroup ? { accessGroup: data.accessGroup } : {}),
    };
  }

  async destroyKey(record: KeyRecord): Promise<void> {
    let data: MacKeyData;
    try {
      data = parseKeyData(record, `the ${record.alias} key record`);
    } catch {
      return; // nothing we could name in the keychain
    }
    // A non-permanent SE key exists only as the blob in the key file, which the store removes.
    if (data.kind === 'se-blob') return;
    await this.native.deleteKeys(this.#spec(data));
  }

  /**
   * A 0.1.0 secret: ECIES to a per-secret Secure Enclave key or the store's keychain sealing key,
   * with the header's hash framed in front of the value. ECIES needs only the public key, which
   * the record holds, so anyone who could write the store could make one: only the 0.1.0
   * migration reads these (src/rooms/sealing.ts seals everything new).
   */
  async unsealLegacySecret(record: SecretRecord, file: string): Promise<Buffer> {
    const data = parseSecretData(record, file);
    let key: NativeKeyRef;
    if (data.kind === 'se-blob') {
      const k = await this.native.rebuildKey(data.blob).catch((err: unknown) => {
        throw blobError(err, file);
      });
      if (!k.publicKey.equals(data.publicKey)) {
        throw corrupt(file, 'its Secure Enclave blob rebuilt a different key');
      }
      key = k.key;
    } else {
      const keys = await this.native
        .findKeys({ kind: 'keychain', tag: tagBytes(data.tag) })
        .catch((err: unknown) => {
          if (isKeystoreError(err, 'E_NOT_FOUND'))
            throw corrupt(file, `its keychain sealing key (tag ${data.tag}) is missing`);
          throw err;
        });
      const match = keys.find((k) => k.publicKey.equals(data.publicKey));
      if (!match)
        throw corrupt(file, `the keychain item with tag ${data.tag} holds a different key`);
      key = match.key;
    }
    let framed: Buffer;
    try {
      framed = await this.native.decrypt(key, data.ciphertext);
    } catch (err) {
      // Only a status that means damage makes the secret E_CORRUPT, which the migration skips
      // for good; anything else passes through, and the secret stays for the next try.
      if (decryptProvesDamage(err)) {
        throw corrupt(file, `it does not decrypt (${(err as Error).message})`);
      }
      throw err;
    }
    try {
      const value = unframeSecret(record, framed);
      if (!value) throw corrupt(file, 'it was sealed for another secret');
      return value;
    } finally {
      framed.fill(0);
    }
  }

  warnings(): string[] {
    const w = [...this.#notes, ...this.#usageNotes.notes];
    if (!this.secureEnclave) {
      w.push(
        'keychain keys are software keys in the login keychain: they are not hardware-backed, and the macOS account owner can export them',
      );
    }
    return w;
  }

  async close(): Promise<void> {
    await this.native.close();
  }
}

/**
 * A macOS tier's backend over an open MacSecurity (already wrapped by withMacErrors). The
 * providers below use it; the unit tests hand it a scripted MacSecurity.
 */
export function macBackend(
  ctx: BackendContext,
  native: NativeMacSecurity,
  guarantees: TierGuarantees,
): Backend {
  return new MacBackend(ctx, native, guarantees);
}
