// The quickstart's main job, with the real CLI: create an identity on the best available tier,
// sign a message, verify the signature (with the CLI and with node:crypto). The store goes to
// $DEVICE_KEYSTORE_DIR when set, else to a fresh temporary directory that is removed afterwards.
import { execFileSync } from 'node:child_process';
import { createPublicKey, verify } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli', 'main.js');
const temp = process.env.DEVICE_KEYSTORE_DIR
  ? undefined
  : mkdtempSync(join(tmpdir(), 'device-keystore-demo-'));
const dir = process.env.DEVICE_KEYSTORE_DIR ?? join(temp, 'store');

function run(args, input) {
  console.log(`$ device-keystore ${args.join(' ')}`);
  const out = execFileSync(process.execPath, [cli, ...args, '--dir', dir], {
    input,
    encoding: 'utf8',
  });
  process.stdout.write(out);
  return out;
}

try {
  run(['init', '--name', 'demo-device']);
  run(['info']);
  const message = `hello from ${process.pid} at ${new Date().toISOString()}`;
  const msgFile = join(temp ?? tmpdir(), `demo-message-${process.pid}.txt`);
  writeFileSync(msgFile, message);
  const signature = run(['sign', '--in', msgFile]).trim();
  const sigFile = `${msgFile}.sig`;
  writeFileSync(sigFile, signature + '\n');
  run(['verify', '--in', msgFile, '--signature', sigFile]);
  const pem = run(['public-key', '--format', 'pem']);
  const ok = verify(
    'sha256',
    Buffer.from(message),
    createPublicKey(pem),
    Buffer.from(signature, 'base64'),
  );
  console.log(`node:crypto verifies the signature independently: ${ok ? 'yes' : 'NO'}`);
  if (!temp) {
    rmSync(msgFile);
    rmSync(sigFile);
  }
  if (!ok) process.exitCode = 1;
} finally {
  if (temp) rmSync(temp, { recursive: true, force: true });
}
