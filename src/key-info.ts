import { type KeyObject } from 'node:crypto';
import {
  extractabilityOf,
  type ExtractableBy,
  type UserPresence,
  type TierName,
} from './core/tiers';
import { type KeyHeader } from './core/records';
import { publicKeyObjectFromRaw } from './crypto/p256';

/** What a key is, as listKeys() and key.info() report it: tier, guarantees, usage, public key. */

export interface KeyInfoJSON {
  alias: string;
  tier: TierName;
  hardwareBacked: boolean;
  /** True when anyone (the OS account owner, a passphrase holder) can get the key out. */
  extractable: boolean;
  /** 'unknown' for a tpm2 key an earlier release imported from software (see listKeys). */
  extractableBy: ExtractableBy;
  /** 'pin' for a key each use of which needs its PIN; 'none' otherwise. */
  userPresence: UserPresence;
  algorithm: 'ECDSA-P256';
  createdAt: string;
  /** SPKI PEM. */
  publicKey: string;
}

export interface KeyInfo extends Omit<KeyInfoJSON, 'publicKey'> {
  /** The public key, as everywhere in the API. */
  publicKey: KeyObject;
  /** The same fields with the public key as SPKI PEM; what JSON.stringify prints. */
  toJSON(): KeyInfoJSON;
}

interface Guarantees {
  hardwareBacked: boolean;
  extractableBy: ExtractableBy;
  userPresence?: UserPresence;
}

/** toJSON lives on the prototype, so the fields are all an info's own properties. */
export class KeyInfoEntry implements KeyInfo {
  alias: string;
  tier: TierName;
  hardwareBacked: boolean;
  extractable: boolean;
  extractableBy: ExtractableBy;
  userPresence: UserPresence;
  algorithm: 'ECDSA-P256' = 'ECDSA-P256';
  createdAt: string;
  publicKey: KeyObject;

  constructor(
    fields: { alias: string; tier: TierName; createdAt: string; publicKey: KeyObject },
    guarantees: Guarantees,
  ) {
    ({ alias: this.alias, tier: this.tier, createdAt: this.createdAt } = fields);
    this.hardwareBacked = guarantees.hardwareBacked;
    ({ extractable: this.extractable, extractableBy: this.extractableBy } =
      extractabilityOf(guarantees));
    this.userPresence = guarantees.userPresence ?? 'none';
    this.publicKey = fields.publicKey;
  }

  toJSON(): KeyInfoJSON {
    const { alias, tier, hardwareBacked, extractable, extractableBy, userPresence } = this;
    const { algorithm, createdAt } = this;
    const publicKey = this.publicKey.export({ type: 'spki', format: 'pem' }) as string;
    return {
      alias,
      tier,
      hardwareBacked,
      extractable,
      extractableBy,
      userPresence,
      algorithm,
      createdAt,
      publicKey,
    };
  }
}

/** Each key's handle, for rememberPin: not a method, so not part of DeviceKey's API. */

/** A key's info straight from its record, without loading the key (listKeys). */
export function keyInfoFromRecord(record: KeyHeader, guarantees: Guarantees): KeyInfo {
  return new KeyInfoEntry(
    { ...record, publicKey: publicKeyObjectFromRaw(record.publicKey) },
    guarantees,
  );
}
