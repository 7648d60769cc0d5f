import { type OpenOptions } from '../keystore-options';

/** What the production checklist reports: its checks, each item's verdict and evidence. */

export type Verdict = 'pass' | 'warn' | 'fail';

export const PRODUCTION_CHECKS = [
  'addon',
  'identity',
  'tier',
  'passphrase',
  'storage',
  'survival',
  'recovery',
  'exportability',
] as const;
export type ProductionCheckId = (typeof PRODUCTION_CHECKS)[number];

export interface ProductionCheckItem {
  id: ProductionCheckId;
  title: string;
  verdict: Verdict;
  evidence: string[];
  /** What to do; absent when the item passed. */
  fix?: string;
}

export interface ProductionReport {
  /** The worst verdict of any item. */
  verdict: Verdict;
  dir: string;
  items: ProductionCheckItem[];
}

export interface ProductionCheckOptions extends OpenOptions {
  /** The name of the sealed secret that holds the app's recovery material (never read, only looked up). */
  recoverySecret?: string;
  /** Re-read the identity in a separate process, as after a restart. Default true. */
  freshProcess?: boolean;
}
