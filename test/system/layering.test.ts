/**
 * The house rules that keep a new tier one new room: each floor of src/ imports only the floors
 * below it, the store and the tiers never import each other, and src/ has no import cycle.
 * Tiers do crypto, the store does files: no tier module touches the file system, except the
 * TPM tier's probe of its device node.
 */
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importCycles, importGraph, layeringViolations, type Floor } from '../helpers/import-graph';

const ROOT = path.resolve(__dirname, '..', '..');
const SRC = path.join(ROOT, 'src');
const TIERS_DIR = path.join(SRC, 'tiers');

/** Lowest first (docs/architecture in CONTRIBUTING.md names what each floor holds). */
const FLOORS: Floor[] = [
  { name: 'core', prefixes: ['core'] },
  { name: 'crypto', prefixes: ['crypto'] },
  { name: 'attestation', prefixes: ['attestation'] },
  { name: 'addon', prefixes: ['addon'] },
  { name: 'store', prefixes: ['store'] },
  { name: 'tiers', prefixes: ['tiers'] },
  { name: 'signer', prefixes: ['signer'] },
  { name: 'delegation', prefixes: ['delegation'] },
  { name: 'keys', prefixes: ['key-info', 'device-key', 'verify'] },
  { name: 'rooms', prefixes: ['rooms'] },
  { name: 'doctor', prefixes: ['doctor'] },
  { name: 'facade', prefixes: ['keystore-options', 'keystore', 'key-vault', 'key-vault-contract'] },
  // The production checklist runs a child that loads the package's entry (fresh-child.ts).
  { name: 'entry', prefixes: ['index', 'production'] },
  { name: 'cli', prefixes: ['cli'] },
];
const FORBIDDEN: [string, string][] = [
  ['tiers', 'store'],
  ['attestation', 'addon'],
];

describe('src/ is a house: floors, no circles', () => {
  const graph = importGraph(SRC);

  it('every file is on a floor, and imports only its own floor and those below', () => {
    expect(layeringViolations(graph, FLOORS, FORBIDDEN)).toEqual([]);
  });

  it('has no import cycle', () => {
    expect(importCycles(graph)).toEqual([]);
  });

  it('no source file over 400 lines, except the pure parsers in crypto/', () => {
    const PARSERS = new Set(['crypto/p256', 'crypto/tpm2-structures']);
    const long = graph.files
      .filter((f) => !PARSERS.has(f))
      .map((f) => [f, readFileSync(path.join(SRC, f + '.ts'), 'utf8').split('\n').length] as const)
      .filter(([, n]) => n > 410);
    expect(long).toEqual([]);
  });
});

describe('the rules catch what they are for', () => {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'dk-layering-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  const tree = (files: Record<string, string>) => {
    const root = mkdtempSync(path.join(scratch, 't-'));
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
      writeFileSync(path.join(root, name), text);
    }
    return importGraph(root);
  };

  it('a store module importing a tier is refused, and so is the reverse', () => {
    const g = tree({
      'store/records.ts': "import type { X } from '../tiers/tier';\n",
      'tiers/tier.ts': "import { writeRecord } from '../store/records';\n",
    });
    expect(layeringViolations(g, FLOORS, FORBIDDEN)).toEqual([
      'store/records → tiers/tier: store imports upward into tiers',
      'tiers/tier → store/records: tiers may not import store',
    ]);
  });

  it('core importing anything above it is refused', () => {
    const g = tree({
      'core/errors.ts': "export { x } from '../crypto/p256';\n",
      'crypto/p256.ts': '',
    });
    expect(layeringViolations(g, FLOORS, FORBIDDEN)).toEqual([
      'core/errors → crypto/p256: core imports upward into crypto',
    ]);
  });

  it('a cycle is found, type-only imports included', () => {
    const g = tree({
      'a.ts': "import type { B } from './b';\n",
      'b.ts': "import { c } from './c.js';\n",
      'c.ts': "import { a } from './a';\n",
      'd.ts': "import { a } from './a';\n",
    });
    expect(importCycles(g)).toEqual([['a', 'b', 'c']]);
  });
});

/** What the TPM tier may do with node:fs: look at /dev/tpmrm0 (exists, access). */
const DEVICE_PROBES = new Set(['existsSync', 'fsp.access', 'fsc.R_OK', 'fsc.W_OK']);

function fsUses(source: string): string[] {
  return [...source.matchAll(/\b(existsSync|fsp\.\w+|fsc\.\w+|fs\.\w+)/g)].map((m) => m[1]!);
}

function tierFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = path.join(dir, e);
    if (statSync(p).isDirectory()) return tierFiles(p);
    return e.endsWith('.ts') ? [path.relative(TIERS_DIR, p).split(path.sep).join('/')] : [];
  });
}

describe('tiers never touch the store files', () => {
  const files = tierFiles(TIERS_DIR);
  /** The TPM tier's device-node probe lives in one file. */
  const PROBE = 'tpm2/connect.ts';

  it.each(files)('%s', (file) => {
    const source = readFileSync(path.join(TIERS_DIR, file), 'utf8');
    const importsFs = /from 'node:fs(\/promises)?'/.test(source);
    if (file !== PROBE) {
      expect(importsFs, `${file} imports node:fs`).toBe(false);
      return;
    }
    expect(fsUses(source).filter((u) => !DEVICE_PROBES.has(u))).toEqual([]);
    // ...and it writes nothing: no write, rename, unlink or mkdir of any kind.
    expect(source).not.toMatch(/writeFile|rename|unlink|mkdir|\brm\(/);
  });

  it('the device probe is where this test looks for it', () => {
    expect(files).toContain(PROBE);
  });
});

describe('the published types show no internals', () => {
  const DIST = path.join(ROOT, 'dist');

  it.each(['keystore.d.ts', 'device-key.d.ts', 'rooms/secrets.d.ts'])('%s', (file) => {
    const types = readFileSync(path.join(DIST, file), 'utf8');
    // Private state is in #fields ("#private;" in a .d.ts), never in underscore members.
    expect(types).not.toMatch(/^\s+(readonly\s+)?_\w+\s*[(:]/m);
    expect(types).not.toMatch(/_paths|_backend|_locked|_assertOpen/);
  });
});
