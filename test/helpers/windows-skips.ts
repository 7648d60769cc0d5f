/**
 * The tests that cannot mean anything on Windows, by file and full name, with the reason. They
 * skip themselves there (`it.skipIf(WINDOWS)`); the Windows leg's reporter
 * (scripts/windows/leg-reporter.ts) fails on any skip not listed here and on a listed test that
 * ran. Keep each reason one line: what Windows lacks.
 */
export interface WindowsSkip {
  /** "test/<file> > <describe> > <test>" */
  test: string;
  reason: string;
}

export const WINDOWS = process.platform === 'win32';
/** Windows Node under Wine: the leg of .ci/run (scripts/windows/test-leg.sh sets DK_WIN_WINE). */
export const WINE = WINDOWS && process.env.DK_WIN_WINE === '1';

export const WINDOWS_SKIPS: readonly WindowsSkip[] = [
  {
    test: 'test/unit/crypto/tss2-pem.test.ts > live swtpm + tpm2-openssl > decodes a key tpm2-openssl just generated, and tpm2-openssl accepts our re-encoding',
    reason: 'needs swtpm and the tpm2-openssl provider, which are Linux packages',
  },
  {
    test: 'test/unit/crypto/tss2-pem.test.ts > live swtpm + tpm2-openssl > CreatePrimary with H2_SRK_TEMPLATE recreates the parent tpm2-openssl used',
    reason: 'needs swtpm and the tpm2-openssl provider, which are Linux packages',
  },
  {
    test: 'test/unit/crypto/tss2-pem.test.ts > live swtpm + tpm2-openssl > a key made from marshalEccKeyTemplate and written by encodeTss2Pem works in tpm2-openssl',
    reason: 'needs swtpm and the tpm2-openssl provider, which are Linux packages',
  },
  {
    test: 'test/unit/crypto/tss2-pem.test.ts > live swtpm + tpm2-openssl > a sealed object from marshalSealTemplate unseals; sensitiveDataOrigin would be refused',
    reason: 'needs swtpm and the tpm2-openssl provider, which are Linux packages',
  },
  {
    test: 'test/unit/crypto/tss2-pem.test.ts > live swtpm + tpm2-openssl > tpm2-openssl reads our parent 0x81000001 (written with a leading 00)',
    reason: 'needs swtpm and the tpm2-openssl provider, which are Linux packages',
  },
  {
    test: 'test/tiers/file/file-tier.test.ts > permissions > refuses a key, passphrase, master or secret file that group or others can access',
    reason:
      'POSIX group/other modes: Windows has none (chmod sets only the read-only attribute); the DACL check is tested in test/tiers/windows/windows-store.test.ts',
  },
  {
    test: 'test/system/cli.test.ts > exit codes for each error, with the error as JSON on stdout under --json > E_INSECURE_PERMISSIONS -> 7: a key file or passphrase file readable by others',
    reason:
      'POSIX group/other modes: Windows has none (chmod sets only the read-only attribute); the DACL check is tested in test/tiers/windows/windows-store.test.ts',
  },
  {
    test: 'test/system/cli.test.ts > the progress indicator > shows "deriving the key" on a terminal, and clears it',
    reason:
      'gives the CLI a terminal with util-linux `script` (a Linux pty); Windows consoles (ConPTY) are not driven by this test',
  },
  {
    test: 'test/system/cli.test.ts > the progress indicator > stays silent when stderr is not a terminal, and with --json on a terminal',
    reason: 'its --json half needs a terminal from util-linux `script`, as above',
  },
  {
    test: 'test/system/processes.test.ts > change-passphrase while other processes sign > a signer that runs while a change is paused after writing .passphrase.next leaves the change intact',
    reason: 'freezes a process with SIGSTOP/SIGCONT, which Windows does not have',
  },
  {
    test: 'test/api/close.test.ts > close() on the tpm2 tier > waits for signs in flight, which all complete and verify',
    reason: 'needs swtpm, a Linux program; close() on the encrypted-file tier runs',
  },
  {
    test: 'test/api/close.test.ts > close() on the tpm2 tier > afterwards every key it handed out is E_CLOSED for sign, verify and ecdh',
    reason: 'needs swtpm, a Linux program; close() on the encrypted-file tier runs',
  },
  {
    test: 'test/api/close.test.ts > close() on the tpm2 tier > a second close() resolves, and so do two at once',
    reason: 'needs swtpm, a Linux program; close() on the encrypted-file tier runs',
  },
  {
    test: 'test/system/cli.test.ts > change-passphrase at a terminal > prompts twice, never shows what is typed, and a mismatch changes nothing',
    reason: 'gives the CLI a terminal with util-linux `script` (a Linux pty), as above',
  },
];

/** Listed only under Wine (it is run on windows-latest). */
export const WINE_SKIPS: readonly WindowsSkip[] = [
  {
    test: 'test/tiers/windows/windows-ncrypt.test.ts > the windows-ksp tier on a real Windows > create, sign (node:crypto verifies), ECDH (equal to node:crypto), a new process, seal, delete, nothing left',
    reason:
      "Wine's ncrypt.dll makes no P-256 keys (NTE_NOT_SUPPORTED); the detection test shows the fallback there, and this runs on windows-latest",
  },
  {
    test: 'test/tiers/windows/windows-store.test.ts > Windows DACLs > the store gives its directories and files a protected DACL: the user, SYSTEM, Administrators',
    reason:
      'Wine keeps no DACLs: it maps them onto Unix mode bits (this DACL becomes 0775), so the store leaves DACLs alone there',
  },
  {
    test: 'test/system/cli.test.ts > sign and verify > signs --in to --out as binary DER, which `openssl dgst -sha256 -verify` accepts',
    reason:
      'runs the openssl CLI, a Linux program Windows Node under Wine cannot start (runs on windows-latest)',
  },
  {
    test: 'test/system/cli.test.ts > sign and verify > verify --public-key works with a PEM file and needs no store or passphrase',
    reason: 'runs the openssl CLI, as above',
  },
  {
    test: 'test/system/cli.test.ts > public-key in all four formats > pem (the default): OpenSSL reads it, and it equals the identity key',
    reason: 'runs the openssl CLI, as above',
  },
  {
    test: 'test/api/signing.test.ts > signing > DER: the openssl CLI verifies, and rejects a changed message',
    reason: 'runs the openssl CLI, as above',
  },
  {
    test: 'test/api/signing.test.ts > signing > prehashed mode signs a 32-byte SHA-256 digest; 31 or 33 bytes are refused',
    reason: 'runs the openssl CLI, as above',
  },
];

/** Listed only on a real Windows (they run under Wine). */
export const NATIVE_WINDOWS_SKIPS: readonly WindowsSkip[] = [
  {
    test: 'test/tiers/windows/windows-ncrypt.test.ts > without TPM Base Services > the addon loads without tbs.dll; the windows-tpm tier says it is missing, the rest works',
    reason: 'renames tbs.dll away from system32 for a moment, which only a Wine prefix allows',
  },
];
