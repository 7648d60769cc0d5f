/**
 * The house rules that keep a new tier one new room: tiers do crypto, the store does files.
 * No tier module touches the file system, except the TPM tier's probe of its device node.
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const BACKENDS = path.resolve(__dirname, '..', '..', 'src', 'backends');
/** What the TPM tier may do with node:fs: look at /dev/tpmrm0 (exists, access). */
const DEVICE_PROBES = new Set(['existsSync', 'fsp.access', 'fsc.R_OK', 'fsc.W_OK']);

function fsUses(source: string): string[] {
  return [...source.matchAll(/\b(existsSync|fsp\.\w+|fsc\.\w+|fs\.\w+)/g)].map((m) => m[1]!);
}

describe('tiers never touch the store files', () => {
  const files = readdirSync(BACKENDS).filter((f) => f.endsWith('.ts'));

  it.each(files)('%s', (file) => {
    const source = readFileSync(path.join(BACKENDS, file), 'utf8');
    const importsFs = /from 'node:fs(\/promises)?'/.test(source);
    if (file !== 'tpm2.ts') {
      expect(importsFs, `${file} imports node:fs`).toBe(false);
      return;
    }
    expect(fsUses(source).filter((u) => !DEVICE_PROBES.has(u))).toEqual([]);
    // ...and it writes nothing: no write, rename, unlink or mkdir of any kind.
    expect(source).not.toMatch(/writeFile|rename|unlink|mkdir|\brm\(/);
  });

  it('the store modules are the only ones that write', () => {
    expect(files).toContain('tpm2.ts');
    expect(files).not.toContain('file-master.ts');
  });
});

describe('the published types show no internals', () => {
  const DIST = path.resolve(__dirname, '..', '..', 'dist');

  it.each(['keystore.d.ts', 'device-key.d.ts', 'rooms/secrets.d.ts'])('%s', (file) => {
    const types = readFileSync(path.join(DIST, file), 'utf8');
    // Private state is in #fields ("#private;" in a .d.ts), never in underscore members.
    expect(types).not.toMatch(/^\s+(readonly\s+)?_\w+\s*[(:]/m);
    expect(types).not.toMatch(/_paths|_backend|_locked|_assertOpen/);
  });
});
