import { invalidArgument } from '../../core/errors';
import { writeOutput } from '../io';
import { deviceCertificateDays } from '../../delegation/device-certificate';
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

export const certificate: Command = {
  options: {
    ...ALIAS_OPTIONS,
    ...PIN_OPTIONS,
    days: { type: 'string' },
    out: { type: 'string' },
  },
  positionals: 0,
  async run(ctx) {
    const daysText = str(ctx, 'days');
    if (daysText !== undefined && !/^\d{1,5}$/.test(daysText)) {
      throw invalidArgument(`--days takes a whole number of days, not "${daysText}"`);
    }
    const days = deviceCertificateDays(daysText === undefined ? {} : { days: Number(daysText) });
    return withStore(ctx, async (ks) => {
      const key = await keyByAlias(ks, ctx);
      const pin = await keyPin(ctx);
      const cert = await key
        .certificate({ days, ...(pin ? { pin } : {}) })
        .finally(() => pin?.fill(0));
      const pem = cert.toString();
      if (!ctx.json || str(ctx, 'out') !== undefined) await writeOutput(str(ctx, 'out'), pem);
      const json = {
        alias: key.alias,
        tier: key.tier,
        subject: cert.subject,
        serialNumber: cert.serialNumber,
        notBefore: new Date(cert.validFrom).toISOString(),
        notAfter: new Date(cert.validTo).toISOString(),
        fingerprint256: cert.fingerprint256,
        certificate: pem,
      };
      const out = str(ctx, 'out');
      return {
        ok: true,
        json,
        ...(out === undefined || out === '-'
          ? {}
          : {
              text: lines(
                `wrote the device certificate of key "${key.alias}" (${key.tier}) to ${out}`,
                `  subject:     ${cert.subject.replace(/\n/g, ', ')}`,
                `  valid until: ${json.notAfter}`,
                `  SHA-256:     ${cert.fingerprint256}`,
              ),
            }),
      };
    });
  },
};
