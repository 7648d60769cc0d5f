import { createHash, diffieHellman, generateKeyPairSync, randomBytes, verify } from 'node:crypto';
import * as os from 'node:os';
import { KeystoreError, corrupt, isKeystoreError } from '../errors';
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
  ProbeResult,
  RawSignature,
  SecretRecord,
  TierGuarantees,
  TierProvider,
} from './backend';
import { withNcryptErrors } from './ncrypt-status';

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
 * A provider that refuses either leaves its tier unavailable with the reason, rather than
 * offering keys that can do only half of what a key does on every other tier.
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

export interface NativeNcryptKey {
  key: NativeNcryptKeyRef;
  /** 65-byte uncompressed point, from BCRYPT_ECCPUBLIC_BLOB. */
  publicKey: Buffer;
  /** Keys made without a name: the BCRYPT_OPAQUE_KEY_BLOB. */
  blob?: Buffer;
}

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
  createKey(name?: string): Promise<NativeNcryptKey>;
  importKey(blob: Buffer): Promise<NativeNcryptKey>;
  openKey(name: string): Promise<NativeNcryptKey>;
  sign(key: NativeNcryptKeyRef, digest: Buffer): Promise<Buffer>;
  ecdh(key: NativeNcryptKeyRef, peerPoint: Buffer): Promise<Buffer>;
  deleteKey(key: NativeNcryptKeyRef): Promise<void>;
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

export type NcryptKeyData = { kind: 'pcp-blob'; blob: Buffer } | { kind: 'ksp-key'; name: string };

export function keyDataToJson(data: NcryptKeyData): { [key: string]: Json } {
  return data.kind === 'pcp-blob'
    ? { kind: data.kind, blob: data.blob.toString('base64url') }
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
    only(['kind', 'blob']);
    const blob = r.bytes('blob');
    if (blob.length === 0 || blob.length > MAX_BLOB_BYTES) throw corrupt(file, 'bad "blob"');
    return { kind, blob };
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
    'windows-tpm keys have no PIN and no PCR policy: any program running as this Windows user ' +
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

  constructor(
    private readonly native: NativeNcryptProvider,
    guarantees: typeof WINDOWS_TPM_GUARANTEES | typeof WINDOWS_KSP_GUARANTEES,
  ) {
    this.tier = guarantees.tier;
    this.hardwareBacked = guarantees.hardwareBacked;
    this.extractableBy = guarantees.extractableBy;
  }

  async generateKey({ alias }: NewKeyHeader): Promise<GeneratedKey> {
    let data: NcryptKeyData;
    let k: NativeNcryptKey;
    if (this.tier === 'windows-tpm') {
      k = await this.native.createKey();
      if (!k.blob) throw new KeystoreError('E_WINDOWS', 'the new TPM key has no blob');
      data = { kind: 'pcp-blob', blob: k.blob };
    } else {
      const name = makeKeyName(alias);
      k = await this.native.createKey(name);
      data = { kind: 'ksp-key', name };
    }
    return {
      publicKey: parsePeerPublicKey(k.publicKey, 'the new key'),
      backendData: keyDataToJson(data),
      handle: new NcryptKeyHandle(this.native, k.key),
    };
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
    if (!k.publicKey.equals(record.publicKey)) {
      const what = 'its key material holds a different key than the record names';
      throw data.kind === 'pcp-blob' ? blobCorrupt(file, what) : corrupt(file, what);
    }
    return new NcryptKeyHandle(this.native, k.key);
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
    await this.native.close();
  }
}

/** A Windows tier's backend over an open NcryptProvider (already wrapped by withNcryptErrors). */
export function ncryptBackend(
  native: NativeNcryptProvider,
  guarantees: typeof WINDOWS_TPM_GUARANTEES | typeof WINDOWS_KSP_GUARANTEES,
): Backend {
  return new NcryptBackend(native, guarantees);
}

// ---- probes ---------------------------------------------------------------------------------

/**
 * Makes a throwaway key the way the tier makes its keys, has it sign (node:crypto verifies) and
 * agree (equal to node:crypto's ECDH), and deletes it. Opening a provider proves nothing: under
 * Wine both open, and then no P-256 key can be made (NTE_NOT_SUPPORTED).
 */
export async function probeProvider(
  native: NativeNcryptProvider,
  kind: NcryptKind,
): Promise<{ ok: true } | { ok: false; step: string; error: unknown }> {
  let step = 'make a throwaway P-256 key';
  let made: NativeNcryptKey | undefined;
  try {
    made = await native.createKey(kind === 'software' ? makeKeyName('probe') : undefined);
    step = 'sign with it';
    const message = randomBytes(32);
    const digest = createHash('sha256').update(message).digest();
    const sig = await native.sign(made.key, digest);
    const pub = publicKeyObjectFromRaw(made.publicKey);
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
    step = 'delete it';
    const key = made.key;
    made = undefined;
    await native.deleteKey(key);
    return { ok: true };
  } catch (err) {
    if (made) await native.deleteKey(made.key).catch(() => {});
    return { ok: false, step, error: err };
  }
}

function probeReason(
  provider: string,
  r: { step: string; error: unknown },
  wineVersion?: string,
): string {
  const wine =
    wineVersion && isKeystoreError(r.error) && r.error.osStatus === 0x80090029
      ? ` (this is Wine ${wineVersion}, whose ncrypt.dll makes RSA keys only)`
      : '';
  return `${provider} could not ${r.step}: ${reasonOf(r.error)}${wine}`;
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
  /** Whether each provider made, used and deleted a throwaway key; the reason if not. */
  platformCryptoProvider: { usable: boolean; reason?: string };
  softwareKsp: { usable: boolean; reason?: string };
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
  const usable = async (kind: NcryptKind, name: string) => {
    const r = await withProvider(support, kind, (n) => probeProvider(n, kind));
    return r.ok
      ? { usable: true }
      : { usable: false, reason: probeReason(name, r, support.wineVersion) };
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
    `  ${PCP_NAME}: ${f.platformCryptoProvider.usable ? 'ready (made, used and deleted a P-256 key)' : `not usable: ${f.platformCryptoProvider.reason}`}`,
    `  ${KSP_NAME}: ${f.softwareKsp.usable ? 'ready (made, used and deleted a P-256 key)' : `not usable: ${f.softwareKsp.reason}`}`,
  ];
}

// ---- providers ------------------------------------------------------------------------------

/** The providers whose probe passed in this process. */
const provenThisProcess = new Set<NcryptKind>();

function provider(
  guarantees: typeof WINDOWS_TPM_GUARANTEES | typeof WINDOWS_KSP_GUARANTEES,
  kind: NcryptKind,
  name: string,
  detail: string,
): TierProvider {
  return {
    ...guarantees,
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
      if (provenThisProcess.has(kind)) return { available: true, detail };
      const r = await withProvider(support, kind, (n) => probeProvider(n, kind)).catch(
        (error: unknown) => ({ ok: false as const, step: 'be probed', error }),
      );
      if (!r.ok) return { available: false, reason: probeReason(name, r, support.wineVersion) };
      provenThisProcess.add(kind);
      return { available: true, detail };
    },
    async open(_ctx: BackendContext): Promise<Backend> {
      const support = ncryptSupport();
      if (!support.ok) throw tierUnavailable(guarantees.tier, support.reason);
      return ncryptBackend(support.open(kind), guarantees);
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
