import { createHash, diffieHellman, generateKeyPairSync, randomBytes, verify } from 'node:crypto';
import { KeystoreError, corrupt, invalidArgument, isKeystoreError } from '../errors';
import { parsePeerPublicKey, publicKeyObjectFromRaw, rawFromPublicKeyObject } from '../crypto/p256';
import { asBuffer, onlyCopyCorrupt, tierUnavailable, withOpened } from './tier-common';
import { loadNative, type NativeLoad } from '../native';
import { RecordReader, type Json } from '../store/records';
import { secretAad } from '../store/key-records';
import type {
  Backend,
  BackendContext,
  GeneratedKey,
  KeyHandle,
  KeyRecord,
  NewKeyHeader,
  NewKeyOptions,
  ProbeResult,
  PromptedPresence,
  RawSignature,
  SecretHeader,
  SecretRecord,
  TierGuarantees,
  TierProvider,
} from './backend';
import { CRYPTOTOKENKIT_DOMAIN, OSSTATUS_DOMAIN, withMacErrors } from './osstatus';
import { macKeyGuarantees, presenceField, presenceFromData } from '../tiers/apple/user-presence';

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

export const SE_GUARANTEES = {
  tier: 'secure-enclave',
  hardwareBacked: true,
  extractableBy: 'nobody',
} as const satisfies TierGuarantees;

export const KEYCHAIN_GUARANTEES = {
  tier: 'keychain',
  hardwareBacked: false,
  extractableBy: 'os-account-owner',
} as const satisfies TierGuarantees;

/** Secure Enclave keys are usable "when unlocked" (default) or "after first unlock". */
export const ACCESSIBILITY_ENV = 'DEVICE_KEYSTORE_SE_ACCESSIBILITY';
export const ACCESSIBILITIES = ['when-unlocked', 'after-first-unlock'] as const;
export type Accessibility = (typeof ACCESSIBILITIES)[number];

export function accessibilityFrom(value: string | undefined): Accessibility {
  if (value === undefined || value === '') return 'when-unlocked';
  if ((ACCESSIBILITIES as readonly string[]).includes(value)) return value as Accessibility;
  throw invalidArgument(
    `${ACCESSIBILITY_ENV}=${JSON.stringify(value)} is not a known accessibility`,
    `use ${ACCESSIBILITIES.join(' or ')}`,
  );
}

// ---- the addon's macOS exports ------------------------------------------------------------

export type MacKeyKind = 'se-blob' | 'se-keychain' | 'keychain';

export interface NativeKeySpec {
  kind: MacKeyKind;
  /** kSecAttrApplicationTag, for the permanent kinds. */
  tag?: Buffer;
  label?: string;
  afterFirstUnlock?: boolean;
  accessGroup?: string;
  /** Secure Enclave kinds: the SecAccessControl prompt at each use (native/macos/mac_keys.cc). */
  userPresence?: PromptedPresence;
}

/** An opaque handle to a SecKeyRef inside the addon. */
export type NativeKeyRef = object;

export interface NativeMacKey {
  key: NativeKeyRef;
  /** 65-byte X9.63 public key, from SecKeyCopyExternalRepresentation. */
  publicKey: Buffer;
  /** se-blob keys: the SE-wrapped private key ("toid"). */
  blob?: Buffer;
}

export interface NativeProbe {
  ok: boolean;
  error?: KeystoreError;
}

/**
 * kSecKeyAlgorithmECDHKeyExchangeStandard or …Cofactor. For P-256 (cofactor 1) both give the
 * same x-coordinate; which one a Secure Enclave key takes is what its probe checks.
 */
export type MacEcdhAlgorithm = 'standard' | 'cofactor';

/** One worker thread and its calls; see native/macos/mac_binding.cc. */
export interface NativeMacSecurity {
  hostInfo(): Promise<{ entitled: boolean; accessGroups: string[] }>;
  probeKeychain(): Promise<NativeProbe>;
  createKey(spec: NativeKeySpec): Promise<NativeMacKey>;
  rebuildKey(blob: Buffer): Promise<NativeMacKey>;
  findKeys(spec: NativeKeySpec): Promise<NativeMacKey[]>;
  deleteKeys(spec: NativeKeySpec): Promise<number>;
  sign(key: NativeKeyRef, data: Buffer, prehashed: boolean): Promise<Buffer>;
  ecdh(key: NativeKeyRef, peerPoint: Buffer, algorithm?: MacEcdhAlgorithm): Promise<Buffer>;
  encryptTo(publicKey: Buffer, plaintext: Buffer): Promise<Buffer>;
  decrypt(key: NativeKeyRef, ciphertext: Buffer): Promise<Buffer>;
  close(): Promise<void>;
}

interface MacAddonExports {
  macosBuiltIn?: boolean;
  MacSecurity?: new () => NativeMacSecurity;
}

export type MacSupport =
  | { ok: true; open: () => NativeMacSecurity }
  | { ok: false; reason: string };

/** Whether this process can use the macOS tiers at all, and if not, the honest reason. */
export function macosSupport(
  platform: NodeJS.Platform = process.platform,
  load: () => NativeLoad = loadNative,
): MacSupport {
  if (platform !== 'darwin') return { ok: false, reason: `macOS only (this is ${platform})` };
  const native = load();
  if (!native.ok) return { ok: false, reason: `the native addon did not load: ${native.error}` };
  const addon = native.addon as typeof native.addon & MacAddonExports;
  const MacSecurity = addon.MacSecurity;
  if (!addon.macosBuiltIn || !MacSecurity) {
    return { ok: false, reason: 'not built into this addon' };
  }
  return { ok: true, open: () => withMacErrors(new MacSecurity()) };
}

// ---- record formats -----------------------------------------------------------------------

const TAG_PREFIX = 'device-keystore/key/';
const SEAL_TAG_PREFIX = 'device-keystore/seal/';
const KEY_TAG_RE = /^device-keystore\/key\/([a-z0-9][a-z0-9._-]{0,63})\/([0-9a-f]{32})$/;
const SEAL_TAG_RE = /^device-keystore\/seal\/[0-9a-f]{32}$/;
/** An SE-wrapped key is a few hundred bytes; anything far larger is not one. */
const MAX_BLOB_BYTES = 16 * 1024;
export const ECIES_ALG = 'ECIES-P256-X963SHA256-AESGCM';
/** ECIES output: ephemeral point (65) || ciphertext || GCM tag (16). */
const ECIES_OVERHEAD = 65 + 16;
const AAD_HASH_BYTES = 32;

/**
 * A key's application tag: the alias (for people reading Keychain Access) and 128 random bits,
 * so that two stores with the same alias never share a keychain item.
 */
export function makeKeyTag(alias: string): string {
  return `${TAG_PREFIX}${alias}/${randomBytes(16).toString('hex')}`;
}

/** The tag of a store's keychain sealing key: one per store directory. */
export function sealTagFor(storeDir: string): string {
  return SEAL_TAG_PREFIX + createHash('sha256').update(storeDir).digest('hex').slice(0, 32);
}

/** What a macOS key record holds in backendData, validated. */
export type MacKeyData =
  | { kind: 'se-blob'; blob: Buffer; accessibility: Accessibility; userPresence?: PromptedPresence }
  | {
      kind: 'se-keychain';
      tag: string;
      accessibility: Accessibility;
      accessGroup?: string;
      userPresence?: PromptedPresence;
    }
  | { kind: 'keychain'; tag: string };

function accessibilityOf(r: RecordReader, file: string): Accessibility {
  const a = r.string('accessibility');
  if (!(ACCESSIBILITIES as readonly string[]).includes(a))
    throw corrupt(file, 'bad "accessibility"');
  return a as Accessibility;
}

function checkOnly(data: { [key: string]: Json }, allowed: string[], file: string): void {
  for (const k of Object.keys(data)) {
    if (!allowed.includes(k)) throw corrupt(file, `unexpected field "${k}"`);
  }
}

export function keyDataToJson(data: MacKeyData): { [key: string]: Json } {
  switch (data.kind) {
    case 'se-blob':
      return {
        kind: data.kind,
        blob: data.blob.toString('base64url'),
        accessibility: data.accessibility,
        ...presenceField(data.userPresence),
      };
    case 'se-keychain':
      return {
        kind: data.kind,
        tag: data.tag,
        accessibility: data.accessibility,
        ...(data.accessGroup ? { accessGroup: data.accessGroup } : {}),
        ...presenceField(data.userPresence),
      };
    case 'keychain':
      return { kind: data.kind, tag: data.tag };
  }
}

/** Parse and check a key record's backendData against its tier and alias; E_CORRUPT if off. */
export function parseKeyData(record: KeyRecord, file: string): MacKeyData {
  const r = new RecordReader(file, record.backendData);
  const kind = r.string('kind');
  const tagOf = (): string => {
    const tag = r.string('tag');
    const m = KEY_TAG_RE.exec(tag);
    if (!m || m[1] !== record.alias) throw corrupt(file, 'bad "tag"');
    return tag;
  };
  if (record.tier === 'secure-enclave' && kind === 'se-blob') {
    checkOnly(record.backendData, ['kind', 'blob', 'accessibility', 'userPresence'], file);
    const blob = r.bytes('blob');
    if (blob.length === 0 || blob.length > MAX_BLOB_BYTES) throw corrupt(file, 'bad "blob"');
    const presence = presenceFromData(record.backendData, file);
    return {
      kind,
      blob,
      accessibility: accessibilityOf(r, file),
      ...(presence ? { userPresence: presence } : {}),
    };
  }
  if (record.tier === 'secure-enclave' && kind === 'se-keychain') {
    checkOnly(
      record.backendData,
      ['kind', 'tag', 'accessibility', 'accessGroup', 'userPresence'],
      file,
    );
    const group = r.raw('accessGroup');
    if (group !== undefined && (typeof group !== 'string' || group === ''))
      throw corrupt(file, 'bad "accessGroup"');
    const presence = presenceFromData(record.backendData, file);
    return {
      kind,
      tag: tagOf(),
      accessibility: accessibilityOf(r, file),
      ...(group ? { accessGroup: group } : {}),
      ...(presence ? { userPresence: presence } : {}),
    };
  }
  if (record.tier === 'keychain' && kind === 'keychain') {
    checkOnly(record.backendData, ['kind', 'tag'], file);
    return { kind, tag: tagOf() };
  }
  throw corrupt(file, `bad "kind" for the ${record.tier} tier`);
}

/**
 * A public key as Security.framework exports it (X9.63: 0x04 || X || Y), checked to be a
 * P-256 point. E_CORRUPT otherwise: it came from the OS or from our file, not from a caller.
 */
export function publicKeyFromX963(x963: Uint8Array, source: string): Buffer {
  if (!(x963 instanceof Uint8Array) || x963.length !== 65 || x963[0] !== 0x04) {
    throw corrupt(source, 'the public key is not a 65-byte uncompressed P-256 point');
  }
  try {
    return parsePeerPublicKey(Buffer.from(x963));
  } catch {
    throw corrupt(source, 'the public key is not on the P-256 curve');
  }
}

/**
 * The 0.1.0 secret frame. ECIES in Security.framework takes no associated data, so the header
 * was bound by sealing SHA-256(header) in front of the value; unsealing checks it. That binds the
 * name, but it authenticates nothing: ECIES is encryption to a public key. Kept to read 0.1.0
 * secrets in the migration (and to make them in tests); nothing new is sealed this way.
 */
export function frameSecret(header: SecretHeader, value: Uint8Array): Buffer {
  return Buffer.concat([createHash('sha256').update(secretAad(header)).digest(), value]);
}

/** Undefined when the frame does not belong to this header. */
export function unframeSecret(header: SecretHeader, framed: Buffer): Buffer | undefined {
  if (framed.length < AAD_HASH_BYTES) return undefined;
  const expected = createHash('sha256').update(secretAad(header)).digest();
  if (!expected.equals(framed.subarray(0, AAD_HASH_BYTES))) return undefined;
  return Buffer.from(framed.subarray(AAD_HASH_BYTES));
}

export type MacSecretData =
  | {
      kind: 'se-blob';
      blob: Buffer;
      publicKey: Buffer;
      accessibility: Accessibility;
      ciphertext: Buffer;
    }
  | { kind: 'keychain'; tag: string; publicKey: Buffer; ciphertext: Buffer };

export function secretDataToJson(data: MacSecretData): { [key: string]: Json } {
  const common = {
    alg: ECIES_ALG,
    kind: data.kind,
    publicKey: data.publicKey.toString('base64url'),
    ciphertext: data.ciphertext.toString('base64url'),
  };
  return data.kind === 'se-blob'
    ? { ...common, blob: data.blob.toString('base64url'), accessibility: data.accessibility }
    : { ...common, tag: data.tag };
}

export function parseSecretData(record: SecretRecord, file: string): MacSecretData {
  const r = new RecordReader(file, record.backendData);
  r.literal('alg', ECIES_ALG);
  const kind = r.string('kind');
  const publicKey = publicKeyFromX963(r.bytes('publicKey', 65), file);
  const ciphertext = r.bytes('ciphertext');
  if (ciphertext.length < ECIES_OVERHEAD + AAD_HASH_BYTES || ciphertext[0] !== 0x04) {
    throw corrupt(file, 'bad "ciphertext"');
  }
  if (record.tier === 'secure-enclave' && kind === 'se-blob') {
    checkOnly(
      record.backendData,
      ['alg', 'kind', 'publicKey', 'ciphertext', 'blob', 'accessibility'],
      file,
    );
    const blob = r.bytes('blob');
    if (blob.length === 0 || blob.length > MAX_BLOB_BYTES) throw corrupt(file, 'bad "blob"');
    return { kind, blob, publicKey, accessibility: accessibilityOf(r, file), ciphertext };
  }
  if (record.tier === 'keychain' && kind === 'keychain') {
    checkOnly(record.backendData, ['alg', 'kind', 'publicKey', 'ciphertext', 'tag'], file);
    const tag = r.string('tag');
    if (!SEAL_TAG_RE.test(tag)) throw corrupt(file, 'bad "tag"');
    return { kind, tag, publicKey, ciphertext };
  }
  throw corrupt(file, `bad "kind" for the ${record.tier} tier`);
}

function tagBytes(tag: string): Buffer {
  return Buffer.from(tag, 'utf8');
}

/**
 * The key file of a blob-form Secure Enclave key holds the only copy of that key: the generic
 * E_CORRUPT hint ("delete it and create the key again") would tell the user to destroy it.
 */
export const BLOB_CORRUPT_HINT =
  'the key file holds the only copy of this Secure Enclave key: restore the file from a backup if you have one; deleting it destroys the key for good';

function blobCorrupt(file: string, what: string, cause?: unknown): KeystoreError {
  return onlyCopyCorrupt(file, what, BLOB_CORRUPT_HINT, cause);
}

/**
 * A stored SE blob that SecKeyCreateWithData refuses as undecodable (errSecDecode, our own
 * "corrupt" reason) is a damaged file: E_CORRUPT naming it. Anything else (a locked Mac, a
 * missing entitlement or Secure Enclave, a status the table does not know) keeps its own code
 * and raw status: proof of damage is what E_CORRUPT promises, and deleting the file is for good.
 */
function blobError(err: unknown, file: string): unknown {
  if (isKeystoreError(err, 'E_CORRUPT')) {
    return blobCorrupt(
      file,
      `its Secure Enclave blob does not rebuild a key (${err.message})`,
      err,
    );
  }
  return err;
}

/** Map any failure while probing to the one-line reason detection reports. */
function reasonOf(err: unknown): string {
  if (isKeystoreError(err)) return err.hint ? `${err.message}; ${err.hint}` : err.message;
  return (err as Error)?.message ?? String(err);
}

// ---- keys -----------------------------------------------------------------------------------

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
  #host: Promise<{ entitled: boolean; accessGroups: string[] }> | undefined;

  constructor(
    private readonly ctx: BackendContext,
    private readonly native: NativeMacSecurity,
    guarantees: TierGuarantees,
  ) {
    this.tier = guarantees.tier;
    this.hardwareBacked = guarantees.hardwareBacked;
    this.extractableBy = guarantees.extractableBy;
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

  async generateKey({ alias }: NewKeyHeader, opts?: NewKeyOptions): Promise<GeneratedKey> {
    const label = `device-keystore: ${alias}`;
    const presence = opts?.userPresence;
    const prompt = presence ? { userPresence: presence } : {};
    if (presence && !this.secureEnclave) {
      throw invalidArgument(`the ${this.tier} tier does not make keys with userPresence`);
    }
    if (!this.secureEnclave) {
      const tag = makeKeyTag(alias);
      const k = await this.native.createKey({ kind: 'keychain', tag: tagBytes(tag), label });
      return this.#generated({ kind: 'keychain', tag }, k);
    }
    const accessibility = accessibilityFrom(process.env[ACCESSIBILITY_ENV]);
    const afterFirstUnlock = accessibility === 'after-first-unlock';
    if ((await this.host()).entitled) {
      const tag = makeKeyTag(alias);
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
        // From now on in this process, detection and doctor say where keys really go.
        dataProtectionRefused = err.message;
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
   * migration reads these (src/store/sealing.ts seals everything new).
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
    const w = [...this.#notes];
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

// ---- providers ------------------------------------------------------------------------------

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
/** The ECDH algorithm the last passing Secure Enclave probe chose. */
let provenSeEcdh: MacEcdhAlgorithm | undefined;

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
