// A quick look at the file tier through dist/, for any Node (Windows Node under Wine included):
//   bash scripts/windows/node.sh scripts/windows/smoke.cjs
// Creates a store with an env passphrase and one with a generated one, signs and verifies once
// in each, and prints one line per case. Exit status 1 if any case failed.
const { Keystore, verify } = require('../../dist/index.js');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

async function main() {
  let failed = 0;
  for (const mode of ['env passphrase', 'generated passphrase']) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dk-smoke-'));
    if (mode === 'env passphrase') process.env.DEVICE_KEYSTORE_PASSPHRASE = 'smoke test passphrase';
    else delete process.env.DEVICE_KEYSTORE_PASSPHRASE;
    try {
      const ks = await Keystore.open({ dir, backend: 'encrypted-file' });
      await ks.init({ name: 'smoke' });
      const key = await ks.identityKey();
      const ok = verify(key, 'hello', await key.sign('hello'));
      await ks.close();
      console.log(`${mode}: init, sign, verify ${ok ? 'ok' : 'FAILED (signature did not verify)'}`);
      if (!ok) failed++;
    } catch (err) {
      failed++;
      console.log(`${mode}: FAILED ${err.name} ${err.code}: ${err.message}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  process.exitCode = failed ? 1 : 0;
}
main();
