import { createHash, randomBytes } from 'node:crypto';
// node:fs only to probe the TPM's device node; the store keeps every file of a key.
import { constants as fsc, existsSync, promises as fsp } from 'node:fs';
import { KeystoreError, corrupt, isKeystoreError } from '../errors';
import { aesGcmOpen } from '../crypto/aead';
import {
  KEY_ATTRIBUTES,
  TPMA_OBJECT,
  marshalEccKeyTemplate,
  parseTpm2bPublic,
  publicPointOf,
} from '../crypto/tpm2-structures';
import { decodeTss2Pem, encodeTss2Pem, type DecodedTss2Key } from '../crypto/tss2-pem';
import { loadNative, tss2Status, type NativeTpmConnection } from '../native';
import { RecordReader } from '../store/records';
import { secretAad } from '../store/key-records';
import type {
  Backend,
  BackendContext,
  GeneratedKey,
  KeyHandle,
  KeyRecord,
  NewKeyHeader,
  RawSignature,
  SecretRecord,
  TierProvider,
} from './backend';

/**
 * The TPM 2.0 tier: P-256 keys created inside the TPM under the owner hierarchy's H-2 SRK.
 * The private key leaves the TPM only wrapped by the SRK (TPM2B_PRIVATE), as a TSS2 PRIVATE KEY
 * PEM that the store keeps next to the key's JSON record, so tpm2-openssl and ssh-tpm-agent can
 * use our keys and we can use theirs. The C++ addon does the TPM calls; this file decides what to call.
 */

const GUARANTEES = { tier: 'tpm2', hardwareBacked: true, extractableBy: 'nobody' } as const;

/** The owner hierarchy: the parent of every key we create (the H-2 SRK under it). */
export const OWNER_PARENT = 0x40000001;
const PERSISTENT_SRK = 0x81000001;

export const TCTI_ENV = 'DEVICE_KEYSTORE_TCTI';
export const OWNER_AUTH_ENV = 'DEVICE_KEYSTORE_TPM_OWNER_AUTH';
const DEFAULT_DEVICE = '/dev/tpmrm0';

/** Which transport to use: the option, then DEVICE_KEYSTORE_TCTI, then /dev/tpmrm0 if present. */
export function resolveTcti(option: string | undefined): string | undefined {
  if (option) return option;
  if (process.env[TCTI_ENV]) return process.env[TCTI_ENV];
  return existsSync(DEFAULT_DEVICE) ? `device:${DEFAULT_DEVICE}` : undefined;
}

function devicePath(tcti: string): string | undefined {
  if (!tcti.startsWith('device')) return undefined;
  const conf = tcti.slice(tcti.indexOf(':') + 1);
  return conf || DEFAULT_DEVICE;
}

/** A device node we cannot open is a permission problem with a known fix, not an outage. */
async function checkDeviceAccess(tcti: string): Promise<void> {
  const dev = devicePath(tcti);
  if (!dev) return;
  try {
    await fsp.access(dev, fsc.R_OK | fsc.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') {
      throw new KeystoreError('E_TPM_PERMISSION', `${dev} exists but this user cannot open it`, {
        path: dev,
        errno: code,
        hint: `add the user to the group that owns ${dev} (usually tss: sudo usermod -aG tss $USER), then log in again`,
      });
    }
    throw new KeystoreError('E_TPM_UNAVAILABLE', `${dev} is not usable (${code ?? 'error'})`, {
      path: dev,
      ...(code ? { errno: code } : {}),
      hint: `check that the TPM is enabled, or set ${TCTI_ENV}`,
    });
  }
}

export function ownerAuthFrom(ctx: BackendContext): Buffer | undefined {
  if (ctx.tpmOwnerAuth) return Buffer.from(ctx.tpmOwnerAuth.unsafeBytes());
  const env = process.env[OWNER_AUTH_ENV];
  return env ? Buffer.from(env, 'utf8') : undefined;
}

/**
 * Run `fn` with a copy of the owner auth (the addon copies it again into wiped memory), and zero
 * the copy afterwards, when `fn` throws too.
 */
export function withOwnerAuth<T>(ctx: BackendContext, fn: (auth: Buffer | undefined) => T): T {
  const auth = ownerAuthFrom(ctx);
  try {
    return fn(auth);
  } finally {
    auth?.fill(0);
  }
}

/** Open a connection; every failure is a KeystoreError with the reason. */
async function connect(ctx: BackendContext): Promise<{ tcti: string; conn: NativeTpmConnection }> {
  const tcti = resolveTcti(ctx.tcti);
  if (!tcti) {
    throw new KeystoreError('E_TPM_UNAVAILABLE', `no TPM: ${DEFAULT_DEVICE} does not exist`, {
      hint: `enable the TPM in the firmware, or point ${TCTI_ENV} at one (e.g. swtpm:host=127.0.0.1,port=2321)`,
    });
  }
  const status = tss2Status();
  if (!status.ok)
    throw new KeystoreError('E_TPM_UNAVAILABLE', status.error ?? 'tss2 is unavailable');
  await checkDeviceAccess(tcti);
  const native = loadNative();
  if (!native.ok || !native.addon.TpmConnection) {
    throw new KeystoreError('E_TPM_UNAVAILABLE', 'the TPM tier is not built into this addon');
  }
  const TpmConnection = native.addon.TpmConnection;
  const conn = withOwnerAuth(ctx, (auth) => new TpmConnection(tcti, auth));
  return { tcti, conn };
}

/** What `doctor` reports about the TPM. */
export interface TpmFacts {
  tcti: string;
  manufacturer: string;
  firmwareVersion: string;
  ownerAuthSet: boolean;
  lockoutAuthSet: boolean;
  inLockout: boolean;
  lockoutCounter: number;
  maxAuthFail: number;
}

const PT = {
  MANUFACTURER: 0x105,
  FIRMWARE_VERSION_1: 0x10b,
  FIRMWARE_VERSION_2: 0x10c,
  PERMANENT: 0x200,
  LOCKOUT_COUNTER: 0x20e,
  MAX_AUTH_FAIL: 0x20f,
} as const;

function fourChars(v: number): string {
  return Buffer.from([v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff])
    .toString('latin1')
    .replace(/[^\x20-\x7e]/g, '')
    .trim();
}

export function factsFrom(tcti: string, props: Record<string, number>): TpmFacts {
  const p = (k: number) => props[String(k)] ?? 0;
  const fw1 = p(PT.FIRMWARE_VERSION_1);
  const fw2 = p(PT.FIRMWARE_VERSION_2);
  const permanent = p(PT.PERMANENT);
  return {
    tcti,
    manufacturer: fourChars(p(PT.MANUFACTURER)),
    firmwareVersion: `${fw1 >>> 16}.${fw1 & 0xffff}.${fw2 >>> 16}.${fw2 & 0xffff}`,
    ownerAuthSet: (permanent & 0x1) !== 0,
    lockoutAuthSet: (permanent & 0x4) !== 0,
    inLockout: (permanent & 0x200) !== 0,
    lockoutCounter: p(PT.LOCKOUT_COUNTER),
    maxAuthFail: p(PT.MAX_AUTH_FAIL),
  };
}

export async function tpmFacts(ctx: BackendContext): Promise<TpmFacts> {
  const { tcti, conn } = await connect(ctx);
  try {
    return factsFrom(tcti, await conn.properties());
  } finally {
    await conn.close();
  }
}

// ---- keys ---------------------------------------------------------------------------------

/** The side file the store keeps for each TPM key: what tpm2-openssl and ssh-tpm-agent read. */
const PEM_SUFFIX = '.tss2.pem';

interface TpmKey {
  parent: number;
  publicBlob: Buffer;
  privateBlob: Buffer;
}

/**
 * Check that a TSS2 key is one we can use: a P-256 signing-and-decrypt key under a parent we
 * can reach, with no policy. Returns its public point.
 */
export function checkLoadableKey(key: DecodedTss2Key, source: string): Buffer {
  if (key.rsaParent)
    throw corrupt(source, 'the key belongs under an RSA SRK, which this library does not use');
  if (key.parent !== OWNER_PARENT && key.parent !== PERSISTENT_SRK) {
    throw corrupt(source, `unsupported parent handle 0x${key.parent.toString(16)}`);
  }
  if (key.optionalTags.includes(1) || key.optionalTags.includes(3)) {
    throw corrupt(source, 'the key needs a policy session, which this library does not support');
  }
  if (!key.emptyAuth)
    throw corrupt(source, 'the key has a password, which this library does not support');
  let point: Buffer;
  try {
    const pub = parseTpm2bPublic(key.publicBlob);
    if ((pub.objectAttributes & TPMA_OBJECT.sign) === 0) throw new Error('not a signing key');
    if ((pub.objectAttributes & TPMA_OBJECT.userWithAuth) === 0) throw new Error('needs a policy');
    point = publicPointOf(pub);
  } catch (err) {
    throw corrupt(source, `bad TPM2B_PUBLIC (${(err as Error).message})`);
  }
  return point;
}

class TpmKeyHandle implements KeyHandle {
  constructor(
    private readonly conn: NativeTpmConnection,
    private readonly key: TpmKey,
  ) {}

  async signRaw(data: Uint8Array, prehashed: boolean): Promise<RawSignature> {
    const digest = prehashed ? Buffer.from(data) : createHash('sha256').update(data).digest();
    const { parent, publicBlob, privateBlob } = this.key;
    return {
      encoding: 'p1363',
      bytes: await this.conn.sign(parent, publicBlob, privateBlob, digest),
    };
  }

  async ecdh(peerPoint: Buffer): Promise<Buffer> {
    const { parent, publicBlob, privateBlob } = this.key;
    return this.conn.ecdh(
      parent,
      publicBlob,
      privateBlob,
      peerPoint.subarray(1, 33),
      peerPoint.subarray(33, 65),
    );
  }
}

class Tpm2Backend implements Backend {
  readonly tier = GUARANTEES.tier;
  readonly hardwareBacked = GUARANTEES.hardwareBacked;
  readonly extractableBy = GUARANTEES.extractableBy;
  readonly maxSecretBytes = 64 * 1024;

  constructor(private readonly conn: NativeTpmConnection) {}

  async generateKey(): Promise<GeneratedKey> {
    const blobs = await this.conn.createKey(OWNER_PARENT, marshalEccKeyTemplate(KEY_ATTRIBUTES));
    return this.#adopt({ parent: OWNER_PARENT, ...blobs });
  }

  /** Take a TSS2 PRIVATE KEY made elsewhere (tpm2-openssl, ssh-tpm-agent) into the store. */
  async importKey(_header: NewKeyHeader, pem: string | Buffer): Promise<GeneratedKey> {
    const decoded = decodeTss2Pem(pem, 'the imported key');
    checkLoadableKey(decoded, 'the imported key');
    const key = {
      parent: decoded.parent,
      publicBlob: decoded.publicBlob,
      privateBlob: decoded.privateBlob,
    };
    // Prove the TPM can load it before anything is written: a key this TPM refuses (wrapped by
    // another TPM's SRK, damaged) must leave no key file behind.
    await new TpmKeyHandle(this.conn, key).signRaw(randomBytes(32), true);
    return this.#adopt(key);
  }

  #adopt(key: TpmKey): GeneratedKey {
    const pem = Buffer.from(encodeTss2Pem({ ...key, emptyAuth: true }));
    return {
      publicKey: checkLoadableKey(decodeTss2Pem(pem), 'the new key'),
      backendData: {},
      sideFile: { suffix: PEM_SUFFIX, bytes: pem },
      handle: new TpmKeyHandle(this.conn, key),
    };
  }

  async loadKey(record: KeyRecord, file: string): Promise<KeyHandle> {
    if (record.sideFile?.suffix !== PEM_SUFFIX)
      throw corrupt(file, 'the record names no TSS2 key file');
    const source = file.replace(/\.json$/, PEM_SUFFIX);
    const decoded = decodeTss2Pem(record.sideFile.bytes, source);
    const point = checkLoadableKey(decoded, source);
    if (!point.equals(record.publicKey))
      throw corrupt(source, 'its public key does not match the record');
    return new TpmKeyHandle(this.conn, {
      parent: decoded.parent,
      publicBlob: decoded.publicBlob,
      privateBlob: decoded.privateBlob,
    });
  }

  async destroyKey(): Promise<void> {
    // Our keys are never persistent in the TPM: the wrapped blob in the store is all there is.
  }

  /**
   * A 0.1.0 secret: a random 256-bit key sealed in a TPM data object under the H-2 SRK (unsealed
   * through an encrypted session), and the value AES-256-GCM under that key. Anyone who can use
   * the TPM can make such an object, so only the 0.1.0 migration reads these (sealing.ts).
   */
  async unsealLegacySecret(record: SecretRecord, file: string): Promise<Buffer> {
    const r = new RecordReader(file, record.backendData);
    r.literal('alg', 'A256GCM');
    const parent = r.integer('parent');
    if (parent !== OWNER_PARENT) throw corrupt(file, 'bad "parent"');
    const box = {
      iv: r.bytes('iv', 12),
      ciphertext: r.bytes('ciphertext'),
      tag: r.bytes('tag', 16),
    };
    const dek = await this.conn.unseal(parent, r.bytes('publicBlob'), r.bytes('privateBlob'));
    try {
      const plaintext = dek.length === 32 ? aesGcmOpen(dek, box, secretAad(record)) : undefined;
      if (!plaintext) throw corrupt(file, 'authentication failed (the file was modified)');
      return plaintext;
    } finally {
      dek.fill(0);
    }
  }

  warnings(): string[] {
    return [];
  }

  async close(): Promise<void> {
    await this.conn.close();
  }
}

/** Map any failure while probing to the one-line reason detection reports. */
function reasonOf(err: unknown): string {
  // A KeystoreError's message already ends with its hint.
  if (isKeystoreError(err)) return err.message;
  return (err as Error)?.message ?? String(err);
}

export const tpm2Tier: TierProvider = {
  ...GUARANTEES,
  async probe(ctx) {
    if (process.platform !== 'linux')
      return { available: false, reason: `Linux only for now (this is ${process.platform})` };
    try {
      const facts = await tpmFacts(ctx);
      return {
        available: true,
        detail: `${facts.tcti}, manufacturer ${facts.manufacturer || 'unknown'}`,
      };
    } catch (err) {
      return { available: false, reason: reasonOf(err) };
    }
  },
  async open(ctx) {
    try {
      const { conn } = await connect(ctx);
      return new Tpm2Backend(conn);
    } catch (err) {
      if (isKeystoreError(err) && err.code !== 'E_TPM_UNAVAILABLE') throw err;
      throw new KeystoreError(
        'E_BACKEND_UNAVAILABLE',
        `the tpm2 tier is unavailable: ${reasonOf(err)}`,
        {
          ...(isKeystoreError(err) && err.tpmRc !== undefined ? { tpmRc: err.tpmRc } : {}),
        },
      );
    }
  },
};
