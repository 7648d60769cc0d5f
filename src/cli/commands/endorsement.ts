import { writeOutput } from '../io';
import { lines, str, withStore, type Command } from '../command';

export const endorsement: Command = {
  options: { out: { type: 'string' } },
  positionals: 0,
  run: (ctx) =>
    withStore(ctx, async (ks) => {
      const e = await ks.endorsement();
      const out = str(ctx, 'out');
      // The file: each EK's public key and certificate, then the chain, PEM.
      const pem = [...e.keys.flatMap((k) => [k.publicKey, k.certificate ?? '']), ...e.chain].join(
        '',
      );
      if (out !== undefined) await writeOutput(out, pem);
      const hex = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;
      return {
        ok: true,
        json: {
          keys: e.keys.map((k) => ({
            type: k.type,
            source: k.source,
            ...(k.handle !== undefined ? { handle: hex(k.handle) } : {}),
            name: k.name.toString('hex'),
            publicArea: k.publicArea.toString('base64'),
            publicKey: k.publicKey,
            ...(k.certificate
              ? { certificate: k.certificate, certificateIndex: hex(k.certificateIndex!) }
              : {}),
          })),
          chain: e.chain,
          ...(e.noCertificate ? { noCertificate: e.noCertificate } : {}),
          unreadable: e.unreadable.map((u) => ({ index: hex(u.index), reason: u.reason })),
        },
        text: lines(
          ...e.keys.map(
            (k) =>
              `${k.type}\t${k.source === 'persistent' ? hex(k.handle!) : 'default template'}\t` +
              `${k.certificate ? `certificate in NV ${hex(k.certificateIndex!)}` : 'no certificate'}\tName ${k.name.toString('hex')}`,
          ),
          ...(e.chain.length ? [`EK CA certificates in NV: ${e.chain.length}`] : []),
          ...(e.noCertificate
            ? [`no EK certificate: ${e.noCertificate.reason} (${e.noCertificate.hint})`]
            : []),
          ...e.unreadable.map((u) => `unreadable ${hex(u.index)}: ${u.reason}`),
          ...(out !== undefined
            ? [`wrote the EK public keys and certificates (PEM) to ${out}`]
            : []),
          'the EK identifies this machine for good: send it only to your enrollment server',
        ),
      };
    }),
};

export const ENDORSEMENT_HELP = `device-keystore endorsement [--out <file>] [--json]
  The TPM's endorsement keys (EKs: persistent, or made again from the TCG default templates)
  and the EK certificates it keeps in NV (0x01c00002, 0x01c0000a, the high range, the chain),
  or why there are none (Intel and AMD firmware TPMs serve theirs from a URL; nothing is
  fetched). --out: the EK public keys and certificates, PEM. The EK is a permanent identifier
  of this machine.
`;
