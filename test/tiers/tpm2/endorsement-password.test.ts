/**
 * A TPM whose endorsement hierarchy has a password (tpm2_changeauth -c e): device-keystore
 * authorizes the EK's PolicySecret with an empty one, so activation is refused. The error must
 * say which hierarchy and what to do (before, it pointed at the owner password, the wrong one),
 * and what does not use the endorsement hierarchy must keep working. A real swtpm with EKs.
 */
import { randomBytes, verify as cryptoVerify } from 'node:crypto';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Keystore, makeCredential } from '../../../src/index';
import { EkTpm } from '../../helpers/attestation';
import { Stores, caught, makeTempDir, removeDir, tpm2 } from '../../helpers/tpm';

describe('an endorsement hierarchy with a password', () => {
  let tpm: EkTpm;
  let dir: string;
  const stores = new Stores();
  let ks: Keystore;

  beforeAll(async () => {
    tpm = await EkTpm.create();
    dir = await makeTempDir('eh-password');
    ks = await stores.add({ dir: path.join(dir, 'a'), backend: 'tpm2', tcti: tpm.tpm.tcti });
  }, 180_000);

  afterAll(async () => {
    await stores.closeAll();
    await tpm?.stop();
    await removeDir(dir);
  });

  it('refuses activation with E_TPM_AUTH naming that hierarchy; signing keeps working', async () => {
    const ek = (await ks.endorsement()).keys.find((k) => k.certificate)!;
    const ak = await ks.attestationKey();
    const set = await tpm2(tpm.tpm.tcti, 'tpm2_changeauth', ['-c', 'e', 'endorsement-secret']);
    expect(set.code, set.stderr).toBe(0);
    const err = await caught(() =>
      ks.activateCredential(makeCredential(ek.publicArea, ak.name, randomBytes(32))),
    );
    expect(err.code, String(err)).toBe('E_TPM_AUTH');
    expect(err.message).toMatch(/endorsement hierarchy/);
    expect(err.hint).toMatch(/tpm2_changeauth -c e/);
    expect(err.hint).not.toMatch(/tpmOwnerAuth/);
    // Keys live under the owner hierarchy: unaffected.
    const key = await ks.createKey('still-signs');
    const msg = Buffer.from('after the endorsement password was set');
    const sig = await key.sign(msg);
    expect(cryptoVerify('sha256', msg, key.publicKey, sig)).toBe(true);
  });
});
