// A separate process using a store made by the test: node fixture-use-key.cjs DIR BACKEND ALIAS [SECRET]
// Prints { publicKey, signature, secret } as JSON, or { code, message, osStatus } on stderr and exits 1.
'use strict';
const path = require('node:path');
const { Keystore } = require(path.join(__dirname, '..', '..', 'dist', 'index.js'));

async function main() {
  const [dir, backend, alias, secret] = process.argv.slice(2);
  const ks = await Keystore.open({ dir, backend });
  try {
    const key = await ks.getKey(alias);
    const signature = await key.sign('signed in a child process');
    const out = {
      tier: key.tier,
      publicKey: key.exportPublicKey('pem'),
      signature: signature.toString('base64'),
      secret: secret ? (await ks.secrets.get(secret)).toString('utf8') : null,
    };
    process.stdout.write(JSON.stringify(out));
  } finally {
    await ks.close();
  }
}

main().catch((err) => {
  process.stderr.write(
    JSON.stringify({ code: err.code, message: err.message, osStatus: err.osStatus }),
  );
  process.exit(1);
});
