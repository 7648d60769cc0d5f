/**
 * Run by the production checklist as a separate process: open the store as the product would
 * after a restart, read the identity and sign the parent's challenge with the identity key.
 * Settings arrive on stdin (never argv: a passphrase may be among them); only the device id and
 * the signature are printed.
 */
import { Keystore, type OpenOptions } from '../index';

interface ChildInput {
  open: Omit<OpenOptions, 'passphrase' | 'tpmOwnerAuth' | 'onWarning' | 'onProgress'>;
  passphrase?: string;
  tpmOwnerAuth?: string;
  challenge: string;
}

async function main(): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  const input = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ChildInput;
  const opts: OpenOptions = { ...input.open, onWarning: () => {} };
  if (input.passphrase !== undefined) opts.passphrase = Buffer.from(input.passphrase, 'base64');
  if (input.tpmOwnerAuth !== undefined) {
    opts.tpmOwnerAuth = Buffer.from(input.tpmOwnerAuth, 'base64');
  }
  const ks = await Keystore.open(opts);
  try {
    const identity = await ks.identity();
    const key = await ks.identityKey();
    const signature = await key.sign(Buffer.from(input.challenge, 'base64'));
    process.stdout.write(
      JSON.stringify({
        ok: true,
        pid: process.pid,
        deviceId: identity.deviceId,
        signature: signature.toString('base64'),
      }),
    );
  } finally {
    await ks.close();
  }
}

main().catch((err: { code?: string; message?: string }) => {
  process.stdout.write(
    JSON.stringify({
      ok: false,
      code: err?.code ?? 'E_UNKNOWN',
      message: err?.message ?? String(err),
    }),
  );
  process.exitCode = 1;
});
