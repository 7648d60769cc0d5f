import type { SecretBytes } from '../crypto/secret-bytes';
import type { StorePaths } from './paths';

/** What `Keystore.open` settled on for one store: fixed for the life of the Keystore. */
export interface StoreSettings {
  paths: StorePaths;
  /** A passphrase handed to `Keystore.open`; the file tier only. Never written to disk. */
  passphrase?: SecretBytes;
  lockTimeoutMs: number;
  /** Called with one-line warnings meant for the user (migrations, downgrades). */
  warn: (message: string) => void;
  /** Called while a slow step (key derivation) runs, so a CLI can show progress. */
  onSlowStep?: (label: string, done: boolean) => void;
  /** TPM transport (TCTI string). */
  tcti?: string;
  /** The TPM owner hierarchy's password, for TPMs that have one. */
  tpmOwnerAuth?: SecretBytes;
}
