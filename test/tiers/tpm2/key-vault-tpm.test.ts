/**
 * The key-vault contract on the tpm2 tier, against a real swtpm: what it claims (a TPM,
 * non-exportable keys, device-bound records; still no user presence or attestation), and records
 * sealed by the TPM-resident vault key. The encrypted-file half is test/api/key-vault.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keystore, createKeyVault } from '../../../src/index';
import { makeTempDir, removeDir, withoutKeystoreEnv } from '../../helpers/api';
import { Swtpm } from '../../helpers/swtpm';

withoutKeystoreEnv();

const RECORD = JSON.stringify({ peer: 'device-C', note: 'identity record 9020' });
const ENVELOPE = Buffer.from('recovery envelope: Skua-Shoal-6644-lanterns');

describe('createKeyVault on the tpm2 tier (swtpm)', () => {
  let tpm: Swtpm;
  let dir: string;
  let ks: Keystore;
  beforeAll(async () => {
    tpm = await Swtpm.start();
    dir = await makeTempDir('vault-tpm');
    ks = await Keystore.open({ dir, tcti: tpm.tcti, backend: 'tpm2' });
    await ks.init({ name: 'vault-tpm' });
  });
  afterAll(async () => {
    await ks?.close();
    await tpm?.stop();
    await removeDir(dir);
  });

  it('claims a TPM, non-exportable keys, device-bound records, and still no presence or attestation', async () => {
    const vault = createKeyVault(ks);
    expect(await vault.capabilities()).toEqual({
      tier: 'tpm2',
      securityLevel: 'tpm',
      nonExportableSigning: true,
      nonExportableKeyAgreement: true,
      userPresence: 'none',
      attestation: 'none',
      recordsBoundTo: 'device',
    });
    const [a, b] = await Promise.all([
      vault.protect('recovery-envelope', ENVELOPE),
      vault.protect('identity-record', RECORD),
    ]);
    expect(Buffer.compare(await vault.unprotect('recovery-envelope', a!), ENVELOPE)).toBe(0);
    expect((await vault.unprotect('identity-record', b!)).toString()).toBe(RECORD);
    const key = (await ks.listKeys()).find((k) => k.alias === 'key-vault');
    expect(key).toMatchObject({ tier: 'tpm2', hardwareBacked: true, extractableBy: 'nobody' });
  });
});
