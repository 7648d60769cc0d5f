import { createHash, randomBytes } from 'node:crypto';
// node:fs only to probe the TPM's device node; the store keeps every file of a key.
import { constants as fsc, existsSync, promises as fsp } from 'node:fs';
import { KeystoreError, corrupt, invalidArgument, isKeystoreError } from '../errors';
import { aesGcmOpen } from '../crypto/aead';
import {
  KEY_ATTRIBUTES,
  TPM2_ALG,
  TPMA_OBJECT,
  marshalEccKeyTemplate,
  parseTpm2bPublic,
  publicPointOf,
} from '../crypto/tpm2-structures';
import { decodeTss2Pem, encodeTss2Pem, type DecodedTss2Key } from '../crypto/tss2-pem';
import { PinCache, pinForUse } from '../tiers/pin-cache';
import { ADDON_MISSING_HINT, loadNative, tss2Status, type NativeTpmConnection } from '../native';
import { RecordReader } from '../store/records';
import { secretAad } from '../store/key-records';
import type {
  Backend,
  BackendContext,
  GeneratedKey,
  ImportOptions,
  KeyAuth,
  NewKeyOptions,
  UserPresence,
  KeyGuarantees,
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

/**
 * What protects a TPM key, and what does not: said in describe() and `info`, not only in the
 * docs. Our keys have an empty authValue and no PCR policy.
 */
export const TPM_KEY_ACCESS =
  'TPM keys made without a PIN have an empty authorization value and no PCR policy: anyone who ' +
  'can read the key files of this store and open the TPM (root, members of the tss group) can ' +
  'sign and run ECDH with them on this machine; the private keys still never leave the TPM. ' +
  "Keys made with createKey's pin need the PIN, and wrong PINs count towards the TPM's lockout";

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
    throw new KeystoreError('E_TPM_UNAVAILABLE', status.error ?? 'tss2 is unavailable', {
      // No addon: say how to get one (no prebuild matched), not which library is missing.
      ...(loadNative().ok ? {} : { hint: ADDON_MISSING_HINT }),
    });
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
  /** Failed authorizations the TPM currently counts (TPM2_PT_LOCKOUT_COUNTER). */
  lockoutCounter: number;
  /** Failures that put it in lockout (TPM2_PT_MAX_AUTH_FAIL). */
  maxAuthFail: number;
  /** Seconds after which one failure is forgotten (TPM2_PT_LOCKOUT_INTERVAL). */
  lockoutInterval: number;
  /** Seconds before the lockout authorization may be tried again after a failure (TPM2_PT_LOCKOUT_RECOVERY). */
  lockoutRecovery: number;
}

const PT = {
  MANUFACTURER: 0x105,
  FIRMWARE_VERSION_1: 0x10b,
  FIRMWARE_VERSION_2: 0x10c,
  PERMANENT: 0x200,
  LOCKOUT_COUNTER: 0x20e,
  MAX_AUTH_FAIL: 0x20f,
  LOCKOUT_INTERVAL: 0x210,
  LOCKOUT_RECOVERY: 0x211,
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
    lockoutInterval: p(PT.LOCKOUT_INTERVAL),
    lockoutRecovery: p(PT.LOCKOUT_RECOVERY),
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

/** What the public area of a key we accept says about it. */
export interface CheckedKey {
  /** The 65-byte uncompressed P-256 point. */
  point: Buffer;
  objectAttributes: number;
  /** Its public area carries CERTIFYING_POLICY: a certifying key (see there). */
  certifying: boolean;
}

/**
 * How a certifying key's usage is bound to it: its public area's authPolicy is this digest, and
 * decrypt is clear. The TPM checks the public area against the private blob at every load, so
 * neither can be edited; a general key's record cannot be made to hold a certifying key's blob.
 * With userWithAuth set the key still signs with its (empty) password; no policy session can
 * reach this digest, since nobody knows a policy that hashes to it.
 */
export const CERTIFYING_POLICY = createHash('sha256')
  .update('device-keystore/certifying-key/v1')
  .digest();
const CERTIFYING_ATTRIBUTES = KEY_ATTRIBUTES & ~TPMA_OBJECT.decrypt;

/** Makes the error for one problem with a key: E_INVALID_ARGUMENT at import, E_CORRUPT at load. */
type Complain = (what: string, hint?: string) => KeystoreError;

/** What importKey takes, for the hint of every refusal. */
const IMPORT_ACCEPTS =
  'importKey takes a TSS2 PRIVATE KEY PEM of a NIST P-256 signing key generated inside this TPM ' +
  '(fixedTPM, fixedParent and sensitiveDataOrigin set), with no password and no policy, under ' +
  'the owner SRK 0x40000001 or 0x81000001: for example from `openssl genpkey -provider tpm2 ' +
  '-algorithm EC -pkeyopt group:P-256`';

/**
 * Why a key does not count as made in and bound to its TPM, from its public area alone; empty
 * when it does. The TPM enforces these attributes: a key with sensitiveDataOrigin clear was
 * made outside the TPM (tpm2_import), so its private key exists or existed in software; one
 * with fixedTPM or fixedParent clear can be duplicated out under a policy.
 */
export function unboundReasons(objectAttributes: number, authPolicy: Buffer): string[] {
  const reasons: string[] = [];
  if ((objectAttributes & TPMA_OBJECT.sensitiveDataOrigin) === 0) {
    reasons.push(
      'sensitiveDataOrigin is clear: the private key was made outside the TPM (e.g. by openssl, ' +
        'then loaded with tpm2_import), so copies of it may exist in software',
    );
  }
  if ((objectAttributes & TPMA_OBJECT.fixedTPM) === 0)
    reasons.push('fixedTPM is clear: the key may be duplicated to another TPM');
  if ((objectAttributes & TPMA_OBJECT.fixedParent) === 0)
    reasons.push('fixedParent is clear: the key may be duplicated to another parent');
  if (authPolicy.length > 0 && !authPolicy.equals(CERTIFYING_POLICY)) {
    reasons.push('it has an authPolicy, which this library does not evaluate');
  }
  return reasons;
}

/** What a key that is not bound to the TPM gets: not hardware-backed, extractable by whoever has a copy. */
const UNBOUND_KEY = { hardwareBacked: false, extractableBy: 'unknown' } as const;

/**
 * What one stored key gets, from its TSS2 PEM alone (no TPM call): the tier's guarantees, or
 * UNBOUND_KEY when its public area is not made in and bound to a TPM (unboundReasons), as with
 * keys an earlier release imported unchecked. A missing or damaged PEM keeps the tier's
 * guarantees: such a key is not usable at all, and loadKey says why (E_CORRUPT).
 */
export function tpmKeyGuarantees(record: KeyRecord): KeyGuarantees {
  if (record.sideFile?.suffix !== PEM_SUFFIX) return GUARANTEES;
  let unbound: string[];
  let userPresence: UserPresence;
  try {
    const decoded = decodeTss2Pem(record.sideFile.bytes);
    const pub = parseTpm2bPublic(decoded.publicBlob);
    unbound = unboundReasons(pub.objectAttributes, pub.authPolicy);
    userPresence = isPinKey(decoded.emptyAuth, pub.objectAttributes) ? 'pin' : 'none';
  } catch {
    return GUARANTEES;
  }
  if (unbound.length > 0) return UNBOUND_KEY;
  return userPresence === 'pin' ? { ...GUARANTEES, userPresence } : GUARANTEES;
}

const OBJECT_TYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [TPM2_ALG.RSA, 'an RSA key'],
  [TPM2_ALG.KEYEDHASH, 'a keyed-hash object (an HMAC key or sealed data)'],
  [TPM2_ALG.SYMCIPHER, 'a symmetric key'],
]);

/**
 * Check that a TSS2 key is one we can use: a P-256 signing key, made in and bound to a TPM
 * (see unboundReasons), under a parent we can reach, with no policy. The password question
 * (emptyAuth, noDA) is the caller's: import and load answer it differently.
 */
export function checkLoadableKey(key: DecodedTss2Key, complain: Complain): CheckedKey {
  if (key.rsaParent) throw complain('it belongs under an RSA SRK, which this library does not use');
  if (key.parent !== OWNER_PARENT && key.parent !== PERSISTENT_SRK) {
    throw complain(`its parent handle 0x${key.parent.toString(16)} is not one this library uses`);
  }
  if (key.optionalTags.includes(1) || key.optionalTags.includes(3)) {
    throw complain('it needs a policy session, which this library does not support');
  }
  const type = key.publicBlob.length >= 4 ? key.publicBlob.readUInt16BE(2) : -1;
  const typeName = OBJECT_TYPE_NAMES.get(type);
  if (typeName) throw complain(`it is ${typeName}, not an ECC P-256 key`);
  let pub: ReturnType<typeof parseTpm2bPublic>;
  let point: Buffer;
  try {
    pub = parseTpm2bPublic(key.publicBlob);
    point = publicPointOf(pub);
  } catch (err) {
    throw complain(`bad TPM2B_PUBLIC (${(err as Error).message})`);
  }
  const a = pub.objectAttributes;
  if ((a & TPMA_OBJECT.sign) === 0) throw complain('it is not a signing key');
  if (a & TPMA_OBJECT.restricted) {
    throw complain(
      'it is a restricted signing key (an attestation key), which signs only TPM data',
    );
  }
  if ((a & TPMA_OBJECT.userWithAuth) === 0) throw complain('it can only be used with a policy');
  const { scheme, hashAlg } = pub.scheme;
  if (scheme !== TPM2_ALG.NULL && !(scheme === TPM2_ALG.ECDSA && hashAlg === TPM2_ALG.SHA256)) {
    throw complain(`its signing scheme 0x${scheme.toString(16)} is not ECDSA with SHA-256`);
  }
  const unbound = unboundReasons(a, pub.authPolicy);
  if (unbound.length > 0) {
    throw complain(`it is not a key made in and bound to a TPM: ${unbound.join('; ')}`);
  }
  return { point, objectAttributes: a, certifying: pub.authPolicy.equals(CERTIFYING_POLICY) };
}

/** Errors about a key the caller hands to importKey: their input, so E_INVALID_ARGUMENT. */
const importComplaint: Complain = (what, hint) =>
  invalidArgument(`the imported key is not usable: ${what}`, hint ?? IMPORT_ACCEPTS);

/** Errors about a key file of the store: E_CORRUPT, except for a key an old release imported. */
function storeComplaint(source: string): Complain {
  return (what) =>
    what.startsWith('it is not a key made in and bound to a TPM')
      ? new KeystoreError('E_INVALID_ARGUMENT', `${source}: ${what}`, {
          path: source,
          hint: 'an earlier release imported this key without checking where it was made; delete it and create the key in the TPM, or import one made there',
        })
      : corrupt(source, what);
}

/** Names input that is not a TSS2 PRIVATE KEY, for the import's error. */
function notATss2Key(material: string | Buffer): string | undefined {
  const text = typeof material === 'string' ? material : material.toString('latin1');
  const label = /-----BEGIN ([A-Z0-9 ]+)-----/.exec(text)?.[1];
  if (label === undefined) return 'it is not PEM text';
  if (label === 'TSS2 PRIVATE KEY') return undefined;
  if (/PUBLIC KEY/.test(label)) return `it is a public key (PEM "${label}"), which cannot sign`;
  if (/RSA/.test(label)) return `it is an RSA key (PEM "${label}")`;
  if (label === 'TSS2 KEY BLOB')
    return 'it is in the old "TSS2 KEY BLOB" format, which this library does not read';
  if (/PRIVATE KEY/.test(label)) {
    return (
      `it is a software private key (PEM "${label}"), not a TPM key: generate the key in ` +
      'the TPM instead (keystore.createKey), so that no copy of it exists outside'
    );
  }
  return `it is a PEM "${label}" block, not a TSS2 PRIVATE KEY`;
}

/**
 * A key made with a PIN: its file says emptyAuth FALSE (we write that only for such keys) and it
 * lacks noDA, so the TPM's dictionary-attack logic limits guesses.
 */
function isPinKey(emptyAuth: boolean, objectAttributes: number): boolean {
  return !emptyAuth && (objectAttributes & TPMA_OBJECT.noDA) === 0;
}

/**
 * A key's handle: the blobs, and what the public area allows, checked before the TPM is asked.
 * Every operation runs through the connection's HMAC session, salted to the pinned SRK, with the
 * key's Name in the command's HMAC: a TPM handle that came to name another program's object (no
 * resource manager) makes the TPM refuse the command, and the response HMAC authenticates the
 * signature. So signatures are not verified again in software here (docs/tpm.md, "Sessions").
 */
class TpmKeyHandle implements KeyHandle {
  readonly userPresence: UserPresence;

  constructor(
    private readonly conn: NativeTpmConnection,
    private readonly key: TpmKey,
    private readonly checked: CheckedKey,
    private readonly pins: PinCache,
    private readonly ready: () => Promise<void>,
    pinKey = false,
  ) {
    this.userPresence = pinKey ? 'pin' : 'none';
  }

  cachePin(pin: Buffer, ms: number): void {
    if (this.userPresence === 'pin') this.pins.set(this, pin, ms);
  }

  /** The PIN for one operation; refused before the TPM is asked, so no guess is ever wasted. */
  #auth(auth: KeyAuth | undefined): Buffer | undefined {
    return pinForUse(this, auth, this.pins, 'TPM');
  }

  /** E_TPM_AUTH with the tries left, E_TPM_LOCKOUT with the wait: what the TPM's DA state says. */
  async #explain(err: unknown): Promise<never> {
    if (this.userPresence === 'pin' && isKeystoreError(err)) {
      if (err.code === 'E_TPM_AUTH' || err.code === 'E_TPM_LOCKOUT') {
        const facts = await this.conn
          .properties()
          .then((p) => factsFrom('', p))
          .catch(() => undefined);
        if (facts && err.code === 'E_TPM_AUTH') {
          const triesLeft = Math.max(0, facts.maxAuthFail - facts.lockoutCounter);
          throw new KeystoreError(
            'E_TPM_AUTH',
            `wrong PIN: the TPM refused it (${triesLeft} ${triesLeft === 1 ? 'try' : 'tries'} left before lockout)`,
            {
              tpmRc: err.tpmRc ?? 0,
              triesLeft,
              hint: `after ${facts.maxAuthFail} failures the TPM locks out every key that needs a PIN; one failure is forgotten every ${facts.lockoutInterval} s`,
            },
          );
        }
        if (facts && err.code === 'E_TPM_LOCKOUT') {
          throw new KeystoreError(
            'E_TPM_LOCKOUT',
            `the TPM is in dictionary-attack lockout after ${facts.lockoutCounter} wrong authorizations: keys with a PIN are refused until it recovers`,
            {
              tpmRc: err.tpmRc ?? 0,
              retryAfterSeconds: facts.lockoutInterval,
              hint: `one failure is forgotten every ${facts.lockoutInterval} s (TPM2_PT_LOCKOUT_INTERVAL), or clear it with the lockout authorization (tpm2_dictionarylockout --clear-lockout); keys without a PIN keep working`,
            },
          );
        }
      }
    }
    throw err;
  }

  async signRaw(data: Uint8Array, prehashed: boolean, auth?: KeyAuth): Promise<RawSignature> {
    const pin = this.#auth(auth);
    const digest = prehashed ? Buffer.from(data) : createHash('sha256').update(data).digest();
    const { parent, publicBlob, privateBlob } = this.key;
    try {
      await this.ready();
      const bytes = await this.conn.sign(parent, publicBlob, privateBlob, digest, pin);
      return { encoding: 'p1363', bytes };
    } catch (err) {
      return this.#explain(err);
    }
  }

  async ecdh(peerPoint: Buffer, auth?: KeyAuth): Promise<Buffer> {
    if ((this.checked.objectAttributes & TPMA_OBJECT.decrypt) === 0) {
      throw invalidArgument(
        'this key cannot do ECDH: its public area has no decrypt attribute (it is sign-only)',
        'keys made by createKey sign and do ECDH; for ECDH with an imported key, make it with the decrypt attribute',
      );
    }
    const pin = this.#auth(auth);
    const { parent, publicBlob, privateBlob } = this.key;
    try {
      await this.ready();
      return await this.conn.ecdh(
        parent,
        publicBlob,
        privateBlob,
        peerPoint.subarray(1, 33),
        peerPoint.subarray(33, 65),
        pin,
      );
    } catch (err) {
      return this.#explain(err);
    }
  }
}

class Tpm2Backend implements Backend {
  readonly tier = GUARANTEES.tier;
  readonly hardwareBacked = GUARANTEES.hardwareBacked;
  readonly extractableBy = GUARANTEES.extractableBy;
  readonly maxSecretBytes = 64 * 1024;
  readonly pinKeys = true;
  readonly #pins = new PinCache();
  #pinned: Promise<void> | undefined;
  /** Every operation waits for the SRK pin first (checked once, at first use, not at open). */
  readonly #ready = (): Promise<void> => {
    this.#pinned ??= pinStorageKey(this.ctx, this.conn).catch((err: unknown) => {
      this.#pinned = undefined;
      throw err;
    });
    return this.#pinned;
  };

  constructor(
    private readonly conn: NativeTpmConnection,
    private readonly ctx: BackendContext,
  ) {}

  /**
   * A certifying key (header.usage) gets CERTIFYING_POLICY and no decrypt. With a PIN, the key's
   * authValue is the PIN and it lacks noDA: the TPM counts wrong PINs towards its lockout. The
   * PIN crosses the bus only inside the salted session's encrypted parameter (TPM2_Create's
   * sensitive area), never in a password session.
   */
  async generateKey(header: NewKeyHeader, opts: NewKeyOptions = {}): Promise<GeneratedKey> {
    await this.#ready();
    if (header.usage === 'certify' && opts.pin !== undefined) {
      throw invalidArgument('a certifying key cannot have a PIN: it signs only certificates');
    }
    const template =
      header.usage === 'certify'
        ? marshalEccKeyTemplate(CERTIFYING_ATTRIBUTES, CERTIFYING_POLICY)
        : marshalEccKeyTemplate(opts.pin ? KEY_ATTRIBUTES & ~TPMA_OBJECT.noDA : KEY_ATTRIBUTES);
    const blobs = await this.conn.createKey(OWNER_PARENT, template, undefined, opts.pin);
    return this.#adopt({ parent: OWNER_PARENT, ...blobs }, opts.pin !== undefined);
  }

  /**
   * Take a TSS2 PRIVATE KEY made elsewhere (tpm2-openssl, ssh-tpm-agent) into the store. Only
   * keys made in and bound to a TPM are taken (checkLoadableKey), so that a key in this tier is
   * always what the tier claims. `keyAuth` (only '' for now) is the caller's word that the key
   * has no password: it is needed when the file says it has one, or when the key lacks noDA,
   * since a failed authorization of such a key counts towards the whole TPM's lockout.
   */
  async importKey(
    _header: NewKeyHeader,
    pem: string | Buffer,
    opts: ImportOptions = {},
  ): Promise<GeneratedKey> {
    const what = notATss2Key(pem);
    if (what) throw importComplaint(what);
    const decoded = decodeTss2Pem(pem, 'the imported key', (w) =>
      importComplaint(`it is not a valid TSS2 PRIVATE KEY (${w})`),
    );
    const checked = checkLoadableKey(decoded, importComplaint);
    if (checked.certifying) {
      throw importComplaint(
        'it is a certifying key of device-keystore, which signs only certificates',
      );
    }
    if (opts.keyAuth !== undefined && opts.keyAuth.length > 0) {
      throw invalidArgument(
        'keys with a password are not supported: keyAuth may only be empty',
        "pass keyAuth: '' only to confirm that the key has no password",
      );
    }
    const confirmed = opts.keyAuth !== undefined;
    if (!decoded.emptyAuth && !confirmed) {
      throw importComplaint(
        'the key file says the key has a password (emptyAuth is FALSE), which this library does not support',
        "if the key has no password (tpm2-tools 5.4's tpm2_encodeobject writes emptyAuth FALSE unless given -p), pass keyAuth: '' to say so",
      );
    }
    if ((checked.objectAttributes & TPMA_OBJECT.noDA) === 0 && !confirmed) {
      // emptyAuth is only the file's claim: trying a key that lacks noDA with the wrong
      // authValue counts towards dictionary-attack lockout for the whole TPM.
      throw importComplaint(
        "its public area lacks noDA, so one signature with the wrong password counts towards the TPM's dictionary-attack lockout, and the key file's emptyAuth is only a claim",
        "if you know the key has no password (e.g. `openssl genpkey -provider tpm2` without user-auth), pass keyAuth: '' to say so",
      );
    }
    const key = {
      parent: decoded.parent,
      publicBlob: decoded.publicBlob,
      privateBlob: decoded.privateBlob,
    };
    // Prove the TPM can load it before anything is written: a key this TPM refuses (wrapped by
    // another TPM's SRK, damaged) must leave no key file behind.
    await new TpmKeyHandle(this.conn, key, checked, this.#pins, this.#ready).signRaw(
      randomBytes(32),
      true,
    );
    return this.#adopt(key);
  }

  /** A PIN key's file says emptyAuth FALSE, so tpm2-openssl asks for the password too. */
  #adopt(key: TpmKey, pinKey = false): GeneratedKey {
    const pem = Buffer.from(encodeTss2Pem({ ...key, emptyAuth: !pinKey }));
    const checked = checkLoadableKey(decodeTss2Pem(pem), storeComplaint('the new key'));
    return {
      publicKey: checked.point,
      backendData: {},
      sideFile: { suffix: PEM_SUFFIX, bytes: pem },
      handle: new TpmKeyHandle(this.conn, key, checked, this.#pins, this.#ready, pinKey),
    };
  }

  async loadKey(record: KeyRecord, file: string): Promise<KeyHandle> {
    if (record.sideFile?.suffix !== PEM_SUFFIX)
      throw corrupt(file, 'the record names no TSS2 key file');
    const source = file.replace(/\.json$/, PEM_SUFFIX);
    const decoded = decodeTss2Pem(record.sideFile.bytes, source);
    const checked = checkLoadableKey(decoded, storeComplaint(source));
    // We write emptyAuth TRUE for keys proven to have no password, FALSE only for PIN keys,
    // which lack noDA: anything else was not written by us.
    const pinKey = isPinKey(decoded.emptyAuth, checked.objectAttributes);
    if (!decoded.emptyAuth && !pinKey)
      throw corrupt(source, 'the key has a password but is noDA, which this library never makes');
    if (!checked.point.equals(record.publicKey))
      throw corrupt(source, 'its public key does not match the record');
    if (checked.certifying !== (record.usage === 'certify')) {
      throw corrupt(
        source,
        `the record says the key is for ${record.usage === 'certify' ? 'certifying' : 'general use'}, but the TPM key itself is ${checked.certifying ? 'a certifying key' : 'a general one'}`,
      );
    }
    return new TpmKeyHandle(
      this.conn,
      { parent: decoded.parent, publicBlob: decoded.publicBlob, privateBlob: decoded.privateBlob },
      checked,
      this.#pins,
      this.#ready,
      pinKey,
    );
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
    await this.#ready();
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
    return [TPM_KEY_ACCESS];
  }

  async close(): Promise<void> {
    this.#pins.dropAll();
    await this.conn.close();
  }
}

/**
 * Pin the connection to the store's SRK (tpm2-srk.json): record it the first time (a new store,
 * or trust on first use for one made before pinning), then compare it with the TPM's before the
 * tier is used, and let the addon compare it again before every command that carries a secret.
 */
async function pinStorageKey(ctx: BackendContext, conn: NativeTpmConnection): Promise<void> {
  if (!ctx.tpmSrkPin) return; // a probe, which sends no secrets
  const actual = await conn.srkName();
  let pinned = await ctx.tpmSrkPin.read();
  if (!pinned) pinned = await ctx.tpmSrkPin.record(actual);
  conn.pinSrk(pinned);
  if (!pinned.equals(actual)) {
    throw new KeystoreError(
      'E_TPM_SRK_MISMATCH',
      `the TPM's storage key (Name ${actual.toString('hex')}) is not the one this store was made with (${pinned.toString('hex')}), so nothing was sent to it`,
      {
        tpmRc: 0,
        hint: 'either the TPM was cleared (then every TPM key of this store is gone for good: delete the store, or its tpm2-srk.json, and start again), or something between this process and the TPM is answering in its place (an interposer on the bus, a wrong tcti): check the tcti and the machine before trusting it',
      },
    );
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
  keyGuarantees: tpmKeyGuarantees,
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
      return new Tpm2Backend(conn, ctx);
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
