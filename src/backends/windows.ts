import { createHash, diffieHellman, generateKeyPairSync, randomBytes, verify } from 'node:crypto';
import * as os from 'node:os';
import { KeystoreError, corrupt, invalidArgument, isKeystoreError } from '../errors';
import { parsePeerPublicKey, publicKeyObjectFromRaw, rawFromPublicKeyObject } from '../crypto/p256';
import { asBuffer, onlyCopyCorrupt, tierUnavailable, withOpened } from './tier-common';
import { loadNative, type NativeLoad } from '../native';
import { RecordReader, type Json } from '../store/records';
import type {
  Backend,
  BackendContext,
  GeneratedKey,
  KeyHandle,
  KeyRecord,
  NewKeyHeader,
  NewKeyOptions,
  ProbeResult,
  RawSignature,
  SecretRecord,
  TierGuarantees,
  TierProvider,
} from './backend';
import { isTbsMissing, withNcryptErrors } from './ncrypt-status';
import {
  PCP_PIN_FIELD,
  PcpPinKeyHandle,
  PinCache,
  explainPinFailure,
  pcpKeyGuarantees,
  recordNeedsPin,
} from '../tiers/windows/pcp-pin';
import {
  NCRYPT_ALLOW_KEY_AGREEMENT_FLAG,
  NCRYPT_ALLOW_SIGNING_FLAG,
  keyFacts,
  publicPointOf,
  type NcryptKeyFacts,
  type NcryptKeyReport,
} from './ncrypt-key-facts';

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

export const WINDOWS_TPM_GUARANTEES = {
  tier: 'windows-tpm',
  hardwareBacked: true,
  extractableBy: 'nobody',
} as const satisfies TierGuarantees;

export const WINDOWS_KSP_GUARANTEES = {
  tier: 'windows-ksp',
  hardwareBacked: false,
  extractableBy: 'os-account-owner',
} as const satisfies TierGuarantees;

/**
 * Which NCrypt providers detection may use: "platform", "software", both comma-separated (the
 * default), or "none". For machines where keys must never go to the software KSP (a roaming
 * profile, a policy), and for test runs that must get the file tier on any Windows.
 */
export const NCRYPT_PROVIDERS_ENV = 'DEVICE_KEYSTORE_NCRYPT_PROVIDERS';

/** The providers allowed by DEVICE_KEYSTORE_NCRYPT_PROVIDERS, or why the value is refused. */
export function allowedProviders(
  value: string | undefined = process.env[NCRYPT_PROVIDERS_ENV],
): { ok: true; kinds: NcryptKind[] } | { ok: false; reason: string } {
  if (value === undefined || value.trim() === '')
    return { ok: true, kinds: ['platform', 'software'] };
  const parts = value.split(',').map((p) => p.trim());
  if (parts.length === 1 && parts[0] === 'none') return { ok: true, kinds: [] };
  if (parts.every((p): p is NcryptKind => p === 'platform' || p === 'software')) {
    return { ok: true, kinds: parts };
  }
  return {
    ok: false,
    reason: `${NCRYPT_PROVIDERS_ENV}=${JSON.stringify(value)} is not "none" or a comma-separated list of platform and software`,
  };
}

export const PCP_NAME = 'Microsoft Platform Crypto Provider';
export const KSP_NAME = 'Microsoft Software Key Storage Provider';

// ---- the addon's NCrypt exports -------------------------------------------------------------

export type NcryptKind = 'platform' | 'software';

/** An opaque handle to an NCRYPT_KEY_HANDLE inside the addon. */
export type NativeNcryptKeyRef = object;

export interface NativeNcryptKey extends NcryptKeyReport {
  key: NativeNcryptKeyRef;
  /** Keys made without a name: the BCRYPT_OPAQUE_KEY_BLOB. */
  blob?: Buffer;
}

/**
 * How a new key is let both sign and agree: NCRYPT_KEY_USAGE_PROPERTY = signing | key agreement,
 * or the PCP's NCRYPT_PCP_KEY_USAGE_POLICY_PROPERTY = NCRYPT_PCP_GENERIC_KEY.
 */
export type NcryptUsagePolicy = 'key-usage' | 'pcp-generic';

export interface TpmDeviceInfo {
  structVersion: number;
  /** 1: TPM 1.2, 2: TPM 2.0 (TPM_VERSION_*). */
  tpmVersion: number;
  /** TPM_IFTYPE_*. */
  interfaceType: number;
  implementationRevision: number;
}

/** One provider, one worker thread; see native/windows/ncrypt_binding.cc. */
export interface NativeNcryptProvider {
  /** `pin` (UTF-8): NCRYPT_PIN_PROPERTY, set before the key is finalized. */
  createKey(name?: string, usage?: NcryptUsagePolicy, pin?: Buffer): Promise<NativeNcryptKey>;
  importKey(blob: Buffer): Promise<NativeNcryptKey>;
  openKey(name: string): Promise<NativeNcryptKey>;
  /** `pin`: set as NCRYPT_PIN_PROPERTY on the handle first (src/tiers/windows/pcp-pin.ts). */
  sign(key: NativeNcryptKeyRef, digest: Buffer, pin?: Buffer): Promise<Buffer>;
  ecdh(key: NativeNcryptKeyRef, peerPoint: Buffer, pin?: Buffer): Promise<Buffer>;
  deleteKey(key: NativeNcryptKeyRef): Promise<void>;
  /** Frees the handle and deletes nothing: for keys without a name, which nobody keeps. */
  releaseKey(key: NativeNcryptKeyRef): Promise<void>;
  tpmInfo(): Promise<TpmDeviceInfo>;
  close(): Promise<void>;
}

interface NcryptAddonExports {
  NcryptProvider?: new (kind: NcryptKind) => NativeNcryptProvider;
  wineVersion?: string;
}

export type NcryptSupport =
  | { ok: true; open: (kind: NcryptKind) => NativeNcryptProvider; wineVersion?: string }
  | { ok: false; reason: string };

/** Whether this process can use the NCrypt tiers at all, and if not, the honest reason. */
export function ncryptSupport(
  platform: NodeJS.Platform = process.platform,
  load: () => NativeLoad = loadNative,
): NcryptSupport {
  if (platform !== 'win32') return { ok: false, reason: `Windows only (this is ${platform})` };
  const native = load();
  if (!native.ok) return { ok: false, reason: `the native addon did not load: ${native.error}` };
  const addon = native.addon as typeof native.addon & NcryptAddonExports;
  const Provider = addon.NcryptProvider;
  if (!Provider) return { ok: false, reason: 'not built into this addon' };
  return {
    ok: true,
    open: (kind) => withNcryptErrors(new Provider(kind)),
    ...(addon.wineVersion ? { wineVersion: addon.wineVersion } : {}),
  };
}

// ---- record formats -------------------------------------------------------------------------

const NAME_PREFIX = 'device-keystore/';
const KEY_NAME_RE = /^device-keystore\/([a-z0-9][a-z0-9._-]{0,63})\/([0-9a-f]{32})$/;
/** A PCP blob is well under 2 KiB; anything far larger is not one. */
const MAX_BLOB_BYTES = 16 * 1024;

/**
 * A Software KSP key's name: the alias (for people reading `certutil -csp KSP -key`) and 128
 * random bits, so that two stores with the same alias never share a key.
 */
export function makeKeyName(alias: string): string {
  return `${NAME_PREFIX}${alias}/${randomBytes(16).toString('hex')}`;
}

export type NcryptKeyData =
  | { kind: 'pcp-blob'; blob: Buffer; pin?: true }
  | { kind: 'ksp-key'; name: string };

export function keyDataToJson(data: NcryptKeyData): { [key: string]: Json } {
  return data.kind === 'pcp-blob'
    ? { kind: data.kind, blob: data.blob.toString('base64url'), ...(data.pin ? PCP_PIN_FIELD : {}) }
    : { kind: data.kind, name: data.name };
}

/** Parse and check a key record's backendData against its tier and alias; E_CORRUPT if off. */
export function parseKeyData(record: KeyRecord, file: string): NcryptKeyData {
  const r = new RecordReader(file, record.backendData);
  const kind = r.string('kind');
  const only = (allowed: string[]) => {
    for (const k of Object.keys(record.backendData)) {
      if (!allowed.includes(k)) throw corrupt(file, `unexpected field "${k}"`);
    }
  };
  if (record.tier === 'windows-tpm' && kind === 'pcp-blob') {
    only(['kind', 'blob', 'userPresence']);
    const blob = r.bytes('blob');
    if (blob.length === 0 || blob.length > MAX_BLOB_BYTES) throw corrupt(file, 'bad "blob"');
    const presence = record.backendData.userPresence;
    if (presence !== undefined && !recordNeedsPin(record.backendData))
      throw corrupt(file, 'bad "userPresence"');
    return { kind, blob, ...(presence ? { pin: true as const } : {}) };
  }
  if (record.tier === 'windows-ksp' && kind === 'ksp-key') {
    only(['kind', 'name']);
    const name = r.string('name');
    const m = KEY_NAME_RE.exec(name);
    if (!m || m[1] !== record.alias) throw corrupt(file, 'bad "name"');
    return { kind, name };
  }
  throw corrupt(file, `bad "kind" for the ${record.tier} tier`);
}

/**
 * The key file of a windows-tpm key holds the only copy of that key (the provider keeps
 * nothing): the generic E_CORRUPT hint ("delete it and create the key again") would destroy it.
 */
export const PCP_BLOB_CORRUPT_HINT =
  'the key file holds the only copy of this TPM key: restore the file from a backup if you have one; deleting it destroys the key for good';

function blobCorrupt(file: string, what: string, cause?: unknown): KeystoreError {
  return onlyCopyCorrupt(file, what, PCP_BLOB_CORRUPT_HINT, cause);
}

/** Any failure while probing as the one-line reason detection reports (with the hint). */
function reasonOf(err: unknown): string {
  return (err as Error)?.message ?? String(err);
}

// ---- keys -----------------------------------------------------------------------------------

class NcryptKeyHandle implements KeyHandle {
  constructor(
    private readonly native: NativeNcryptProvider,
    private readonly key: NativeNcryptKeyRef,
  ) {}

  async signRaw(data: Uint8Array, prehashed: boolean): Promise<RawSignature> {
    // NCryptSignHash takes the digest and returns r || s; DeviceKey.sign makes it low-S and
    // encodes it as asked (finishSignature).
    const digest = prehashed ? asBuffer(data) : createHash('sha256').update(data).digest();
    return { encoding: 'p1363', bytes: await this.native.sign(this.key, digest) };
  }

  async ecdh(peerPoint: Buffer): Promise<Buffer> {
    // The peer point was validated in TypeScript (parsePeerPublicKey) before it got here.
    return this.native.ecdh(this.key, peerPoint);
  }
}

const KEY_ACCESS: Readonly<Record<'windows-tpm' | 'windows-ksp', string>> = {
  'windows-tpm':
    "windows-tpm keys made without createKey's pin have no PIN and no PCR policy: any program running as this Windows user " +
    'that can read the key files can sign and run ECDH with them on this PC; the private keys ' +
    'never leave the TPM',
  'windows-ksp':
    'windows-ksp keys are software keys in the Microsoft Software Key Storage Provider: they are ' +
    'not hardware-backed, and the Windows account owner (or an administrator acting as them) can ' +
    'extract them through DPAPI, although their export policy allows no export',
};

class NcryptBackend implements Backend {
  readonly tier: 'windows-tpm' | 'windows-ksp';
  readonly hardwareBacked: boolean;
  readonly extractableBy: TierGuarantees['extractableBy'];
  readonly maxSecretBytes = 64 * 1024;
  readonly #pins = new PinCache();

  constructor(
    private readonly native: NativeNcryptProvider,
    guarantees: typeof WINDOWS_TPM_GUARANTEES | typeof WINDOWS_KSP_GUARANTEES,
    private readonly usage: NcryptUsagePolicy,
  ) {
    this.tier = guarantees.tier;
    this.hardwareBacked = guarantees.hardwareBacked;
    this.extractableBy = guarantees.extractableBy;
  }

  /** The PCP takes a usage authorization (NCRYPT_PIN_PROPERTY); the Software KSP does not. */
  get pinKeys(): boolean {
    return this.tier === 'windows-tpm';
  }

  async generateKey({ alias }: NewKeyHeader, opts?: NewKeyOptions): Promise<GeneratedKey> {
    let data: NcryptKeyData;
    let k: NativeNcryptKey;
    if (opts?.pin && !this.pinKeys) throw invalidArgument(`the ${this.tier} tier has no PIN keys`);
    if (this.tier === 'windows-tpm') {
      k = await this.native
        .createKey(undefined, this.usage, opts?.pin)
        .catch((err: unknown) => Promise.reject(opts?.pin ? explainPinFailure(err) : err));
      if (!k.blob) {
        await this.native.releaseKey(k.key).catch(() => {});
        throw new KeystoreError('E_WINDOWS', 'the new TPM key has no blob');
      }
      data = { kind: 'pcp-blob', blob: k.blob, ...(opts?.pin ? { pin: true as const } : {}) };
    } else {
      const name = makeKeyName(alias);
      k = await this.native.createKey(name, this.usage);
      data = { kind: 'ksp-key', name };
    }
    return {
      publicKey: parsePeerPublicKey(publicPointOf(k), 'the new key'),
      backendData: keyDataToJson(data),
      handle: await this.#handle(data, k.key),
    };
  }

  /** A PIN key's handle imports its blob afresh for each use; the one in hand is freed. */
  async #handle(data: NcryptKeyData, key: NativeNcryptKeyRef): Promise<KeyHandle> {
    if (data.kind !== 'pcp-blob' || !data.pin) return new NcryptKeyHandle(this.native, key);
    await this.native.releaseKey(key).catch(() => {});
    return new PcpPinKeyHandle(this.native, data.blob, this.#pins);
  }

  async loadKey(record: KeyRecord, file: string): Promise<KeyHandle> {
    const data = parseKeyData(record, file);
    let k: NativeNcryptKey;
    if (data.kind === 'pcp-blob') {
      k = await this.native.importKey(data.blob).catch((err: unknown) => {
        if (isKeystoreError(err, 'E_CORRUPT'))
          throw blobCorrupt(file, `the TPM does not take its key blob (${err.message})`, err);
        throw err;
      });
    } else {
      k = await this.native.openKey(data.name).catch((err: unknown) => {
        if (isKeystoreError(err, 'E_NOT_FOUND')) {
          throw corrupt(
            file,
            `its key ${data.name} is missing from the ${KSP_NAME}; it was deleted outside device-keystore, or belongs to another Windows user`,
          );
        }
        throw err;
      });
    }
    if (!publicPointOf(k).equals(record.publicKey)) {
      const what = 'its key material holds a different key than the record names';
      throw data.kind === 'pcp-blob' ? blobCorrupt(file, what) : corrupt(file, what);
    }
    if (data.kind === 'ksp-key') checkPersistedUsage(k, data.name, file);
    return this.#handle(data, k.key);
  }

  async destroyKey(record: KeyRecord): Promise<void> {
    let data: NcryptKeyData;
    try {
      data = parseKeyData(record, `the ${record.alias} key record`);
    } catch {
      return; // nothing we could name in the provider
    }
    // A PCP key made without a name exists only as the blob in the key file.
    if (data.kind === 'pcp-blob') return;
    try {
      const k = await this.native.openKey(data.name);
      await this.native.deleteKey(k.key);
    } catch (err) {
      if (!isKeystoreError(err, 'E_NOT_FOUND')) throw err;
    }
  }

  async unsealLegacySecret(_record: SecretRecord, file: string): Promise<Buffer> {
    // 0.1.0 had no Windows tiers, so no secret of theirs is in its format.
    throw corrupt(file, `a 0.1.0-format secret cannot belong to the ${this.tier} tier`);
  }

  warnings(): string[] {
    return [KEY_ACCESS[this.tier]];
  }

  async close(): Promise<void> {
    this.#pins.dropAll();
    await this.native.close();
  }
}

/**
 * A Software KSP key opened by name carries the usage it was stored with. Keys whose usage was
 * set without NCRYPT_PERSIST_FLAG (device-keystore before this was fixed) may come back without
 * it in another process: say so by name, rather than fail later at the first sign or ECDH.
 */
function checkPersistedUsage(k: NativeNcryptKey, name: string, file: string): void {
  const wanted = NCRYPT_ALLOW_SIGNING_FLAG | NCRYPT_ALLOW_KEY_AGREEMENT_FLAG;
  if (k.usage === undefined || (k.usage & wanted) === wanted) return;
  throw new KeystoreError(
    'E_WINDOWS',
    `cannot use ${file}: its key ${name} in the ${KSP_NAME} allows usage 0x${k.usage.toString(16)}, not signing and key agreement (0x${wanted.toString(16)})`,
    {
      hint: 'the key was stored without its usage; create a new key under another alias and move to it',
    },
  );
}

/** A Windows tier's backend over an open NcryptProvider (already wrapped by withNcryptErrors). */
export function ncryptBackend(
  native: NativeNcryptProvider,
  guarantees: typeof WINDOWS_TPM_GUARANTEES | typeof WINDOWS_KSP_GUARANTEES,
  usage: NcryptUsagePolicy = 'key-usage',
): Backend {
  return new NcryptBackend(native, guarantees, usage);
}

// ---- probes ---------------------------------------------------------------------------------

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

const POLICY_WORDS: Readonly<Record<NcryptUsagePolicy, string>> = {
  'key-usage': 'the key usage property (signing | key agreement)',
  'pcp-generic': 'the PCP generic usage policy',
};

function probeReason(
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

function withProvider<T>(
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

// ---- providers ------------------------------------------------------------------------------

/** The providers whose probe passed in this process, with the usage policy that held. */
const provenThisProcess = new Map<NcryptKind, NcryptUsagePolicy>();

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
    async open(_ctx: BackendContext): Promise<Backend> {
      const support = ncryptSupport();
      if (!support.ok) throw tierUnavailable(guarantees.tier, support.reason);
      return ncryptBackend(support.open(kind), guarantees, provenThisProcess.get(kind));
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
