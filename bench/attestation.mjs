// The server side of TPM key attestation, measured side by side in one run on one core:
// verifyKeyAttestation per second against crypto.verify of one P-256 signature (the floor: a
// statement costs one ECDSA verify, one hash and a parse), (a) with the EK chain validated once
// per device and passed as `endorsement`, (b) with the chain validated in every call.
// The statement is real: tpm2_certify (tpm2-tools) of a key with our attributes by an AK under
// the EK of a swtpm whose EK certificate swtpm_setup made (DESIGN §11).
// Run: npm run bench:attestation   (builds first; needs swtpm, swtpm-tools, tpm2-tools). --json
import * as crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sideBySide } from './measure.mjs';
import { startSwtpm } from './swtpm.mjs';

const require = createRequire(import.meta.url);
const dk = require('../dist/index.js');
const asJson = process.argv.includes('--json');
const log = (...a) => !asJson && console.log(...a);

/** A swtpm state with EK certificates from a private swtpm-localca in `dir`. */
function manufacture(dir) {
  const ca = join(dir, 'ca');
  mkdirSync(ca);
  mkdirSync(join(dir, 'state'));
  const conf = ['statedir', 'signingkey', 'issuercert', 'certserial'];
  const files = ['', '/signkey.pem', '/issuercert.pem', '/certserial'];
  writeFileSync(join(dir, 'ca.conf'), conf.map((k, i) => `${k} = ${ca}${files[i]}\n`).join(''));
  writeFileSync(
    join(dir, 'ca.options'),
    '--platform-manufacturer bench\n--platform-version 2.1\n--platform-model bench\n',
  );
  writeFileSync(
    join(dir, 'setup.conf'),
    `create_certs_tool = /usr/bin/swtpm_localca\ncreate_certs_tool_config = ${dir}/ca.conf\ncreate_certs_tool_options = ${dir}/ca.options\n`,
  );
  execFileSync(
    'swtpm_setup',
    [
      ...['--tpm2', '--tpmstate', join(dir, 'state'), '--create-ek-cert', '--create-platform-cert'],
      ...['--config', join(dir, 'setup.conf')],
    ],
    { stdio: 'pipe' },
  );
}

const dir = mkdtempSync(join(tmpdir(), 'dk-bench-attest-'));
let swtpm;
try {
  manufacture(dir);
  swtpm = await startSwtpm(join(dir, 'state'));
  const tool = (cmd, ...args) =>
    execFileSync(cmd, args, {
      cwd: dir,
      env: { ...process.env, TPM2TOOLS_TCTI: swtpm.tcti, TSS2_LOG: 'all+none' },
      stdio: 'pipe',
    });
  const run = (line) => tool(...line.split(' '));
  run('tpm2_createak -C 0x81010001 -c ak.ctx -G ecc -g sha256 -s ecdsa -u ak.pub -n ak.name');
  run('tpm2_evictcontrol -C o -c ak.ctx 0x81010002');
  run('tpm2_flushcontext -t');
  // No resource manager: the SRK is persisted and every transient object flushed (DESIGN §8).
  run('tpm2_createprimary -C o -g sha256 -G ecc256:aes128cfb -c srk.ctx');
  run('tpm2_evictcontrol -C o -c srk.ctx 0x81000001');
  run('tpm2_flushcontext -t');
  run('tpm2_create -C 0x81000001 -G ecc256:null -a 0x00060472 -u key.pub -r key.priv');
  run('tpm2_load -C 0x81000001 -u key.pub -r key.priv -c key.ctx');
  run('tpm2_certify -c key.ctx -C 0x81010002 -g sha256 -o attest.out -s sig.out');
  run('tpm2_flushcontext -t');
  tool('tpm2_nvread', '0x01c00002', '-o', 'ek.der');
  const read = (f) => readFileSync(join(dir, f));
  const statement = dk.encodeTpmStatement(
    dk.buildTpmStatement({
      certInfo: read('attest.out'),
      sig: read('sig.out'),
      pubArea: read('key.pub').subarray(2),
    }),
    'cbor',
  );
  const chain = {
    ekCertificate: read('ek.der'),
    ekIntermediates: [readFileSync(join(dir, 'ca/issuercert.pem'), 'utf8')],
    ekRoots: [readFileSync(join(dir, 'ca/swtpm-localca-rootca-cert.pem'), 'utf8')],
  };
  const base = {
    nonce: Buffer.from('00ff55aa', 'hex'),
    akPublic: read('ak.pub'),
    akName: read('ak.name'),
  };
  const endorsement = dk.verifyEkCertificate(chain.ekCertificate, {
    roots: chain.ekRoots,
    intermediates: chain.ekIntermediates,
  });
  const cached = { ...base, endorsement };
  const every = { ...base, ...chain };
  dk.verifyKeyAttestation(statement, cached);
  dk.verifyKeyAttestation(statement, every);

  const msg = crypto.randomBytes(64);
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const sig = crypto.sign('sha256', msg, privateKey);
  const verifyOne = () => crypto.verify('sha256', msg, publicKey, sig);

  const results = { node: process.version, statementBytes: statement.length };
  results.cachedChain = await sideBySide(
    () => dk.verifyKeyAttestation(statement, cached),
    verifyOne,
  );
  log(
    `verifyKeyAttestation, EK chain cached per device: ${results.cachedChain.oursPerSec}/s, crypto.verify (P-256) ${results.cachedChain.basePerSec}/s, ratio ${results.cachedChain.ratio} (goal >= 0.5)`,
  );
  results.chainEveryTime = await sideBySide(
    () => dk.verifyKeyAttestation(statement, every),
    verifyOne,
  );
  log(
    `verifyKeyAttestation, EK chain validated every time: ${results.chainEveryTime.oursPerSec}/s, crypto.verify ${results.chainEveryTime.basePerSec}/s, ratio ${results.chainEveryTime.ratio}`,
  );
  if (asJson) console.log(JSON.stringify(results, null, 2));
} finally {
  swtpm?.child.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
