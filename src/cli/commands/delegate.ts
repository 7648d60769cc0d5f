import { invalidArgument } from '../../core/errors';
import { writeOutput, writePrivateFile, distinctOutputs, removeOutput } from '../io';
import { purposeOid, sessionTtl } from '../../delegation/options';
import {
  type Command,
  ALIAS_OPTIONS,
  PIN_OPTIONS,
  keyPin,
  str,
  withStore,
  keyByAlias,
  lines,
} from '../command';

export const delegate: Command = {
  options: {
    ...ALIAS_OPTIONS,
    ...PIN_OPTIONS,
    ttl: { type: 'string' },
    purpose: { type: 'string' },
    'cert-out': { type: 'string' },
    'key-out': { type: 'string' },
  },
  positionals: 0,
  async run(ctx) {
    const ttl = str(ctx, 'ttl');
    const certOut = str(ctx, 'cert-out');
    const keyOut = str(ctx, 'key-out');
    if (ttl === undefined) throw invalidArgument('delegate needs --ttl <duration>, such as 15m');
    if (certOut === undefined || keyOut === undefined) {
      throw invalidArgument('delegate needs --cert-out <file> and --key-out <file>');
    }
    if (keyOut === '-' || certOut === '-') {
      throw invalidArgument('delegate writes files: --cert-out and --key-out cannot be "-"');
    }
    distinctOutputs({ '--cert-out': certOut, '--key-out': keyOut });
    sessionTtl(ttl);
    const purpose = str(ctx, 'purpose') ?? 'clientAuth';
    purposeOid(purpose);
    return withStore(ctx, async (ks) => {
      const key = await keyByAlias(ks, ctx);
      const pin = await keyPin(ctx);
      const session = await key
        .delegate({ ttl, purpose, ...(pin ? { pin } : {}) })
        .finally(() => pin?.fill(0));
      try {
        await writePrivateFile(keyOut, session.exportPrivateKey());
        try {
          await writeOutput(certOut, session.certificateChain('pem'));
        } catch (err) {
          // A key file without its certificate is a loose key: take it back.
          await removeOutput(keyOut);
          throw err;
        }
        const notAfter = session.notAfter.toISOString();
        const warning =
          `${keyOut} holds the session's private key unencrypted (mode 0600): whoever can read it ` +
          `can act as this device, for ${session.describe().extendedKeyUsage.join(' and ')}, until ${notAfter}. ` +
          'Delete it when the job is done';
        ctx.warnings.push(warning);
        if (!ctx.json) process.stderr.write(`warning: ${warning}\n`);
        return {
          ok: true,
          json: {
            alias: key.alias,
            tier: key.tier,
            deviceId: session.root.deviceId,
            serialNumber: session.certificate.serialNumber,
            notBefore: session.notBefore.toISOString(),
            notAfter,
            extendedKeyUsage: session.describe().extendedKeyUsage,
            certOut,
            keyOut,
          },
          text: lines(
            `wrote a session certificate chain to ${certOut} and its private key to ${keyOut}`,
            `  certified by: key "${key.alias}" (${key.tier}), deviceId ${session.root.deviceId}`,
            `  valid until:  ${notAfter}`,
          ),
        };
      } finally {
        session.close();
      }
    });
  },
};
