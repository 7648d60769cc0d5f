import { verify as nodeVerify } from 'node:crypto';
import * as path from 'node:path';
import { Keystore } from '../keystore';
import { type StoreDescription } from '../rooms/describe';
import { addonSummary, ADDON_MISSING_HINT } from '../addon/load';
import { findPassphrase, type PassphraseSource } from '../store/passphrase';
import { describeSource } from '../store/file-master';
import { storePaths } from '../store/paths';
import { ephemeralEvidence, persistentStorageFix, type StorageFacts } from '../store/persistence';
import { survivalOf } from './survival';
import {
  type ProductionCheckId,
  type Verdict,
  type ProductionCheckItem,
  type ProductionCheckOptions,
} from './report';
import { readInFreshProcess } from './fresh-process';

/** The checklist's items, one function each: what it looks at, its verdict, and the fix it names. */

export function item(
  id: ProductionCheckId,
  title: string,
  verdict: Verdict,
  evidence: string[],
  fix?: string,
): ProductionCheckItem {
  return { id, title, verdict, evidence, ...(verdict !== 'pass' && fix ? { fix } : {}) };
}

/** The package's own directory (dist/production/ → the package root). */
const PACKAGE_ROOT = path.resolve(__dirname, '..', '..');

/** Installed as a dependency, or inside a packaged Electron app, rather than a source checkout. */
function installedCopy(dir: string): boolean {
  return dir
    .split(/[\\/]/)
    .some((p) => p === 'node_modules' || p.endsWith('.asar.unpacked') || p.endsWith('.asar'));
}

export function addonItem(): ProductionCheckItem {
  const title = 'native addon in the production build';
  const a = addonSummary();
  if (!a.loaded) {
    return item(
      'addon',
      title,
      'fail',
      [`the native addon did not load: ${a.error}`],
      `${a.hint ?? ADDON_MISSING_HINT}. In a packaged app, ship the package's prebuilds/ and unpack *.node from app.asar (asarUnpack); see docs/packaging.md`,
    );
  }
  const where = `loaded from ${a.path} (${a.origin})`;
  if (a.origin === 'prebuilds')
    return item('addon', title, 'pass', [`${where}: a prebuild shipped in the package`]);
  if (installedCopy(PACKAGE_ROOT)) {
    return item('addon', title, 'pass', [
      `${where}: compiled for this machine when the package was installed or the app was packaged`,
    ]);
  }
  return item(
    'addon',
    title,
    'warn',
    [
      `${where}, in ${PACKAGE_ROOT}, which is a source checkout, not an installed package or a packaged app`,
    ],
    'run the checklist where the product runs: in the installed package (npm ci --omit=dev) or inside the packaged app, where a development build/ is absent',
  );
}

export async function identityItem(
  ks: Keystore,
  d: StoreDescription,
  opts: ProductionCheckOptions,
): Promise<ProductionCheckItem> {
  const title = 'identity present and re-readable by a fresh process';
  if (!d.identity) {
    return item(
      'identity',
      title,
      'fail',
      [`${ks.dir} has no identity`],
      'run `device-keystore init --name <name>` (or keystore.init) where the product runs, as the user it runs as',
    );
  }
  const have = `identity "${d.identity.name}" (${d.identity.deviceId}), key "${d.identity.keyAlias}" in ${d.identity.tier}`;
  if (opts.freshProcess === false) {
    return item(
      'identity',
      title,
      'warn',
      [have, 'not re-read in a fresh process (freshProcess: false)'],
      'run the checklist with the fresh-process check',
    );
  }
  const child = await readInFreshProcess(ks.dir, opts);
  if (!child.ok) {
    return item(
      'identity',
      title,
      'fail',
      [have, `a fresh process could not use it: ${child.message} [${child.code}]`],
      'a restarted product would fail the same way: give it what this process has (the passphrase source, the TPM transport, the same user and store directory)',
    );
  }
  const signed = nodeVerify(
    'sha256',
    child.challenge,
    d.identity.publicKey,
    Buffer.from(child.signature, 'base64'),
  );
  if (child.deviceId !== d.identity.deviceId || !signed) {
    return item(
      'identity',
      title,
      'fail',
      [have, `a fresh process read a different identity (${child.deviceId})`],
      'check DEVICE_KEYSTORE_DIR and the store directory of the product',
    );
  }
  return item('identity', title, 'pass', [
    have,
    `a fresh process (pid ${child.pid}) read it and signed a random challenge, which verifies against the identity's public key`,
  ]);
}

export function tierItem(d: StoreDescription): ProductionCheckItem {
  const title = 'keys in hardware, or the downgrade named';
  const soft = d.keys.filter((k) => !k.hardwareBacked);
  const evidence = [
    `new keys go to ${d.tier} (hardware-backed: ${d.hardwareBacked ? 'yes' : 'no'})`,
    ...d.keys.map(
      (k) => `key "${k.alias}": ${k.tier}, hardware-backed: ${k.hardwareBacked ? 'yes' : 'no'}`,
    ),
  ];
  if (d.hardwareBacked && soft.length === 0) return item('tier', title, 'pass', evidence);
  const unavailable = d.tiers
    .filter((t) => t.status === 'unavailable' && t.reason)
    .map((t) => `${t.tier}: ${t.reason}`);
  return item(
    'tier',
    title,
    'warn',
    [
      ...evidence,
      ...(unavailable.length ? [`hardware tiers not used: ${unavailable.join('; ')}`] : []),
    ],
    "make a hardware tier available (the reasons above say what is missing), or accept the software tier knowingly and say so in the product's documentation; requireHardware: true (--require-hardware) refuses the downgrade",
  );
}

function usesFileTier(d: StoreDescription): boolean {
  return d.tier === 'encrypted-file' || d.keys.some((k) => k.tier === 'encrypted-file');
}

export async function passphraseItem(
  ks: Keystore,
  d: StoreDescription,
  opts: ProductionCheckOptions,
): Promise<ProductionCheckItem> {
  const title = 'passphrase kept apart from the store';
  if (!usesFileTier(d))
    return item('passphrase', title, 'pass', [
      'no key is in the encrypted-file tier: no passphrase protects this store',
    ]);
  const paths = storePaths(ks.dir);
  let source: PassphraseSource | undefined;
  if (opts.passphrase !== undefined) source = 'option';
  else {
    try {
      source = (await findPassphrase(paths, undefined))?.source;
    } catch (err) {
      return item(
        'passphrase',
        title,
        'fail',
        [`the passphrase cannot be read: ${(err as Error).message}`],
        'fix the passphrase source named above',
      );
    }
  }
  if (source === undefined) {
    return item(
      'passphrase',
      title,
      'fail',
      ['no passphrase is available to this process'],
      'give the product its passphrase: a systemd credential (LoadCredentialEncrypted=device-keystore-passphrase:…), DEVICE_KEYSTORE_PASSPHRASE, or a file elsewhere (DEVICE_KEYSTORE_PASSPHRASE_FILE)',
    );
  }
  const from = `the passphrase comes from ${describeSource(source)}`;
  const inside = path.relative(ks.dir, paths.passphraseFile);
  if (
    (source === 'file' || source === 'legacy-identity') &&
    !inside.startsWith('..') &&
    !path.isAbsolute(inside)
  ) {
    return item(
      'passphrase',
      title,
      'warn',
      [
        from,
        `${paths.passphraseFile} is inside the store directory: whoever can read the directory, or a backup or copy of it, can use the keys`,
      ],
      'move the passphrase out of the store: a systemd credential (LoadCredentialEncrypted=device-keystore-passphrase:…, docs/security.md), DEVICE_KEYSTORE_PASSPHRASE set by the service manager, or DEVICE_KEYSTORE_PASSPHRASE_FILE on another volume; then delete the file',
    );
  }
  const note =
    source === 'env'
      ? [
          'an environment variable is inherited by child processes and readable in /proc/<pid>/environ by the same user; a systemd credential is narrower',
        ]
      : [];
  return item('passphrase', title, 'pass', [from, ...note]);
}

export function storageItem(f: StorageFacts): ProductionCheckItem {
  const title = 'store on persistent storage';
  const where = f.fsType
    ? `${f.examined} is on ${f.fsType} mounted at ${f.mountPoint}`
    : `${f.examined}`;
  if (f.ephemeral.length === 0) return item('storage', title, 'pass', [where]);
  return item(
    'storage',
    title,
    'fail',
    [...ephemeralEvidence(f), 'the identity will not survive a restart or redeploy'],
    persistentStorageFix(f),
  );
}

export function survivalItem(ks: Keystore, d: StoreDescription): ProductionCheckItem {
  const title = 'what survives an uninstall, a reinstall and the loss of the device';
  const evidence = survivalOf(d);
  const rel = path.relative(PACKAGE_ROOT, ks.dir);
  const insidePackage = !rel.startsWith('..') && !path.isAbsolute(rel);
  if (installedCopy(ks.dir) || insidePackage) {
    return item(
      'survival',
      title,
      'fail',
      [
        `${ks.dir} is inside the installed package or app, which an update or reinstall replaces`,
        ...evidence,
      ],
      "keep the store outside the app: /var/lib/<service> for a service, app.getPath('userData') for Electron",
    );
  }
  return item('survival', title, 'pass', [
    `${ks.dir} is outside the installed package: uninstalling or reinstalling the package leaves it`,
    ...evidence,
  ]);
}

export async function recoveryItem(
  ks: Keystore,
  d: StoreDescription,
  name: string | undefined,
): Promise<ProductionCheckItem> {
  const title = 'a recovery secret for a lost device';
  const bound = d.keys.some((k) => k.extractableBy === 'nobody');
  const loss = bound
    ? 'keys that cannot leave this device are gone with it: without a recovery design, its users lose access'
    : 'without a recovery design, the loss of this device and of its backups loses the identity';
  if (name === undefined) {
    return item(
      'recovery',
      title,
      'warn',
      ['no recovery secret is configured', loss],
      'decide the recovery design (a second enrolled device, a server-side re-enrolment, a recovery envelope) and seal its device-side part as a secret under a name the app passes here (--recovery-secret NAME / recoverySecret)',
    );
  }
  const names = await ks.secrets.list();
  if (!names.includes(name)) {
    return item(
      'recovery',
      title,
      'fail',
      [`no sealed secret named "${name}" in ${ks.dir}`, loss],
      `seal it: device-keystore secret set ${name} < envelope (or keystore.secrets.set('${name}', …))`,
    );
  }
  return item('recovery', title, 'pass', [
    `a sealed secret named "${name}" is stored (its value was not read)`,
  ]);
}

export function exportabilityItem(d: StoreDescription): ProductionCheckItem {
  const title = 'who can export the keys, as describe() reports it';
  const evidence = [
    `new keys: extractable by ${d.extractableBy}`,
    ...d.keys.map((k) => `key "${k.alias}" (${k.tier}): extractable by ${k.extractableBy}`),
  ];
  const exportable = d.keys.filter((k) => k.extractable);
  if (exportable.length === 0 && !d.extractable)
    return item('exportability', title, 'pass', evidence);
  return item(
    'exportability',
    title,
    'warn',
    evidence,
    "say in the product's security documentation who can export these keys (passphrase-holder: anyone with the store and its passphrase; os-account-owner: the OS account), or move them to a hardware tier",
  );
}
