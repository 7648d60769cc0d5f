'use strict';
// Report-only (.github/workflows/windows.yml): what the Microsoft Platform Crypto Provider does
// on this machine. Prints doctor's Windows facts (with, for each provider, the usage policy that
// held and the public blob's dwMagic, curve, algorithm and usage), then, if the PCP's probe
// passed, a windows-tpm
// round trip step by step (create, sign verified by node:crypto, ECDH against node:crypto, a
// second process, seal/unseal, delete). One JSON line per step; it always exits 0, because a
// hosted runner may have no TPM: the output is the finding.
//   node scripts/windows/pcp-report.cjs   (after npm run build)
const { createHash, diffieHellman, generateKeyPairSync, verify } = require('node:crypto');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const dist = path.join(__dirname, '..', '..', 'dist');
const { windowsFacts } = require(path.join(dist, 'tiers', 'windows', 'provider.js'));
const { Keystore } = require(path.join(dist, 'index.js'));

const print = (step, result) => console.log(JSON.stringify({ step, ...result }));
const failure = (err) => ({
  ok: false,
  code: err && err.code,
  osStatus: err && err.osStatus,
  message: String((err && err.message) || err),
});

async function step(name, fn) {
  try {
    const detail = await fn();
    print(name, { ok: true, ...(detail === undefined ? {} : { detail }) });
    return true;
  } catch (err) {
    print(name, failure(err));
    return false;
  }
}

async function main() {
  const facts = await windowsFacts();
  print('doctor', { facts });
  // What issue 19 waits for from a real PCP: which usage policy let one ECDH_P256 key both sign
  // and agree, and what its public blob and properties say (dwMagic, curve, algorithm, usage).
  for (const [name, p] of [
    ['pcp key', facts.platformCryptoProvider],
    ['ksp key', facts.softwareKsp],
  ]) {
    print(name, {
      usable: p.usable,
      usagePolicy: p.usagePolicy ?? null,
      key: p.key ?? null,
      ...(p.reason ? { reason: p.reason } : {}),
    });
  }
  if (!facts.platformCryptoProvider.usable) {
    print('windows-tpm round trip', { ok: false, skipped: 'the PCP probe did not pass (above)' });
    return;
  }
  process.env.DEVICE_KEYSTORE_NCRYPT_PROVIDERS = 'platform';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dk-pcp-'));
  let ks;
  try {
    if (
      !(await step('open', async () => {
        ks = await Keystore.open({ dir, backend: 'windows-tpm' });
        const d = await ks.describe();
        return { tier: d.tier, hardwareBacked: d.hardwareBacked, extractableBy: d.extractableBy };
      }))
    )
      return;
    let key;
    const t0 = Date.now();
    if (
      !(await step('createKey', async () => {
        key = await ks.createKey('pcp-report');
        return { ms: Date.now() - t0 };
      }))
    )
      return;
    const message = Buffer.from('signed inside the TPM through the PCP');
    await step('sign (node:crypto verifies)', async () => {
      const t = Date.now();
      const sig = await key.sign(message);
      if (!verify('sha256', message, key.publicKey, sig)) throw new Error('does not verify');
      const digest = createHash('sha256').update(message).digest();
      const pre = await key.sign(digest, { prehashed: true });
      if (!verify('sha256', message, key.publicKey, pre))
        throw new Error('prehashed does not verify');
      return { msPerSignature: (Date.now() - t) / 2 };
    });
    await step('ecdh (equal to node:crypto)', async () => {
      const peer = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const ours = await key.ecdh(peer.publicKey);
      const theirs = diffieHellman({ privateKey: peer.privateKey, publicKey: key.publicKey });
      if (!ours.equals(theirs)) throw new Error('the shared secrets differ');
    });
    await step('a second process signs with the key', async () => {
      const script = `const { Keystore } = require(${JSON.stringify(path.join(dist, 'index.js'))});
        (async () => { const ks = await Keystore.open({ dir: process.argv[1], backend: 'windows-tpm' });
          process.stdout.write((await (await ks.getKey('pcp-report')).sign('second')).toString('base64'));
          await ks.close(); })().catch((e) => { process.stderr.write(e.code + ' ' + e.message); process.exit(1); });`;
      const r = spawnSync(process.execPath, ['-e', script, dir], {
        encoding: 'utf8',
        timeout: 120000,
      });
      if (r.status !== 0) throw new Error(`exit ${r.status}: ${r.stderr}`);
      if (!verify('sha256', Buffer.from('second'), key.publicKey, Buffer.from(r.stdout, 'base64')))
        throw new Error('its signature does not verify');
    });
    await step('seal and unseal a secret', async () => {
      await ks.secrets.set('token', 'a capability token');
      if ((await ks.secrets.get('token')).toString() !== 'a capability token')
        throw new Error('differs');
    });
    await step('deleteKey', () => ks.deleteKey('pcp-report'));
  } finally {
    if (ks) await ks.close().catch(() => {});
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => print('report', failure(err)));
