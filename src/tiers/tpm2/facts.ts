import type { BackendContext } from '../tier';
import { connect } from './connect';

/** What `doctor` and detection learn from the TPM's properties, without touching a key. */

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
