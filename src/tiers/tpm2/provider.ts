import { randomBytes } from 'node:crypto';
// node:fs only to probe the TPM's device node; the store keeps every file of a key.
import { KeystoreError, corrupt, invalidArgument, isKeystoreError } from '../../core/errors';
import { aesGcmOpen } from '../../crypto/aead';
import { KEY_ATTRIBUTES, TPMA_OBJECT, marshalEccKeyTemplate } from '../../crypto/tpm2-structures';
import { decodeTss2Pem, encodeTss2Pem } from '../../crypto/tss2-pem';
import { type NativeTpmConnection } from '../../addon/load';
import { RecordReader } from '../../core/json-record';
import { secretAad } from '../../core/aad';
import type {
  Backend,
  BackendContext,
  GeneratedKey,
  ImportOptions,
  LoadKeyOptions,
  NewKeyOptions,
  TierProvider,
} from '../tier';
import type { KeyHandle } from '../../core/key-handle';
import type { KeyRecord, NewKeyHeader, SecretRecord } from '../../core/records';
import { TpmKeyHandle } from './key-handle';
import { PinCache } from '../pin-cache';
import { pinStorageKey, OWNER_PARENT, connect } from './connect';
import {
  CERTIFYING_ATTRIBUTES,
  CERTIFYING_POLICY,
  notATss2Key,
  importComplaint,
  checkLoadableKey,
  type TpmKey,
  storeComplaint,
  PEM_SUFFIX,
  isPinKey,
  tpmKeyGuarantees,
} from './key-checks';
import { tpmFacts } from './facts';
import { GUARANTEES } from './key-checks';
import { TpmAttestation } from './attestation';

/**
 * The TPM 2.0 tier: P-256 keys created inside the TPM under the owner hierarchy's H-2 SRK.
 * The private key leaves the TPM only wrapped by the SRK (TPM2B_PRIVATE), as a TSS2 PRIVATE KEY
 * PEM that the store keeps next to the key's JSON record, so tpm2-openssl and ssh-tpm-agent can
 * use our keys and we can use theirs. The C++ addon does the TPM calls; this file decides what to call.
 */

/**
 * What protects a TPM key, and what does not: said in describe() and `info`, not only in the
 * docs. Our keys have an empty authValue and no PCR policy.
 */
export const TPM_KEY_ACCESS =
  'TPM keys made without a PIN have an empty authorization value and no PCR policy: anyone who ' +
  'can read the key files of this store and open the TPM (root, members of the tss group) can ' +
  'sign and run ECDH with them on this machine; the private keys still never leave the TPM. ' +
  "Keys made with createKey's pin need the PIN, and wrong PINs count towards the TPM's lockout";

class Tpm2Backend implements Backend {
  readonly tier = GUARANTEES.tier;
  readonly hardwareBacked = GUARANTEES.hardwareBacked;
  readonly extractableBy = GUARANTEES.extractableBy;
  readonly maxSecretBytes = 64 * 1024;
  readonly pinKeys = true;
  readonly #pins = new PinCache();
  readonly attestation: TpmAttestation;
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
  ) {
    this.attestation = new TpmAttestation(conn, ctx.tpmAttestationKey, this.#ready);
  }

  /**
   * A certifying key (header.usage) gets CERTIFYING_POLICY and no decrypt. With a PIN, the key's
   * authValue is the PIN and it lacks noDA: the TPM counts wrong PINs towards its lockout. The
   * PIN crosses the bus only inside the salted session's encrypted parameter (TPM2_Create's
   * sensitive area), never in a password session. A PIN key's certifying key gets the same PIN
   * (and is not noDA): userWithAuth stays set, so it signs with the PIN through the same HMAC
   * session, and its authPolicy only marks its usage (no policy session can reach it).
   */
  async generateKey(header: NewKeyHeader, opts: NewKeyOptions = {}): Promise<GeneratedKey> {
    await this.#ready();
    const attributes = header.usage === 'certify' ? CERTIFYING_ATTRIBUTES : KEY_ATTRIBUTES;
    const template = marshalEccKeyTemplate(
      opts.pin ? attributes & ~TPMA_OBJECT.noDA : attributes,
      header.usage === 'certify' ? CERTIFYING_POLICY : undefined,
    );
    const blobs = await this.conn.createKey(OWNER_PARENT, template, undefined, opts.pin);
    const made = this.#adopt({ parent: OWNER_PARENT, ...blobs }, opts.pin !== undefined);
    if (opts.samePinAs) this.#pins.share(made.handle, opts.samePinAs);
    return made;
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
      handle: new TpmKeyHandle(
        this.conn,
        key,
        checked,
        this.#pins,
        this.#ready,
        pinKey,
        this.attestation,
      ),
    };
  }

  async loadKey(record: KeyRecord, file: string, opts: LoadKeyOptions = {}): Promise<KeyHandle> {
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
    const handle = new TpmKeyHandle(
      this.conn,
      { parent: decoded.parent, publicBlob: decoded.publicBlob, privateBlob: decoded.privateBlob },
      checked,
      this.#pins,
      this.#ready,
      pinKey,
      this.attestation,
    );
    if (opts.samePinAs) this.#pins.share(handle, opts.samePinAs);
    return handle;
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
