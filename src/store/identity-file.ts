import { createPublicKey, type KeyObject } from 'node:crypto';
import type { TierName } from '../core/tiers';
import { corrupt, invalidArgument } from '../core/errors';
import { pemFromRaw } from '../crypto/p256';
import { readRecord, writeRecord } from './records';
import { RecordReader } from '../core/json-record';
import { TIERS } from '../core/tiers';
import { deviceIdOf } from '../crypto/device-id';

/**
 * The identity record (identity.json): who this device says it is. It holds only public data
 * and can be shared as it is. This is its JSON form, as stored and as exported.
 */
export interface IdentityJSON {
  name: string;
  /** base64url(SHA-256(SPKI DER of the identity public key)). */
  deviceId: string;
  tier: TierName;
  keyAlias: string;
  /** SPKI PEM. */
  publicKey: string;
  createdAt: string;
}

/** The identity as the API hands it out: the public key as a KeyObject, PEM in its JSON. */
export interface Identity extends Omit<IdentityJSON, 'publicKey'> {
  publicKey: KeyObject;
  toJSON(): IdentityJSON;
}

/** toJSON lives on the prototype, so the fields are all an identity's own properties. */
class IdentityEntry implements Identity {
  name: string;
  deviceId: string;
  tier: TierName;
  keyAlias: string;
  publicKey: KeyObject;
  createdAt: string;

  constructor(json: IdentityJSON) {
    ({
      name: this.name,
      deviceId: this.deviceId,
      tier: this.tier,
      keyAlias: this.keyAlias,
      createdAt: this.createdAt,
    } = json);
    this.publicKey = createPublicKey(json.publicKey);
  }

  toJSON(): IdentityJSON {
    const { name, deviceId, tier, keyAlias, createdAt } = this;
    const publicKey = this.publicKey.export({ type: 'spki', format: 'pem' }) as string;
    return { name, deviceId, tier, keyAlias, publicKey, createdAt };
  }
}

/** The API's form of a stored identity (whose public key the identity room has checked). */
export function identityFrom(json: IdentityJSON): Identity {
  const { name, deviceId, tier, keyAlias, publicKey, createdAt } = json;
  return new IdentityEntry({ name, deviceId, tier, keyAlias, publicKey, createdAt });
}

const FORMAT = 'device-keystore/identity';
const VERSION = 1;

export function makeIdentity(
  name: string,
  tier: TierName,
  keyAlias: string,
  publicKeyRaw: Buffer,
  createdAt: string,
): IdentityJSON {
  return {
    name,
    deviceId: deviceIdOf(publicKeyRaw),
    tier,
    keyAlias,
    publicKey: pemFromRaw(publicKeyRaw),
    createdAt,
  };
}

export function identityBody(identity: IdentityJSON) {
  return { format: FORMAT, version: VERSION, ...identity };
}

export async function writeIdentityFile(file: string, identity: IdentityJSON): Promise<void> {
  await writeRecord(file, identityBody(identity));
}

export async function readIdentityFile(file: string): Promise<IdentityJSON> {
  // A legacy `passphrase` field is outside the checksum; the file tier migrates it away.
  const body = await readRecord(file, 'identity file', ['passphrase']);
  const r = new RecordReader(file, body);
  r.literal('format', FORMAT);
  r.literal('version', VERSION);
  const tier = r.string('tier');
  if (!(TIERS as readonly string[]).includes(tier)) throw corrupt(file, `unknown tier "${tier}"`);
  const identity: IdentityJSON = {
    name: r.string('name'),
    deviceId: r.string('deviceId'),
    tier: tier as TierName,
    keyAlias: r.string('keyAlias'),
    publicKey: r.string('publicKey'),
    createdAt: r.string('createdAt'),
  };
  return identity;
}

/** Name rules: printable, bounded, no control characters that could spoof terminal output. */
export function validateIdentityName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > 128) {
    throw invalidArgument('the identity name must be a string of 1-128 characters');
  }
  if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) {
    throw invalidArgument('the identity name must not contain control characters');
  }
  return name;
}
