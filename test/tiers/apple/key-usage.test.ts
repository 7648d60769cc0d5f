/**
 * A certifying key's usage on the macOS tiers, bound to the keychain item and not only to the
 * record: a certifying key's application tag says so (`device-keystore/certifying-key/…`),
 * and loading reads the tag back from the item the keychain returns. Over a scripted keychain
 * (items found by tag, their tags reported as stored), without a Mac: the native side is
 * compile- and link-checked only (npm run check:macos). Secure Enclave keys kept as blobs in
 * the key file have no keychain item, so their usage stays in the record (docs/delegation.md).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { macBackend } from '../../../src/tiers/apple/backend';
import { KEYCHAIN_GUARANTEES, SE_GUARANTEES } from '../../../src/tiers/apple/settings';
import { tagUsage } from '../../../src/tiers/apple/records';
import { type NativeKeySpec, type NativeMacSecurity } from '../../../src/addon/apple';
import type { BackendContext } from '../../../src/tiers/tier';
import { withMacErrors } from '../../../src/addon/osstatus';
import { caught } from '../../helpers/file';
import { ROOT } from '../../helpers/common';
import { flipped, recordOf, usageHeader, x963 } from '../../helpers/key-usage';

/**
 * A keychain: items keep the tag and label they were made with, findKeys matches the tag and
 * reports each item's own tag. `tagReport` changes what it reports (an addon that reports none,
 * or another tag), to show the tag is read from the item.
 */
function scriptedKeychain(opts: { entitled?: boolean; tagReport?: (tag: Buffer) => unknown } = {}) {
  const items: { tag: Buffer; label?: string; publicKey: Buffer; key: object }[] = [];
  const blobs = new Map<string, Buffer>();
  const native = {
    hostInfo: async () => ({
      entitled: opts.entitled ?? false,
      accessGroups: opts.entitled ? ['TEAMID.app'] : [],
    }),
    createKey: async (spec: NativeKeySpec) => {
      const publicKey = x963();
      if (spec.kind === 'se-blob') {
        const blob = Buffer.from(`blob-${blobs.size}`);
        blobs.set(blob.toString(), publicKey);
        return { key: {}, publicKey, blob };
      }
      const item = {
        tag: spec.tag!,
        publicKey,
        key: {},
        ...(spec.label ? { label: spec.label } : {}),
      };
      items.push(item);
      return { key: item.key, publicKey };
    },
    rebuildKey: async (blob: Buffer) => ({ key: {}, publicKey: blobs.get(blob.toString())! }),
    findKeys: async (spec: NativeKeySpec) => {
      const found = items.filter((i) => i.tag.equals(spec.tag!));
      if (found.length === 0) {
        throw Object.assign(new Error('not found'), {
          call: 'SecItemCopyMatching',
          domain: 'NSOSStatusErrorDomain',
          status: -25300,
          statusText: 'The specified item could not be found in the keychain.',
        });
      }
      return found.map((i) => ({
        key: i.key,
        publicKey: i.publicKey,
        ...(opts.tagReport ? { tag: opts.tagReport(i.tag) } : { tag: i.tag }),
      }));
    },
    close: async () => {},
  };
  return { native: withMacErrors(native as unknown as NativeMacSecurity), items };
}

const header = usageHeader;

function context() {
  const warnings: string[] = [];
  const ctx = { storeDir: '/store', warn: (m: string) => warnings.push(m) };
  return { ctx: ctx as unknown as BackendContext, warnings };
}

const kinds = [
  ['keychain', KEYCHAIN_GUARANTEES, false],
  ['se-keychain', SE_GUARANTEES, true],
] as const;

describe('keychain items: a certifying key is tagged as one, and the tag is read back', () => {
  for (const [kind, guarantees, entitled] of kinds) {
    it(`${kind}: a record edited from certify to general is E_CORRUPT naming the file`, async () => {
      const mac = scriptedKeychain({ entitled });
      const { ctx, warnings } = context();
      const backend = macBackend(ctx, mac.native, guarantees);
      const h = header(guarantees.tier, 'certify');
      const made = await backend.generateKey(h);
      expect(made.backendData.kind).toBe(kind);
      const tag = made.backendData.tag as string;
      expect(tag).toMatch(/^device-keystore\/certifying-key\/k\/[0-9a-f]{32}$/);
      expect(tagUsage(tag)).toBe('certify');
      expect(mac.items[0]!.label).toBe('device-keystore: k (certifying)');
      const record = recordOf(h, made);
      await backend.loadKey(record, 'certifying/k.json');
      expect(warnings).toEqual([]);
      const err = await caught(() => backend.loadKey(flipped(record), 'keys/k.json'));
      expect(err).toMatchObject({ code: 'E_CORRUPT', path: 'keys/k.json' });
      expect(err.message).toContain(
        `the record says the key is for general use, but its keychain item (tag ${tag}) says it is a certifying key`,
      );
      // Naming the item by a general tag names an item the keychain does not have.
      const renamed = {
        ...flipped(record),
        backendData: { ...record.backendData, tag: tag.replace('certifying-key/', 'key/') },
      };
      const gone = await caught(() => backend.loadKey(renamed, 'keys/k.json'));
      expect(gone).toMatchObject({ code: 'E_CORRUPT' });
      expect(gone.message).toContain('is missing');
    });

    it(`${kind}: general keys keep their tags; a 0.2.0 certifying record still loads, with a warning`, async () => {
      const mac = scriptedKeychain({ entitled });
      const { ctx, warnings } = context();
      const backend = macBackend(ctx, mac.native, guarantees);
      const g = header(guarantees.tier);
      const made = await backend.generateKey(g);
      expect(made.backendData.tag).toMatch(/^device-keystore\/key\/k\/[0-9a-f]{32}$/);
      expect(mac.items[0]!.label).toBe('device-keystore: k');
      await backend.loadKey(recordOf(g, made), 'keys/k.json');
      expect(warnings).toEqual([]);
      // What 0.2.0 made: a certifying key under a general tag. Only its record says it
      // certifies (a general key's record edited to certify looks the same).
      const old = flipped(recordOf(g, made));
      await backend.loadKey(old, 'certifying/k.json');
      await backend.loadKey(old, 'certifying/k.json');
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(
        `certifying/k.json: only its record says this is a certifying key, not its keychain item (tag ${made.backendData.tag as string}) (a certifying key made by device-keystore 0.2.0)`,
      );
      expect(backend.warnings().join('\n')).toContain('certifying/k.json');
    });
  }

  it('the usage is what the keychain reports for the item, not what the record asked for', async () => {
    for (const report of [() => undefined, () => Buffer.from('device-keystore/key/k/x')]) {
      const mac = scriptedKeychain({ tagReport: report });
      const backend = macBackend(context().ctx, mac.native, KEYCHAIN_GUARANTEES);
      const h = header('keychain', 'certify');
      const record = recordOf(h, await backend.generateKey(h));
      const err = await caught(() => backend.loadKey(record, 'certifying/k.json'));
      expect(err).toMatchObject({ code: 'E_MACOS' });
      expect(err.message).toMatch(
        /the keychain item found for certifying\/k\.json reports (no tag|the tag device-keystore\/key\/k\/x)/,
      );
    }
  });
});

describe('Secure Enclave keys kept as blobs: nothing outside the record to bind the usage to', () => {
  it('a certifying se-blob record edited to general still loads (describe() and the docs say so)', async () => {
    const mac = scriptedKeychain();
    const backend = macBackend(context().ctx, mac.native, SE_GUARANTEES);
    const h = header('secure-enclave', 'certify');
    const made = await backend.generateKey(h);
    expect(made.backendData.kind).toBe('se-blob');
    expect(made.backendData).not.toHaveProperty('tag');
    await backend.loadKey(flipped(recordOf(h, made)), 'keys/k.json');
  });
});

describe('the native side, read as text (no Mac here; npm run check:macos compiles it)', () => {
  it("findKeys returns each item's application tag as the keychain holds it", () => {
    const src = readFileSync(path.join(ROOT, 'native', 'macos', 'mac_keys.cc'), 'utf8');
    const start = src.indexOf('MacResult FindKeys(const KeySpec& spec');
    const body = src.slice(start, src.indexOf('\n}\n', start));
    expect(body).toContain('CFDictionarySetValue(q.get(), kSecReturnAttributes, kCFBooleanTrue);');
    expect(body).toMatch(/CFDictionaryGetValue\(attrs, kSecAttrApplicationTag\)/);
    expect(body).toMatch(/k\.tag = BytesFromData/);
    const binding = readFileSync(path.join(ROOT, 'native', 'macos', 'mac_binding.cc'), 'utf8');
    expect(binding).toContain('o.Set("tag", ToBuffer(env, k->tag));');
  });
});
