import { createHash } from 'node:crypto';
import { KeystoreError, corrupt, isKeystoreError } from '../../core/errors';
import { parsePeerPublicKey } from '../../crypto/p256';
import { asBuffer, checkUsage, RecordOnlyUsageNotes } from '../common';
import type { Backend, GeneratedKey } from '../tier';
import type { KeyHandle, RawSignature } from '../../core/key-handle';
import type { KeyRecord, NewKeyHeader, SecretRecord } from '../../core/records';
import type { TierGuarantees } from '../../core/tiers';
import {
  NCRYPT_ALLOW_KEY_AGREEMENT_FLAG,
  NCRYPT_ALLOW_SIGNING_FLAG,
  publicPointOf,
  usageOfKey,
} from './key-facts';
import {
  type NativeNcryptProvider,
  type NativeNcryptKeyRef,
  type NcryptUsagePolicy,
  type NcryptCreateUsage,
  type NativeNcryptKey,
} from '../../addon/windows';
import { WINDOWS_TPM_GUARANTEES, WINDOWS_KSP_GUARANTEES, KSP_NAME } from './settings';
import {
  type NcryptKeyData,
  makeKeyName,
  nameUsage,
  keyDataToJson,
  parseKeyData,
  blobCorrupt,
} from './records';
import { PinCache } from '../pin-cache';
import { type LoadKeyOptions, type NewKeyOptions } from '../tier';
import { invalidArgument } from '../../core/errors';
import { explainPinFailure, PcpPinKeyHandle } from './pcp-pin';

/** An open Windows tier: makes, loads and destroys keys in one NCrypt provider. */

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
  readonly #usageNotes: RecordOnlyUsageNotes;

  constructor(
    private readonly native: NativeNcryptProvider,
    guarantees: typeof WINDOWS_TPM_GUARANTEES | typeof WINDOWS_KSP_GUARANTEES,
    private readonly usage: NcryptUsagePolicy,
    warn: (message: string) => void,
  ) {
    this.#usageNotes = new RecordOnlyUsageNotes(warn);
    this.tier = guarantees.tier;
    this.hardwareBacked = guarantees.hardwareBacked;
    this.extractableBy = guarantees.extractableBy;
  }

  /** The PCP takes a usage authorization (NCRYPT_PIN_PROPERTY); the Software KSP does not. */
  get pinKeys(): boolean {
    return this.tier === 'windows-tpm';
  }

  async generateKey({ alias, usage }: NewKeyHeader, opts?: NewKeyOptions): Promise<GeneratedKey> {
    let data: NcryptKeyData;
    let k: NativeNcryptKey;
    if (opts?.pin && !this.pinKeys) throw invalidArgument(`the ${this.tier} tier has no PIN keys`);
    // A certifying key may only sign: its usage is then fixed in the key (see loadKey).
    const policy: NcryptCreateUsage =
      usage !== 'certify'
        ? this.usage
        : this.usage === 'pcp-generic'
          ? 'pcp-signature'
          : 'sign-only';
    if (this.tier === 'windows-tpm') {
      k = await this.native
        .createKey(undefined, policy, opts?.pin)
        .catch((err: unknown) => Promise.reject(opts?.pin ? explainPinFailure(err) : err));
      if (!k.blob) {
        await this.native.releaseKey(k.key).catch(() => {});
        throw new KeystoreError('E_WINDOWS', 'the new TPM key has no blob');
      }
      data = { kind: 'pcp-blob', blob: k.blob, ...(opts?.pin ? { pin: true as const } : {}) };
    } else {
      const name = makeKeyName(alias, usage);
      k = await this.native.createKey(name, policy);
      data = { kind: 'ksp-key', name };
    }
    if (usage === 'certify' && usageOfKey(k) !== 'certify') {
      // Asked for a sign-only key, the provider reports one that may still agree or decrypt,
      // or reports nothing: keep it (refusing would stop init on such a PC), bound by its
      // record only, and say so, as loading it will.
      this.#usageNotes.note(
        `the new certifying key of "${alias}"`,
        'record-only',
        `the ${this.tier === 'windows-tpm' ? 'Platform Crypto Provider' : KSP_NAME}, which reports usage ${describeUsage(k)} for a key made ${policy}`,
        'a provider that does not report or keep the sign-only usage',
      );
    }
    return {
      publicKey: parsePeerPublicKey(publicPointOf(k), 'the new key'),
      backendData: keyDataToJson(data),
      handle: await this.#handle(data, k.key, opts?.samePinAs),
    };
  }

  /**
   * A PIN key's handle imports its blob afresh for each use; the one in hand is freed. A PIN
   * key's certifying key (`samePinAs`) uses the PIN cached for that key.
   */
  async #handle(
    data: NcryptKeyData,
    key: NativeNcryptKeyRef,
    samePinAs?: KeyHandle,
  ): Promise<KeyHandle> {
    if (data.kind !== 'pcp-blob' || !data.pin) return new NcryptKeyHandle(this.native, key);
    await this.native.releaseKey(key).catch(() => {});
    const handle = new PcpPinKeyHandle(this.native, data.blob, this.#pins);
    if (samePinAs) this.#pins.share(handle, samePinAs);
    return handle;
  }

  async loadKey(record: KeyRecord, file: string, opts: LoadKeyOptions = {}): Promise<KeyHandle> {
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
    // The usage comes from the key: a PCP key's usage properties (its TPM object's attributes),
    // a KSP key's name as the provider reports it. Never from the record alone.
    if (data.kind === 'pcp-blob') {
      const where = `the TPM key (usage ${describeUsage(k)})`;
      const material = usageOfKey(k);
      this.#usageNotes.note(
        file,
        checkUsage(record, material, file, where, blobCorrupt),
        where,
        material === undefined ? 'the provider reports no usage for the key' : undefined,
      );
    } else {
      // Our names are lower case; a provider may report a name in another case.
      if (k.name !== undefined && k.name.toLowerCase() !== data.name) {
        throw new KeystoreError(
          'E_WINDOWS',
          `the ${KSP_NAME} opened the key ${k.name} for ${file}, which names ${data.name}`,
        );
      }
      const where = `its key's name (${data.name})`;
      this.#usageNotes.note(file, checkUsage(record, nameUsage(data.name), file, where), where);
      checkPersistedUsage(k, data.name, file, record.usage === 'certify');
    }
    return this.#handle(data, k.key, opts.samePinAs);
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
    return [KEY_ACCESS[this.tier], ...this.#usageNotes.notes];
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
function checkPersistedUsage(
  k: NativeNcryptKey,
  name: string,
  file: string,
  certifying: boolean,
): void {
  const wanted = certifying
    ? NCRYPT_ALLOW_SIGNING_FLAG
    : NCRYPT_ALLOW_SIGNING_FLAG | NCRYPT_ALLOW_KEY_AGREEMENT_FLAG;
  if (k.usage === undefined || (k.usage & wanted) === wanted) return;
  throw new KeystoreError(
    'E_WINDOWS',
    `cannot use ${file}: its key ${name} in the ${KSP_NAME} allows usage 0x${k.usage.toString(16)}, not ${certifying ? 'signing' : 'signing and key agreement'} (0x${wanted.toString(16)})`,
    {
      hint: 'the key was stored without its usage; create a new key under another alias and move to it',
    },
  );
}

/** A key's reported usage properties, for messages. */
function describeUsage(k: NativeNcryptKey): string {
  const parts = [
    ...(k.usage === undefined ? [] : [`NCRYPT_KEY_USAGE_PROPERTY 0x${k.usage.toString(16)}`]),
    ...(k.pcpUsagePolicy === undefined
      ? []
      : [`PCP_KEY_USAGE_POLICY 0x${k.pcpUsagePolicy.toString(16)}`]),
  ];
  return parts.length ? parts.join(', ') : 'not reported';
}

/** A Windows tier's backend over an open NcryptProvider (already wrapped by withNcryptErrors). */
export function ncryptBackend(
  native: NativeNcryptProvider,
  guarantees: typeof WINDOWS_TPM_GUARANTEES | typeof WINDOWS_KSP_GUARANTEES,
  usage: NcryptUsagePolicy = 'key-usage',
  warn: (message: string) => void = () => {},
): Backend {
  return new NcryptBackend(native, guarantees, usage, warn);
}
