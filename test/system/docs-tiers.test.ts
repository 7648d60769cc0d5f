/**
 * docs/security.md's per-tier table says what describe() says: for each tier, whether keys are
 * hardware-backed and who can extract them, and it has a sealed-secrets row for every tier.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TIER_PROVIDERS } from '../../src/tiers/detect';

const doc = readFileSync(path.join(__dirname, '..', '..', 'docs', 'security.md'), 'utf8');
const section = doc.slice(
  doc.indexOf('## What each tier protects'),
  doc.indexOf('## The encrypted'),
);
const rows = section
  .split('\n')
  .filter((l) => l.startsWith('| `'))
  .map((l) => l.split('|').map((c) => c.trim()));

const WHO = {
  nobody: 'extractable by nobody',
  'os-account-owner': 'extractable by the OS account owner',
  'passphrase-holder': 'extractable by the passphrase holder',
} as const;

describe('docs/security.md, per tier', () => {
  it('states the guarantees describe() reports, and covers sealed secrets on every tier', () => {
    expect(TIER_PROVIDERS.length).toBe(6);
    for (const p of TIER_PROVIDERS) {
      const mine = rows.filter((r) => r[1] === `\`${p.tier}\``);
      const keys = mine.find((r) => r[2] === 'keys');
      expect(keys, `${p.tier} keys row`).toBeDefined();
      const claim = keys![3]!;
      expect(
        claim.startsWith(p.hardwareBacked ? 'hardware-backed' : 'not hardware-backed'),
        claim,
      ).toBe(true);
      expect(claim, p.tier).toContain(WHO[p.extractableBy]);
      expect(
        mine.find((r) => r[2] === 'sealed secrets'),
        `${p.tier} secrets row`,
      ).toBeDefined();
    }
  });
});
