import { Keystore } from '../keystore';
import { type OpenOptions } from '../keystore-options';
import { invalidArgument, isKeystoreError } from '../core/errors';
import { validateName } from '../store/paths';
import { storageFacts } from '../store/persistence';
import {
  addonItem,
  item,
  identityItem,
  tierItem,
  passphraseItem,
  storageItem,
  survivalItem,
  recoveryItem,
  exportabilityItem,
} from './items';
import {
  type ProductionCheckItem,
  type Verdict,
  type ProductionCheckOptions,
  type ProductionReport,
} from './report';

/**
 * The production checklist: what a deployment needs for its identity to survive (a restart, a
 * redeploy, a reinstall, the loss of the device) and for the claims made about it to hold, checked
 * on the machine or inside the packaged app where the product runs. Each item is pass, warn or
 * fail, with the evidence it was judged on and, unless it passed, the fix. It reads no secret and
 * prints none: the report is safe to attach to a support bundle (docs/production.md).
 */
const OWN_OPTIONS = new Set(['recoverySecret', 'freshProcess']);

function worst(items: ProductionCheckItem[]): Verdict {
  if (items.some((i) => i.verdict === 'fail')) return 'fail';
  return items.some((i) => i.verdict === 'warn') ? 'warn' : 'pass';
}

/** Run every item of the production checklist against the store `opts` opens. */
export async function checkProduction(
  opts: ProductionCheckOptions = {},
): Promise<ProductionReport> {
  if (opts === null || typeof opts !== 'object') throw invalidArgument('options must be an object');
  if (opts.recoverySecret !== undefined) validateName('secret name', opts.recoverySecret);
  if (opts.freshProcess !== undefined && typeof opts.freshProcess !== 'boolean') {
    throw invalidArgument('freshProcess must be a boolean');
  }
  const openOptions = Object.fromEntries(
    Object.entries(opts).filter(([k]) => !OWN_OPTIONS.has(k)),
  ) as OpenOptions;
  const addon = addonItem();
  let ks: Keystore;
  try {
    ks = await Keystore.open({ onWarning: () => {}, ...openOptions });
  } catch (err) {
    if (!isKeystoreError(err)) throw err;
    const failed = item(
      'identity',
      'identity present and re-readable by a fresh process',
      'fail',
      [`the store cannot be opened: ${err.message} [${err.code}]`],
      err.hint ?? 'fix the error above',
    );
    return { verdict: 'fail', dir: openOptions.dir ?? '', items: [addon, failed] };
  }
  try {
    const d = await ks.describe();
    const items = [
      addon,
      await identityItem(ks, d, opts),
      tierItem(d),
      await passphraseItem(ks, d, opts),
      storageItem(await storageFacts(ks.dir)),
      survivalItem(ks, d),
      await recoveryItem(ks, d, opts.recoverySecret),
      exportabilityItem(d),
    ];
    return { verdict: worst(items), dir: ks.dir, items };
  } finally {
    await ks.close();
  }
}
