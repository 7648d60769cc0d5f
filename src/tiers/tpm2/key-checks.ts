import { createHash } from 'node:crypto';
import { KeystoreError, corrupt, invalidArgument } from '../../core/errors';
import {
  KEY_ATTRIBUTES,
  TPM2_ALG,
  TPMA_OBJECT,
  parseTpm2bPublic,
  publicPointOf,
} from '../../crypto/tpm2-structures';
import { decodeTss2Pem, type DecodedTss2Key } from '../../crypto/tss2-pem';
import type { UserPresence, KeyGuarantees } from '../../core/tiers';
import type { KeyRecord } from '../../core/records';
import { OWNER_PARENT, PERSISTENT_SRK } from './connect';

/**
 * Which TPM keys we make, load and import: the templates' attributes, what a key's public area
 * says about where it was made, and the refusals, worded for import (the caller's input) or for
 * load (a store file).
 */

/** What every TPM key gets, unless its own public area says it was made outside this TPM. */
export const GUARANTEES = { tier: 'tpm2', hardwareBacked: true, extractableBy: 'nobody' } as const;

// ---- keys ---------------------------------------------------------------------------------

/** The side file the store keeps for each TPM key: what tpm2-openssl and ssh-tpm-agent read. */
export const PEM_SUFFIX = '.tss2.pem';

export interface TpmKey {
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
export const CERTIFYING_ATTRIBUTES = KEY_ATTRIBUTES & ~TPMA_OBJECT.decrypt;

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
export const importComplaint: Complain = (what, hint) =>
  invalidArgument(`the imported key is not usable: ${what}`, hint ?? IMPORT_ACCEPTS);

/** Errors about a key file of the store: E_CORRUPT, except for a key an old release imported. */
export function storeComplaint(source: string): Complain {
  return (what) =>
    what.startsWith('it is not a key made in and bound to a TPM')
      ? new KeystoreError('E_INVALID_ARGUMENT', `${source}: ${what}`, {
          path: source,
          hint: 'an earlier release imported this key without checking where it was made; delete it and create the key in the TPM, or import one made there',
        })
      : corrupt(source, what);
}

/** Names input that is not a TSS2 PRIVATE KEY, for the import's error. */
export function notATss2Key(material: string | Buffer): string | undefined {
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
export function isPinKey(emptyAuth: boolean, objectAttributes: number): boolean {
  return !emptyAuth && (objectAttributes & TPMA_OBJECT.noDA) === 0;
}
