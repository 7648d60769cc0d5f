import { ATTESTATION_HELP, ATTESTATION_USAGE } from './commands/attestation';
export const HELP = `device-keystore: P-256 keys bound to this device

Usage: device-keystore [global options] <command> [options]

Commands:
  init --name <name> [--force]    create this device's identity (key + identity.json)
  info | doctor                   what protects the keys, every tier tried and why, warnings
  doctor --production [--recovery-secret NAME] [--strict]
                                  the production checklist: pass/warn/fail, exit 1 on a fail
  list                            list keys
  create-key <alias>              create another key
  sign [--key A] [--in F]         sign data from a file or stdin (default: the identity key)
  verify --signature F [--in F] [--key A | --public-key F]
                                  verify a signature; exit 1 when it does not verify
  public-key [--key A] [--format pem|jwk|spki|raw]
  delete <alias>                  delete a key
  export-identity                 print identity.json for sharing (no secrets)
  change-passphrase               re-wrap the encrypted-file tier's key under a new passphrase
  secret set|get|list|delete [name]   sealed secrets (values on stdin, never on argv)
  certificate [--alias A] [--days N] --out F
                                  the key's self-signed device certificate (X.509, PEM)
  delegate [--alias A] --ttl D [--purpose P] --cert-out F --key-out F
                                  a short-lived session key and certificate, written to files
${ATTESTATION_USAGE}
Global options (before or after the command):
  --dir <dir>             store directory (default: $DEVICE_KEYSTORE_DIR or ~/.device-keystore)
  --backend <tier>        auto (default), secure-enclave, keychain, tpm2, windows-tpm,
                          windows-ksp or encrypted-file
  --require-hardware      refuse software tiers
  --json                  machine-readable output on stdout
  --lock-timeout <ms>     how long to wait for another process holding the store (default 30000)
  -h, --help              help for a command: device-keystore <command> --help

Secrets are never taken on the command line. The encrypted-file passphrase comes from
$DEVICE_KEYSTORE_PASSPHRASE, else the passphrase file ($DEVICE_KEYSTORE_PASSPHRASE_FILE or
<dir>/.passphrase); init generates a random one when neither exists.

Exit codes: 0 ok, 1 signature invalid, 2 usage or invalid argument (also a signature or
public-key file that holds none), 3 not found / not initialized, 4 exists, 5 bad passphrase,
6 corrupt, 7 insecure permissions, 8 backend unavailable / hardware required, 9 locked,
10 I/O error, 11 refused (TPM lockout, authorization, canceled prompt), 12 other TPM or macOS
error, 70 internal error.
`;

const COMMAND_HELP: Record<string, string> = {
  init: `device-keystore init --name <name> [--force] [--backend <tier>] [--dir <dir>] [--json]
  Creates a P-256 identity key in the best available tier (or --backend) and identity.json.
  Fails with exit 4 when an identity exists; --force replaces it (the old key is deleted).
`,
  info: `device-keystore info|doctor [--dir <dir>] [--json]
  Shows the tier for new keys, whether it is hardware-backed and who can extract keys, every
  tier in detection order with the reason it was or was not used, and warnings.
`,
  list: `device-keystore list [--dir <dir>] [--json]
`,
  'create-key': `device-keystore create-key <alias> [--pin | --pin-file <file> | --pin-stdin] [--dir <dir>] [--json]
  Aliases: 1-64 characters of a-z 0-9 . _ -, starting with a letter or digit.
`,
  delete: `device-keystore delete <alias> [--dir <dir>] [--json]
  The identity key cannot be deleted; replace it with init --force.
`,
  sign: `device-keystore sign [--key <alias>] [--in <file>|-] [--out <file>] [--format der|p1363]
                     [--encoding base64|binary] [--prehashed] [--certifying]
                     [--pin | --pin-file <file>] [--json]
  Signs with ECDSA P-256 / SHA-256 (low-S). Input: --in file, or stdin. Output: base64 (default)
  or binary, to stdout or --out. --prehashed: the input is a 32-byte SHA-256 digest.
  --certifying names the key's certifying key, which refuses (E_KEY_USAGE): it signs only the
  certificates \`certificate\` and \`delegate\` make.
`,
  verify: `device-keystore verify --signature <file> [--in <file>|-] [--key <alias> | --public-key <file>]
                       [--format der|p1363] [--encoding base64|binary] [--prehashed] [--json]
  Exit 0 when the signature verifies, 1 when it does not. --public-key takes PEM, JWK or DER.
`,
  'public-key': `device-keystore public-key [--key <alias>] [--format pem|jwk|spki|raw] [--encoding base64|binary] [--out <file>]
`,
  'export-identity': `device-keystore export-identity [--out <file>] [--json]
  Prints identity.json's public fields: name, deviceId, tier, keyAlias, publicKey, createdAt.
`,
  'change-passphrase': `device-keystore change-passphrase [--new-passphrase-stdin]
  New passphrase: from stdin with --new-passphrase-stdin, else $DEVICE_KEYSTORE_NEW_PASSPHRASE,
  else (when the passphrase lives in the passphrase file) a new random 256-bit one. At a
  terminal, --new-passphrase-stdin prompts twice without echo.
`,
  secret: `device-keystore secret set <name>      (value on stdin)
device-keystore secret get <name> [--out <file>]
device-keystore secret list
device-keystore secret delete <name>
`,
  certificate: `device-keystore certificate [--alias <alias>] [--days <n>] [--out <file>]
                            [--pin | --pin-file <file> | --pin-stdin] [--json]
  Writes the key's device certificate (PEM): self-signed X.509 v3, signed by the key inside its
  tier, subject CN = its deviceId, a CA for session certificates only (pathlen 0). A server pins
  it at enrollment. --alias (or --key): default the identity key. --days: 1-3650, default 365.
  Without --out it goes to stdout. A key made with a PIN needs it (its certifying key has the
  same PIN): --pin prompts without echo, --pin-file reads one line, --pin-stdin reads stdin.
`,
  delegate: `device-keystore delegate [--alias <alias>] --ttl <duration> [--purpose <purpose>]
                         --cert-out <file> --key-out <file>
                         [--pin | --pin-file <file> | --pin-stdin] [--json]
  Makes a session key: a fresh software P-256 key with a certificate signed by the device key
  (valid for --ttl, 1s to 24h: e.g. 90s, 15m, 1h30m), for TLS client authentication (clientAuth)
  and --purpose (clientAuth, serverAuth, codeSigning, emailProtection, timeStamping, or a dotted
  OID). --cert-out gets the chain (session then device certificate, PEM).
  --key-out gets the session's PRIVATE KEY, unencrypted PKCS#8 PEM, mode 0600. This is the one
  command that puts a software key on disk: whoever can read that file can act as this device
  for that purpose until the certificate expires, and nothing can revoke it sooner. Keep the ttl
  short and delete the file when done. In a program, deviceKey.delegate() keeps the key in memory.
  A key made with a PIN needs it, as for certificate.
`,
};
COMMAND_HELP.doctor =
  COMMAND_HELP.info! +
  `device-keystore doctor --production [--recovery-secret NAME] [--strict] [--dir <dir>] [--json]
  The production checklist, run where the product runs: native addon, identity re-read by a
  fresh process, hardware tier, passphrase source, persistent storage, what survives a reinstall
  and a lost device, a recovery secret (the sealed secret NAME), who can export the keys. Each
  item pass, warn or fail with its evidence and fix; exit 1 when one fails (--strict: or warns).
  The --json report holds no secret: safe to attach to a support bundle (docs/production.md).
`;

Object.assign(COMMAND_HELP, ATTESTATION_HELP);

export function commandHelp(name: string): string {
  return COMMAND_HELP[name] ?? HELP;
}
