import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isTransportFailure, tpmCode, tpmError, TSS2_DOMAIN } from '../../../src/addon/tss2-status';
import { ErrorCodes, KeystoreError } from '../../../src/index';
import { NATIVE_REASONS } from '../../../src/addon/native-errors';

// The TSS2_RC table on its own: the addon reports raw statuses, this names them. The TPM tests
// (test/tiers/tpm2/) check the same codes end to end on swtpm.

const TCTI = 'swtpm:host=127.0.0.1,port=2321';

function raw(call: string, status: number, statusText = 'decoded'): Error {
  return Object.assign(new Error(`${call} failed`), {
    call,
    domain: TSS2_DOMAIN,
    status,
    statusText,
  });
}

function named(err: unknown): KeystoreError {
  const e = tpmError(err, TCTI);
  expect(e).toBeInstanceOf(KeystoreError);
  return e as KeystoreError;
}

describe('the TSS2_RC table', () => {
  it('strips the handle/parameter number of format-1 codes, and keeps other layers apart', () => {
    expect(tpmCode(0x1df)).toBe(0x9f); // TPM_RC_INTEGRITY on parameter 1
    expect(tpmCode(0x98e)).toBe(0x8e); // TPM_RC_AUTH_FAIL on session 1
    expect(tpmCode(0x921)).toBe(0x921); // a warning: no number to strip
    expect(tpmCode(0x000c0921)).toBe(0x921); // the resource manager passing the TPM's answer on
    expect(tpmCode(0x000a000a)).toBe(0); // the TCTI's own code, not the TPM's
    expect(isTransportFailure(0x000a000a)).toBe(true); // TCTI IO error
    expect(isTransportFailure(0x00070008)).toBe(true); // ESAPI no connection
    expect(isTransportFailure(0x00090008)).toBe(false); // the MU layer never is
    expect(isTransportFailure(0x921)).toBe(false);
  });

  it('names each status like the 0.1.0 addon did: code, message, hint, tpmRc', () => {
    const cases: [Error, string, RegExp, RegExp | undefined][] = [
      [
        raw('Tss2_TctiLdr_Initialize', 0x000a000a, 'tcti:IO failure'),
        'E_TPM_UNAVAILABLE',
        /^cannot reach the TPM through swtpm:host=127\.0\.0\.1,port=2321: tcti:IO failure \(0xA000A\)/,
        /DEVICE_KEYSTORE_TCTI/,
      ],
      [
        raw('Esys_Initialize', 0x00070001),
        'E_TPM_UNAVAILABLE',
        /^Esys_Initialize failed/,
        /running/,
      ],
      [
        raw('Esys_Load', 0x00070007, 'esapi:Function called in the wrong order'),
        'E_TPM_UNAVAILABLE',
        /^the TPM connection broke in the middle of a command: Esys_Load failed/,
        /reachable through swtpm:host/,
      ],
      [
        raw('Esys_Sign', 0x000a000a, 'tcti:IO failure'),
        'E_TPM_UNAVAILABLE',
        /^the TPM stopped answering: Esys_Sign failed: tcti:IO failure \(0xA000A\)/,
        /reachable through swtpm:host/,
      ],
      [
        raw('Esys_Load', 0x910),
        'E_TPM',
        /^the TPM lost the objects loaded by this process/,
        /restarted/,
      ],
      [
        raw('Esys_Sign', 0x921),
        'E_TPM_LOCKOUT',
        /dictionary-attack lockout: Esys_Sign failed/,
        /lockout/,
      ],
      // Another client holding the TPM's slots (no resource manager): one code, the fix named.
      [
        raw('Esys_Load', 0x902, 'tpm:warn(2.0): out of memory for object contexts'),
        'E_TPM_OBJECT_MEMORY',
        /no free object slot, and the ones in use are not this process's/,
        /\/dev\/tpmrm0.*tpm2-abrmd/,
      ],
      [
        raw('Esys_StartAuthSession (salted)', 0x000c0903),
        'E_TPM_OBJECT_MEMORY',
        /no free session slot/,
        /\/dev\/tpmrm0.*tpm2-abrmd/,
      ],
      [
        raw('Esys_CreatePrimary (SRK)', 0x9a2),
        'E_TPM_AUTH',
        /refused the authorization/,
        /tpmOwnerAuth/,
      ],
      [
        raw('Esys_Load', 0x1df, 'tpm:parameter(1):integrity check failed'),
        'E_TPM',
        /^Esys_Load failed: tpm:parameter\(1\):integrity check failed \(0x1DF\)$/,
        undefined,
      ],
    ];
    for (const [input, code, message, hint] of cases) {
      const e = named(input);
      expect(e.code, e.message).toBe(code);
      expect(e.message).toMatch(message);
      expect(e.tpmRc).toBe((input as unknown as { status: number }).status);
      if (hint) expect(e.hint).toMatch(hint);
      else expect(e.hint).toBeUndefined();
    }
  });

  it("names the endorsement hierarchy, not the owner's, when an EK's authorization is refused", () => {
    for (const call of ['Esys_PolicySecret (endorsement)', 'Esys_CreatePrimary (EK)']) {
      const e = named(raw(call, 0x9a2));
      expect(e.code).toBe('E_TPM_AUTH');
      expect(e.message).toMatch(/endorsement hierarchy/);
      expect(e.hint).toMatch(/tpm2_changeauth -c e/);
      expect(e.hint).not.toMatch(/tpmOwnerAuth/);
    }
  });

  it('names every reason the C++ side reports, and the C++ side decides no code itself', () => {
    const dir = path.join(__dirname, '..', '..', '..', 'native', 'linux-tpm');
    const sources = readdirSync(dir)
      .filter((f) => /\.(cc|h)$/.test(f))
      .map((f) => readFileSync(path.join(dir, f), 'utf8'))
      .join('\n');
    expect(sources.match(/"E_[A-Z_]+"/g)).toBeNull();
    const reasons = new Set(
      [...sources.matchAll(/(?:Ours\(|reason = )"([a-z0-9-]+)"/g)].map((m) => m[1]!),
    );
    expect(reasons.size).toBeGreaterThan(3);
    for (const reason of [...reasons, 'closed']) {
      expect(NATIVE_REASONS as readonly string[], reason).toContain(reason);
      const e = named(Object.assign(new Error('raw'), { reason, detail: `about ${reason}` }));
      expect(ErrorCodes as readonly string[]).toContain(e.code);
    }
    expect(named(Object.assign(new Error('raw'), { reason: 'closed' })).code).toBe('E_CLOSED');
    expect(named(Object.assign(new Error('raw'), { reason: 'corrupt', detail: 'x' })).hint).toMatch(
      /corrupt/,
    );
  });

  it('passes through what is not a raw native error', () => {
    const e = new KeystoreError('E_INVALID_ARGUMENT', 'digest must be 32 bytes');
    expect(tpmError(e, TCTI)).toBe(e);
    const plain = new TypeError('x');
    expect(tpmError(plain, TCTI)).toBe(plain);
  });
});
