import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Swtpm } from './swtpm';

/**
 * A swtpm whose EKs have certificates, as a TPM from a vendor has (DESIGN §11): swtpm_setup
 * --create-ek-cert --create-platform-cert with a private swtpm-localca configuration in a temp
 * dir (no root-owned path), which makes its own root (swtpm-localca-rootca) and issuer
 * (swtpm-localca). swtpm 0.7.1 makes both an RSA-2048 EK (0x81010001, certificate in NV
 * 0x01c00002) and a P-384 EK (0x81010016, NV 0x01c00016). tpm2-tools drive it directly: there
 * is no resource manager, so everything made here is persisted or flushed (the 0x902 trap).
 */
export class EkTpm {
  static readonly RSA_EK = '0x81010001';
  static readonly ECC_EK = '0x81010016';
  static readonly AK = '0x81010002';
  static readonly SRK = '0x81000001';

  private constructor(
    readonly dir: string,
    readonly tpm: Swtpm,
  ) {}

  static async create(): Promise<EkTpm> {
    const dir = mkdtempSync(join(tmpdir(), 'dk-ektpm-'));
    const ca = join(dir, 'ca');
    const state = join(dir, 'state');
    mkdirSync(ca);
    mkdirSync(state);
    writeFileSync(
      join(dir, 'localca.conf'),
      [
        `statedir = ${ca}`,
        `signingkey = ${ca}/signkey.pem`,
        `issuercert = ${ca}/issuercert.pem`,
        `certserial = ${ca}/certserial`,
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'localca.options'),
      '--platform-manufacturer device-keystore\n--platform-version 2.1\n--platform-model test\n',
    );
    writeFileSync(
      join(dir, 'setup.conf'),
      [
        'create_certs_tool = /usr/bin/swtpm_localca',
        `create_certs_tool_config = ${dir}/localca.conf`,
        `create_certs_tool_options = ${dir}/localca.options`,
        'active_pcr_banks = sha256',
        '',
      ].join('\n'),
    );
    execFileSync(
      'swtpm_setup',
      ['--tpm2', '--tpmstate', state, '--create-ek-cert', '--create-platform-cert'].concat([
        '--config',
        join(dir, 'setup.conf'),
      ]),
      { stdio: 'pipe' },
    );
    const tpm = await Swtpm.startOn(state);
    return new EkTpm(dir, tpm);
  }

  get rootPem(): string {
    return readFileSync(join(this.dir, 'ca/swtpm-localca-rootca-cert.pem'), 'utf8');
  }

  get issuerPem(): string {
    return readFileSync(join(this.dir, 'ca/issuercert.pem'), 'utf8');
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  /** Runs a tpm2-tools command against this TPM; returns stdout. */
  tool(cmd: string, args: string[]): string {
    return execFileSync(cmd, args, {
      env: { ...process.env, TPM2TOOLS_TCTI: this.tpm.tcti, TSS2_LOG: 'all+none' },
      cwd: this.dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    }).toString();
  }

  /** The EK certificate from NV, DER (the index holds exactly the certificate). */
  ekCertificate(index = '0x01c00002'): Buffer {
    this.tool('tpm2_nvread', [index, '-o', 'ekcert.der']);
    return readFileSync(this.path('ekcert.der'));
  }

  /** The TPM2B_PUBLIC of a persistent object. */
  readPublic(handle: string): Buffer {
    this.tool('tpm2_readpublic', ['-c', handle, '-o', 'pub.tmp']);
    return readFileSync(this.path('pub.tmp'));
  }

  /** An ECC P-256 restricted signing AK under the RSA EK, persisted; its TPM2B_PUBLIC and Name. */
  makeAk(handle = EkTpm.AK): { pub: Buffer; name: Buffer } {
    this.tool('tpm2_createak', [
      ...['-C', EkTpm.RSA_EK, '-c', 'ak.ctx', '-G', 'ecc', '-g', 'sha256', '-s', 'ecdsa'],
      ...['-u', 'ak.pub', '-n', 'ak.name'],
    ]);
    this.tool('tpm2_evictcontrol', ['-C', 'o', '-c', 'ak.ctx', handle]);
    this.tool('tpm2_flushcontext', ['-t']);
    return { pub: readFileSync(this.path('ak.pub')), name: readFileSync(this.path('ak.name')) };
  }

  /** An H-2-like P-256 SRK persisted at 0x81000001. */
  makeSrk(): void {
    this.tool('tpm2_createprimary', [
      '-C',
      'o',
      '-g',
      'sha256',
      '-G',
      'ecc256:aes128cfb',
      '-c',
      'srk.ctx',
    ]);
    this.tool('tpm2_evictcontrol', ['-C', 'o', '-c', 'srk.ctx', EkTpm.SRK]);
    this.tool('tpm2_flushcontext', ['-t']);
  }

  /**
   * tpm2_activatecredential of a tpm2-tools credential file with the AK, under the EK's
   * PolicySecret(endorsement) session (hash as the EK's policy has it); returns the secret.
   */
  activate(file: Buffer, ek: string, ak = EkTpm.AK, policyHash = 'sha256'): Buffer {
    writeFileSync(this.path('cred.in'), file);
    rmSync(this.path('cred.out'), { force: true });
    this.tool('tpm2_startauthsession', ['--policy-session', '-g', policyHash, '-S', 's.ctx']);
    try {
      this.tool('tpm2_policysecret', ['-S', 's.ctx', '-c', 'e']);
      this.tool('tpm2_activatecredential', [
        ...['-c', ak, '-C', ek, '-i', 'cred.in', '-o', 'cred.out', '-P', 'session:s.ctx'],
      ]);
    } finally {
      this.tool('tpm2_flushcontext', ['s.ctx']);
    }
    return readFileSync(this.path('cred.out'));
  }

  /**
   * tpm2_certify of a loaded key by the AK: certInfo (TPMS_ATTEST), sig (TPMT_SIGNATURE), and
   * the key's TPMT_PUBLIC. tpm2-tools 5.4 passes the fixed qualifying data 00 ff 55 aa.
   */
  certify(pubFile: string, privFile: string, ak = EkTpm.AK) {
    this.tool('tpm2_load', ['-C', EkTpm.SRK, '-u', pubFile, '-r', privFile, '-c', 'key.ctx']);
    try {
      this.tool('tpm2_certify', [
        ...['-c', 'key.ctx', '-C', ak, '-g', 'sha256', '-o', 'attest.out', '-s', 'sig.out'],
      ]);
    } finally {
      this.tool('tpm2_flushcontext', ['-t']);
    }
    return {
      certInfo: readFileSync(this.path('attest.out')),
      sig: readFileSync(this.path('sig.out')),
      pubArea: readFileSync(this.path(pubFile)).subarray(2),
    };
  }

  /** A key made by the TPM under the SRK with these attributes (tpm2_create -a). */
  createKey(name: string, attributes: string): void {
    this.tool('tpm2_create', [
      ...['-C', EkTpm.SRK, '-G', 'ecc256:null', '-a', attributes],
      ...['-u', `${name}.pub`, '-r', `${name}.priv`],
    ]);
  }

  /** A key made in software and imported (tpm2_import): fixedTPM and fixedParent clear. */
  importKey(name: string): void {
    const keyFile = this.path(`${name}.pem`);
    execFileSync('openssl', [
      'genpkey',
      '-algorithm',
      'EC',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-out',
      keyFile,
    ]);
    this.tool('tpm2_import', [
      ...['-C', EkTpm.SRK, '-G', 'ecc', '-i', `${name}.pem`],
      ...['-a', 'sign|decrypt|userwithauth|noda', '-u', `${name}.pub`, '-r', `${name}.priv`],
    ]);
  }

  async stop(): Promise<void> {
    await this.tpm.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * An EK-shaped chain that expired: a root valid 2020-2021 (openssl ca -selfsign with explicit
 * dates) issuing an EK certificate for `ekPublicPem` with the EK extended key usage.
 */
export function expiredEkChain(dir: string, ekPublicPem: string): { root: string; leaf: string } {
  const d = mkdtempSync(join(dir, 'expired-'));
  writeFileSync(join(d, 'index.txt'), '');
  writeFileSync(join(d, 'serial'), '01\n');
  writeFileSync(join(d, 'ekpub.pem'), ekPublicPem);
  writeFileSync(
    join(d, 'ca.cnf'),
    [
      '[ca]',
      'default_ca = CA_default',
      '[CA_default]',
      `database = ${d}/index.txt`,
      `new_certs_dir = ${d}`,
      `serial = ${d}/serial`,
      'default_md = sha256',
      'policy = pol',
      '[pol]',
      'commonName = supplied',
      '[v3_ca]',
      'basicConstraints = critical,CA:TRUE',
      'keyUsage = critical,keyCertSign,cRLSign',
      'subjectKeyIdentifier = hash',
      '[ek]',
      'basicConstraints = critical,CA:FALSE',
      'keyUsage = critical,keyEncipherment',
      'extendedKeyUsage = 2.23.133.8.1',
      'authorityKeyIdentifier = keyid',
      '',
    ].join('\n'),
  );
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: d, stdio: 'pipe' });
  run([
    'req',
    '-new',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'root.key',
    '-subj',
    '/CN=expired-ek-root',
    '-out',
    'root.csr',
  ]);
  run([
    ...[
      'ca',
      '-batch',
      '-config',
      'ca.cnf',
      '-selfsign',
      '-keyfile',
      'root.key',
      '-in',
      'root.csr',
    ],
    ...[
      '-out',
      'root.pem',
      '-startdate',
      '20200101000000Z',
      '-enddate',
      '20210101000000Z',
      '-extensions',
      'v3_ca',
    ],
  ]);
  run([
    ...['x509', '-new', '-subj', '/CN=ek', '-force_pubkey', 'ekpub.pem', '-CA', 'root.pem'],
    ...[
      '-CAkey',
      'root.key',
      '-days',
      '365',
      '-extfile',
      'ca.cnf',
      '-extensions',
      'ek',
      '-out',
      'leaf.pem',
    ],
  ]);
  return {
    root: readFileSync(join(d, 'root.pem'), 'utf8'),
    leaf: readFileSync(join(d, 'leaf.pem'), 'utf8'),
  };
}
