import { KeystoreError } from '../core/errors';
import { isRawNativeError, type RawNativeError } from './native-errors';

/**
 * What a TSS2_RC means to a caller of device-keystore: the one table. The addon reports the raw
 * TSS2_RC with its Tss2_RC_Decode text and the ESYS call (native/linux-tpm/tpm_device.cc); this
 * turns it into a KeystoreError with a stable code, a hint and the raw `tpmRc`.
 */

export const TSS2_DOMAIN = 'tss2';

// tss2_common.h / tss2_tpm2_types.h
const LAYER_MASK = 0xff << 16;
const LAYER = { TPM: 0, ESAPI: 7 << 16, SYS: 8 << 16, TCTI: 10 << 16, RESMGR_TPM: 12 << 16 };
const BASE = {
  NO_CONNECTION: 8,
  TRY_AGAIN: 9,
  IO_ERROR: 10,
  MALFORMED_RESPONSE: 17,
  RSP_AUTH_FAILED: 27,
};
/** Commands whose authorization is a key's own authValue (its PIN), not an owner password. */
const KEY_AUTH_CALLS = ['TPM2_Sign', 'TPM2_ECDH_ZGen'];
/** Calls authorized by the endorsement hierarchy's (empty) password: EKs and their policy. */
const ENDORSEMENT_AUTH_CALLS = ['Esys_PolicySecret (endorsement)', 'Esys_CreatePrimary (EK)'];
const RC = {
  FMT1: 0x080,
  AUTH_FAIL: 0x08e,
  BAD_AUTH: 0x0a2,
  REFERENCE_H0: 0x910,
  REFERENCE_H6: 0x916,
  LOCKOUT: 0x921,
  OBJECT_MEMORY: 0x902,
  SESSION_MEMORY: 0x903,
};

/** The connection to the TPM failed (the TPM restarted, swtpm was killed, a socket error). */
export function isTransportFailure(rc: number): boolean {
  const layer = (rc & LAYER_MASK) >>> 0;
  const base = rc & 0xffff;
  return (
    (layer === LAYER.TCTI || layer === LAYER.ESAPI || layer === LAYER.SYS) &&
    [BASE.NO_CONNECTION, BASE.TRY_AGAIN, BASE.IO_ERROR, BASE.MALFORMED_RESPONSE].includes(base)
  );
}

/** The TPM's own response code with the handle/session/parameter number stripped; 0 if none. */
export function tpmCode(rc: number): number {
  const layer = (rc & LAYER_MASK) >>> 0;
  if (layer !== LAYER.TPM && layer !== LAYER.RESMGR_TPM) return 0;
  const code = rc & 0xfff;
  return code & RC.FMT1 ? (code & 0x3f) | RC.FMT1 : code;
}

const hex = (rc: number) => `0x${(rc >>> 0).toString(16).toUpperCase()}`;

function fromStatus(e: RawNativeError, tcti: string): KeystoreError {
  const rc = e.status!;
  const text = `${e.statusText ?? 'unknown'} (${hex(rc)})`;
  const failed = `${e.call ?? 'tss2'} failed: ${text}`;
  const err = (
    code: ConstructorParameters<typeof KeystoreError>[0],
    message: string,
    hint?: string,
  ) => new KeystoreError(code, message, { tpmRc: rc, ...(hint ? { hint } : {}) });
  if (e.call === 'Tss2_TctiLdr_Initialize') {
    return err(
      'E_TPM_UNAVAILABLE',
      `cannot reach the TPM through ${tcti}: ${text}`,
      'check the tcti option / DEVICE_KEYSTORE_TCTI and that the TPM is running',
    );
  }
  if (e.call === 'Esys_Initialize')
    return err('E_TPM_UNAVAILABLE', failed, 'check that the TPM is running');
  // ESAPI's BAD_SEQUENCE: a command cut off by a dying connection left the context mid-command.
  // Seen when swtpm is killed under load; the TPM is not answering, not refusing.
  if ((rc & LAYER_MASK) >>> 0 === LAYER.ESAPI && (rc & 0xffff) === 7) {
    return err(
      'E_TPM_UNAVAILABLE',
      `the TPM connection broke in the middle of a command: ${failed}`,
      `check that the TPM is reachable through ${tcti}, then retry`,
    );
  }
  if (isTransportFailure(rc)) {
    return err(
      'E_TPM_UNAVAILABLE',
      `the TPM stopped answering: ${failed}`,
      `check that the TPM is reachable through ${tcti}, then retry`,
    );
  }
  const code = tpmCode(rc);
  if (code >= RC.REFERENCE_H0 && code <= RC.REFERENCE_H6) {
    return err(
      'E_TPM',
      `the TPM lost the objects loaded by this process: ${failed}`,
      'the TPM was restarted or another program flushed its objects; retry',
    );
  }
  if (code === RC.OBJECT_MEMORY || code === RC.SESSION_MEMORY) {
    // The addon evicts its own keys and retries (tpm_device.cc, WithFreeSlot); this reaches the
    // caller only when other clients hold the slots, which a resource manager would virtualise.
    const what = code === RC.OBJECT_MEMORY ? 'object' : 'session';
    return err(
      'E_TPM_OBJECT_MEMORY',
      `the TPM has no free ${what} slot, and the ones in use are not this process's: ${failed}`,
      `other programs are using the TPM without a resource manager; use the kernel's (tcti device:/dev/tpmrm0) or tpm2-abrmd (tcti tabrmd) so that each program gets its own slots, or run one TPM client at a time`,
    );
  }
  if (code === RC.LOCKOUT) {
    return err(
      'E_TPM_LOCKOUT',
      `the TPM is in dictionary-attack lockout: ${failed}`,
      'wait for the lockout to expire, or clear it with the lockout authorization (tpm2_dictionarylockout --clear-lockout)',
    );
  }
  if ((rc & LAYER_MASK) >>> 0 === LAYER.ESAPI && (rc & 0xffff) === BASE.RSP_AUTH_FAILED) {
    return err(
      'E_TPM_INTEGRITY',
      `the TPM's response to ${e.call ?? 'a command'} failed its check (${e.detail ?? text}); nothing from it was used`,
      'something between this process and the TPM (a bus interposer, a broken relay or resource manager) changed the response; retrying is safe, but a repeat means the path to the TPM cannot be trusted',
    );
  }
  if ((code === RC.AUTH_FAIL || code === RC.BAD_AUTH) && KEY_AUTH_CALLS.includes(e.call ?? '')) {
    return err(
      'E_TPM_AUTH',
      `the TPM refused the key's authorization: ${failed}`,
      "for a key with a PIN, the PIN is wrong (each wrong PIN counts towards the TPM's dictionary-attack lockout); for a key without one, another program flushed it and its handle now names that program's object: use a resource manager (tcti device:/dev/tpmrm0 or tabrmd)",
    );
  }
  if (
    (code === RC.AUTH_FAIL || code === RC.BAD_AUTH) &&
    ENDORSEMENT_AUTH_CALLS.includes(e.call ?? '')
  ) {
    return err(
      'E_TPM_AUTH',
      `the TPM refused the endorsement hierarchy's authorization, which device-keystore gives as empty: ${failed}`,
      "this TPM's endorsement hierarchy has a password (set with tpm2_changeauth -c e, or by a management tool); device-keystore does not take one, so it cannot create or use the EK here: attestation needs the endorsement password cleared. Signing, ECDH and secrets do not use the endorsement hierarchy and keep working",
    );
  }
  if (code === RC.AUTH_FAIL || code === RC.BAD_AUTH) {
    return err(
      'E_TPM_AUTH',
      `the TPM refused the authorization: ${failed}`,
      'if the owner hierarchy has a password, pass it as the tpmOwnerAuth option (DEVICE_KEYSTORE_TPM_OWNER_AUTH)',
    );
  }
  return err('E_TPM', failed);
}

/** The KeystoreError for a raw error of the TPM binding; anything else is returned as it is. */
export function tpmError(err: unknown, tcti: string): unknown {
  if (!isRawNativeError(err)) return err;
  if (err.domain === TSS2_DOMAIN && typeof err.status === 'number') return fromStatus(err, tcti);
  const detail = err.detail ?? err.message;
  // Failures the addon names itself; tpmRc 0: no TSS2_RC describes them.
  switch (err.reason) {
    case 'closed':
      return new KeystoreError('E_CLOSED', 'this TPM connection was closed');
    case 'tss2-missing':
      return new KeystoreError('E_TPM_UNAVAILABLE', detail);
    case 'bad-argument':
      return new KeystoreError('E_INVALID_ARGUMENT', detail, { tpmRc: 0 });
    case 'corrupt':
      return new KeystoreError('E_TPM', detail, { tpmRc: 0, hint: 'the key file is corrupt' });
    case 'srk-mismatch':
      return new KeystoreError(
        'E_TPM_SRK_MISMATCH',
        `the TPM's storage key is not the one this store was made with, so nothing was sent to it: ${detail}`,
        {
          tpmRc: 0,
          hint: 'either the TPM was cleared (then every key of this store is gone for good: delete the store or its tpm2-srk.json and start again), or something between this process and the TPM is answering in its place (an interposer on the bus, a wrong tcti): check the tcti and the machine before trusting it',
        },
      );
    case 'unsupported-parent':
      return new KeystoreError('E_TPM', detail, {
        tpmRc: 0,
        hint: 'keys must be children of the owner-hierarchy SRK (0x40000001) or 0x81000001',
      });
    default:
      return new KeystoreError('E_TPM', detail, { tpmRc: 0 });
  }
}
