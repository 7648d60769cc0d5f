import type { JsonWebKey } from 'node:crypto';
import type { ParseArgsConfig } from 'node:util';
import type { Keystore, OpenOptions } from '../keystore';
import type { DeviceKey } from '../device-key';
import { KeystoreError, invalidArgument } from '../errors';
import { verify } from '../verify';
import { parseSignature } from '../crypto/ecdsa';
import { parsePeerPublicKey } from '../crypto/p256';
import { argon2Implementation } from '../crypto/argon2';
import { findPassphrase, PASSPHRASE_ENV } from '../store/passphrase';
import { storePaths } from '../store/paths';
import { describeSource } from '../store/file-master';
import { formatTpmDiagnostics } from '../doctor';
import { addonSummary } from '../native';
import { cryptoFeatures } from '../crypto/features';
import { secureEnclaveFacts } from '../backends/macos';
import { formatWindowsFacts, windowsFacts } from '../backends/windows';
import {
  decodeText,
  promptNewPassphrase,
  readInput,
  readStdin,
  readPin,
  writeOutput,
  writePrivateFile,
  type Encoding,
  distinctOutputs,
  removeOutput,
} from './io';
import { deviceCertificateDays } from '../delegation/device-certificate';
import { purposeOid, sessionTtl } from '../delegation/options';
import { withProductionChecklist } from './doctor-production';
import { ATTESTATION_COMMANDS } from './commands/attestation';
import { ephemeralStorageWarning, storageFacts } from '../store/persistence';

export interface CommandContext {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
  json: boolean;
  open: () => Promise<Keystore>;
  /** What `open` opens the store with (doctor --production opens it again in a fresh process). */
  openOptions: OpenOptions;
  warnings: string[];
}

export interface CommandResult {
  /** false only for "the answer is no" (a signature that does not verify). */
  ok: boolean;
  /** What --json prints (merged with ok and warnings). */
  json: Record<string, unknown>;
  /** What a person sees; undefined when the command wrote its own output. */
  text?: string;
}

export interface Command {
  options: NonNullable<ParseArgsConfig['options']>;
  positionals: number;
  run(ctx: CommandContext): Promise<CommandResult>;
}

export const NEW_PASSPHRASE_ENV = 'DEVICE_KEYSTORE_NEW_PASSPHRASE';

export function str(ctx: CommandContext, name: string): string | undefined {
  const v = ctx.values[name];
  return typeof v === 'string' ? v : undefined;
}

function encodingOf(ctx: CommandContext): Encoding {
  const e = str(ctx, 'encoding') ?? 'base64';
  if (e !== 'base64' && e !== 'binary')
    throw invalidArgument(`--encoding must be base64 or binary, not "${e}"`);
  return e;
}

function formatOf(ctx: CommandContext): 'der' | 'p1363' {
  const f = str(ctx, 'format') ?? 'der';
  if (f !== 'der' && f !== 'p1363')
    throw invalidArgument(`--format must be der or p1363, not "${f}"`);
  return f;
}

/** --key ALIAS, or the identity key when none is named. */
async function keyFor(ks: Keystore, ctx: CommandContext): Promise<DeviceKey> {
  const alias = str(ctx, 'key');
  return alias === undefined ? ks.identityKey() : ks.getKey(alias);
}

export async function withStore<T>(
  ctx: CommandContext,
  fn: (ks: Keystore) => Promise<T>,
): Promise<T> {
  const ks = await ctx.open();
  try {
    return await fn(ks);
  } finally {
    await ks.close();
  }
}

export function lines(...parts: string[]): string {
  return parts.join('\n') + '\n';
}

const init: Command = {
  options: { name: { type: 'string' }, force: { type: 'boolean' } },
  positionals: 0,
  run: (ctx) =>
    withStore(ctx, async (ks) => {
      const name = str(ctx, 'name');
      if (name === undefined) throw invalidArgument('init needs --name <name>');
      const identity = await ks.init({ name, force: ctx.values.force === true });
      // Said now rather than discovered after the next reboot or redeploy.
      const storage = ephemeralStorageWarning(await storageFacts(ks.dir));
      if (storage) {
        ctx.warnings.push(storage);
        if (!ctx.json) process.stderr.write(`warning: ${storage}\n`);
      }
      const d = await ks.describe();
      return {
        ok: true,
        json: {
          identity,
          tier: d.tier,
          hardwareBacked: d.hardwareBacked,
          extractable: d.extractable,
          extractableBy: d.extractableBy,
        },
        text: lines(
          `created identity "${identity.name}" in ${ks.dir}`,
          `  deviceId:       ${identity.deviceId}`,
          `  tier:           ${identity.tier} (hardware-backed: ${d.hardwareBacked ? 'yes' : 'no'}, extractable by: ${d.extractableBy})`,
          `  key alias:      ${identity.keyAlias}`,
        ),
      };
    }),
};

const info: Command = {
  options: {},
  positionals: 0,
  run: (ctx) =>
    withStore(ctx, async (ks) => {
      const d = await ks.describe();
      const paths = storePaths(ks.dir);
      const found = await findPassphrase(paths, undefined).catch((err: KeystoreError) => err);
      const passphrase =
        found instanceof KeystoreError
          ? `error: ${found.message}`
          : found
            ? describeSource(found.source)
            : 'none yet (one is generated at the first encrypted-file key)';
      const environment = {
        node: process.version,
        platform: `${process.platform}-${process.arch}`,
        argon2: await argon2Implementation(),
        passphraseSource: passphrase,
        addon: addonSummary(),
        cryptoFeatures: await cryptoFeatures(),
      };
      const { addon } = environment;
      const tpm = await ks.tpmDiagnostics();
      // On a Mac: entitlement, where SE keys are kept, and the probe's OSStatus if it failed.
      const secureEnclave =
        process.platform === 'darwin'
          ? await secureEnclaveFacts().catch((err: Error) => ({ error: err.message }))
          : undefined;
      // On Windows: the build, the TPM as TBS reports it, and whether each NCrypt provider made,
      // used and deleted a throwaway key (the reason, with the raw status, if not).
      const windows = process.platform === 'win32' ? await windowsFacts() : undefined;
      const tierLines = d.tiers.map(
        (t) =>
          `  ${t.chosen ? '*' : ' '} ${t.tier.padEnd(15)} ${t.status}${t.reason ? `: ${t.reason}` : ''}`,
      );
      return {
        ok: true,
        json: {
          ...d,
          keys: d.keys.map((k) => k.toJSON()),
          environment,
          tpm,
          ...(secureEnclave ? { secureEnclave } : {}),
          ...(windows ? { windows } : {}),
        },
        text: lines(
          `keystore:        ${d.dir}`,
          `identity:        ${d.identity ? `${d.identity.name} (${d.identity.deviceId})` : 'none (run init)'}`,
          `tier for new keys: ${d.tier} (hardware-backed: ${d.hardwareBacked ? 'yes' : 'no'}, extractable by: ${d.extractableBy})`,
          `keys:            ${d.keys.length}`,
          'tiers (detection order, * = chosen):',
          ...tierLines,
          'environment:',
          `  node ${environment.node} on ${environment.platform}; Argon2id: ${environment.argon2}`,
          `  passphrase source: ${passphrase}`,
          addon.loaded
            ? `  native addon: ${addon.path} (from ${addon.origin})`
            : `  native addon: not loaded (${addon.error}); ${addon.hint}`,
          `  node:crypto features: ${environment.cryptoFeatures.map((f) => `${f.feature} ${f.ok ? 'ok' : `${f.fileTier ? 'MISSING' : 'not available'} (${f.error})`}`).join(', ')}`,
          ...(secureEnclave ? ['Secure Enclave:', `  ${JSON.stringify(secureEnclave)}`] : []),
          ...(windows ? ['Windows:', ...formatWindowsFacts(windows)] : []),
          'TPM 2.0:',
          ...formatTpmDiagnostics(tpm),
          ...(d.warnings.length ? ['warnings:', ...d.warnings.map((w) => `  - ${w}`)] : []),
        ),
      };
    }),
};

const list: Command = {
  options: {},
  positionals: 0,
  run: (ctx) =>
    withStore(ctx, async (ks) => {
      const keys = await ks.listKeys();
      const text = keys.length
        ? keys
            .map(
              (k) =>
                `${k.alias}\t${k.tier}\t${k.hardwareBacked ? 'hardware' : 'software'}\t${k.createdAt}`,
            )
            .join('\n') + '\n'
        : '(no keys)\n';
      // KeyInfo.publicKey is a KeyObject; the JSON form carries it as SPKI PEM.
      return { ok: true, json: { keys: keys.map((k) => k.toJSON()) }, text };
    }),
};

const createKey: Command = {
  options: {
    pin: { type: 'boolean' },
    'pin-file': { type: 'string' },
    'pin-stdin': { type: 'boolean' },
  },
  positionals: 1,
  run: (ctx) =>
    withStore(ctx, async (ks) => {
      const alias = ctx.positionals[0];
      if (alias === undefined) throw invalidArgument('create-key needs an alias');
      const pin = await readPin({
        again: true,
        ...(str(ctx, 'pin-file') !== undefined ? { file: str(ctx, 'pin-file') } : {}),
        stdin: ctx.values['pin-stdin'] === true,
        prompt: ctx.values.pin === true,
      });
      const key = await ks.createKey(alias, pin ? { pin } : {}).finally(() => pin?.fill(0));
      return {
        ok: true,
        json: { key: key.toJSON() },
        text: `created key "${alias}" in the ${key.tier} tier\n`,
      };
    }),
};

const del: Command = {
  options: {},
  positionals: 1,
  run: (ctx) =>
    withStore(ctx, async (ks) => {
      const alias = ctx.positionals[0];
      if (alias === undefined) throw invalidArgument('delete needs an alias');
      await ks.deleteKey(alias);
      return { ok: true, json: { deleted: alias }, text: `deleted key "${alias}"\n` };
    }),
};

const sign: Command = {
  options: {
    key: { type: 'string' },
    in: { type: 'string' },
    out: { type: 'string' },
    format: { type: 'string' },
    encoding: { type: 'string' },
    prehashed: { type: 'boolean' },
    // Names the key's certifying key, which refuses (E_KEY_USAGE): it signs only certificates.
    certifying: { type: 'boolean' },
    pin: { type: 'boolean' },
    'pin-file': { type: 'string' },
  },
  positionals: 0,
  run: (ctx) =>
    withStore(ctx, async (ks) => {
      const format = formatOf(ctx);
      const encoding = encodingOf(ctx);
      const named = await keyFor(ks, ctx);
      const key = ctx.values.certifying === true ? await named.certifyingKey() : named;
      // Standard input may be the data: the PIN comes from a file or a prompt only.
      const pin = await readPin({
        ...(str(ctx, 'pin-file') !== undefined ? { file: str(ctx, 'pin-file') } : {}),
        stdin: false,
        prompt: ctx.values.pin === true,
        again: false,
      });
      const data = await readInput(str(ctx, 'in'));
      const signature = await key
        .sign(data, { format, prehashed: ctx.values.prehashed === true, ...(pin ? { pin } : {}) })
        .finally(() => pin?.fill(0));
      const b64 = signature.toString('base64');
      // With --json the signature is in the JSON; a file is still written when --out names one.
      if (!ctx.json || str(ctx, 'out') !== undefined) {
        await writeOutput(str(ctx, 'out'), encoding === 'base64' ? b64 + '\n' : signature);
      }
      return { ok: true, json: { alias: key.alias, format, signature: b64 } };
    }),
};

const verifyCommand: Command = {
  options: {
    key: { type: 'string' },
    'public-key': { type: 'string' },
    in: { type: 'string' },
    signature: { type: 'string' },
    format: { type: 'string' },
    encoding: { type: 'string' },
    prehashed: { type: 'boolean' },
  },
  positionals: 0,
  async run(ctx) {
    const format = formatOf(ctx);
    const encoding = encodingOf(ctx);
    const sigFile = str(ctx, 'signature');
    if (sigFile === undefined) throw invalidArgument('verify needs --signature <file>');
    if (sigFile === '-' && (str(ctx, 'in') ?? '-') === '-') {
      throw invalidArgument('the signature and the data cannot both come from standard input');
    }
    const sigName = sigFile === '-' ? 'standard input' : sigFile;
    const signature = decodeText(await readInput(sigFile), encoding, `the signature in ${sigName}`);
    // Bytes that are no signature at all are a usage error (exit 2), not "signature INVALID".
    try {
      parseSignature(signature, format);
    } catch (err) {
      throw invalidArgument(
        `${sigName} does not hold a ${format === 'der' ? 'DER' : 'P1363 (r‖s, 64-byte)'} ECDSA P-256 signature: ${(err as Error).message}`,
        'check --format (der or p1363) and --encoding (base64 or binary) against how it was signed',
      );
    }
    const pubFile = str(ctx, 'public-key');
    const publicKey = pubFile === undefined ? undefined : await readPublicKeyFile(pubFile);
    const data = await readInput(str(ctx, 'in'));
    const prehashed = ctx.values.prehashed === true;
    let valid: boolean;
    let against: string;
    if (pubFile !== undefined && publicKey !== undefined) {
      valid = verify(publicKey, data, signature, { format, prehashed });
      against = pubFile;
    } else {
      ({ valid, against } = await withStore(ctx, async (ks) => {
        const key = await keyFor(ks, ctx);
        return {
          valid: key.verify(data, signature, { format, prehashed }),
          against: `key "${key.alias}"`,
        };
      }));
    }
    return {
      ok: valid,
      json: { valid },
      text: valid ? `signature OK (${against})\n` : `signature INVALID (${against})\n`,
    };
  },
};

const PUBLIC_KEY_FORMATS =
  'a P-256 public key as PEM (SPKI), JWK JSON, binary SPKI DER, or a raw 65-byte uncompressed point';

/**
 * A public key file as PEM, JWK JSON, or binary SPKI DER / raw point, parsed and checked to be a
 * P-256 point; E_INVALID_ARGUMENT naming the file and the accepted formats otherwise.
 */
async function readPublicKeyFile(file: string): Promise<Buffer> {
  const bytes = await readInput(file);
  const name = file === '-' ? 'standard input' : file;
  const text = bytes.toString('utf8');
  let input: string | Buffer | JsonWebKey = bytes;
  try {
    if (text.includes('-----BEGIN')) input = text;
    else if (text.trimStart().startsWith('{')) input = JSON.parse(text) as JsonWebKey;
    return parsePeerPublicKey(input, `the public key in ${name}`);
  } catch (err) {
    throw invalidArgument(
      `--public-key ${name} is not a usable public key (${(err as Error).message})`,
      `give ${PUBLIC_KEY_FORMATS}`,
    );
  }
}

const publicKey: Command = {
  options: {
    key: { type: 'string' },
    format: { type: 'string' },
    out: { type: 'string' },
    encoding: { type: 'string' },
  },
  positionals: 0,
  run: (ctx) =>
    withStore(ctx, async (ks) => {
      // Check the arguments before touching the store, like sign and verify do.
      const format = str(ctx, 'format') ?? 'pem';
      if (!['pem', 'jwk', 'spki', 'raw'].includes(format)) {
        throw invalidArgument(`--format must be pem, jwk, spki or raw, not "${format}"`);
      }
      if (format === 'spki' || format === 'raw') encodingOf(ctx);
      const key = await keyFor(ks, ctx);
      if (format === 'pem') {
        const pem = key.exportPublicKey('pem');
        if (!ctx.json) await writeOutput(str(ctx, 'out'), pem);
        return { ok: true, json: { alias: key.alias, format, publicKey: pem } };
      }
      if (format === 'jwk') {
        const jwk = key.exportPublicKey('jwk');
        if (!ctx.json) await writeOutput(str(ctx, 'out'), JSON.stringify(jwk) + '\n');
        return { ok: true, json: { alias: key.alias, format, publicKey: jwk } };
      }
      if (format === 'spki' || format === 'raw') {
        const bytes = key.exportPublicKey(format);
        if (!ctx.json) {
          const encoding = encodingOf(ctx);
          await writeOutput(
            str(ctx, 'out'),
            encoding === 'base64' ? bytes.toString('base64') + '\n' : bytes,
          );
        }
        return {
          ok: true,
          json: { alias: key.alias, format, publicKey: bytes.toString('base64') },
        };
      }
      throw invalidArgument(`--format must be pem, jwk, spki or raw, not "${format}"`);
    }),
};

const exportIdentity: Command = {
  options: { out: { type: 'string' } },
  positionals: 0,
  run: (ctx) =>
    withStore(ctx, async (ks) => {
      const identity = await ks.exportIdentity();
      if (!ctx.json) await writeOutput(str(ctx, 'out'), JSON.stringify(identity, null, 2) + '\n');
      return { ok: true, json: { identity } };
    }),
};

const changePassphrase: Command = {
  options: { 'new-passphrase-stdin': { type: 'boolean' } },
  positionals: 0,
  run: (ctx) =>
    withStore(ctx, async (ks) => {
      let next: Buffer | string | undefined;
      if (ctx.values['new-passphrase-stdin'] === true && process.stdin.isTTY) {
        // A person at a terminal: a prompt, no echo, typed twice.
        next = await promptNewPassphrase();
      } else if (ctx.values['new-passphrase-stdin'] === true) {
        const raw = await readStdin();
        next = raw.subarray(0, raw.length - (raw.at(-1) === 0x0a ? 1 : 0));
        if (next.length === 0)
          throw invalidArgument('the new passphrase on standard input is empty');
      } else if (process.env[NEW_PASSPHRASE_ENV]) {
        next = process.env[NEW_PASSPHRASE_ENV];
      }
      const change = await ks.changePassphrase(next === undefined ? {} : { newPassphrase: next });
      if (Buffer.isBuffer(next)) next.fill(0);
      const where =
        change.storedIn === 'passphrase-file'
          ? 'the new passphrase is in the passphrase file'
          : `the new passphrase is stored nowhere: update ${PASSPHRASE_ENV} (or your own store) now`;
      return {
        ok: true,
        json: { ...change },
        text: `passphrase changed${change.generated ? ' to a new random 256-bit one' : ''}; ${where}\n`,
      };
    }),
};

const secret: Command = {
  options: { out: { type: 'string' } },
  positionals: 2,
  run: (ctx) =>
    withStore(ctx, async (ks) => {
      const [action, name] = ctx.positionals;
      const needName = () => {
        if (name === undefined) throw invalidArgument(`secret ${action} needs a name`);
        return name;
      };
      switch (action) {
        case 'set': {
          const value = await readStdin();
          await ks.secrets.set(needName(), value);
          value.fill(0);
          return { ok: true, json: { set: name }, text: `sealed secret "${name}"\n` };
        }
        case 'get': {
          const value = await ks.secrets.get(needName());
          if (!ctx.json) await writeOutput(str(ctx, 'out'), value, 0o600);
          return { ok: true, json: { name, value: value.toString('base64') } };
        }
        case 'list': {
          const names = await ks.secrets.list();
          return {
            ok: true,
            json: { secrets: names },
            text: names.length ? names.join('\n') + '\n' : '(no secrets)\n',
          };
        }
        case 'delete':
          await ks.secrets.delete(needName());
          return { ok: true, json: { deleted: name }, text: `deleted secret "${name}"\n` };
        default:
          throw invalidArgument('secret needs one of: set, get, list, delete');
      }
    }),
};

/** --alias A (or --key A, as sign and public-key spell it), else the identity key. */
export async function keyByAlias(ks: Keystore, ctx: CommandContext): Promise<DeviceKey> {
  const alias = str(ctx, 'alias') ?? str(ctx, 'key');
  return alias === undefined ? ks.identityKey() : ks.getKey(alias);
}

const ALIAS_OPTIONS = { alias: { type: 'string' }, key: { type: 'string' } } as const;

const certificate: Command = {
  options: { ...ALIAS_OPTIONS, days: { type: 'string' }, out: { type: 'string' } },
  positionals: 0,
  async run(ctx) {
    const daysText = str(ctx, 'days');
    if (daysText !== undefined && !/^\d{1,5}$/.test(daysText)) {
      throw invalidArgument(`--days takes a whole number of days, not "${daysText}"`);
    }
    const days = deviceCertificateDays(daysText === undefined ? {} : { days: Number(daysText) });
    return withStore(ctx, async (ks) => {
      const key = await keyByAlias(ks, ctx);
      const cert = await key.certificate({ days });
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

const delegate: Command = {
  options: {
    ...ALIAS_OPTIONS,
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
      const session = await key.delegate({ ttl, purpose });
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

export const COMMANDS: Record<string, Command> = {
  init,
  info,
  doctor: withProductionChecklist(info),
  list,
  'create-key': createKey,
  delete: del,
  sign,
  verify: verifyCommand,
  'public-key': publicKey,
  'export-identity': exportIdentity,
  'change-passphrase': changePassphrase,
  secret,
  certificate,
  delegate,
  ...ATTESTATION_COMMANDS,
};
