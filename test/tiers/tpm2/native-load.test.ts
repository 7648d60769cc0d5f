import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadNative } from '../../../src/addon/load';

// How the addon loads: the tss2 libraries through dlopen with DEEPBIND (so their OpenSSL calls
// bind to the system libcrypto, not to the copy inside the node binary), old glibc symbol
// versions, and a working package when libtss2 is missing.

const root = path.resolve(__dirname, '..', '..', '..');
// The tss2 runtime libraries (not the headers: the addon vendors those, so every build has the
// TPM tier and only needs the libraries at run time).
const tss2Runtime = (() => {
  const native = loadNative();
  return native.ok && native.addon.tss2Status?.('').ok === true;
})();
const temp = mkdtempSync(path.join(tmpdir(), 'dk-native-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

function addonPath(): string {
  const native = loadNative();
  if (!native.ok) throw new Error(`the addon did not load: ${native.error}`);
  return native.path;
}

/** Run a node snippet with LD_DEBUG=bindings; returns "from -> to" for every binding made by `lib`. */
function bindingsOf(lib: string, script: string): Map<string, number> {
  const prefix = path.join(temp, `ld-${Math.random().toString(36).slice(2)}`);
  execFileSync(process.execPath, ['-e', script], {
    cwd: root,
    env: { ...process.env, LD_DEBUG: 'bindings', LD_DEBUG_OUTPUT: prefix },
    stdio: 'pipe',
  });
  const counts = new Map<string, number>();
  for (const f of readdirSync(temp).filter((n) => path.join(temp, n).startsWith(prefix))) {
    for (const line of readFileSync(path.join(temp, f), 'utf8').split('\n')) {
      const m = /binding file (\S+) \[\d+\] to (\S+) \[\d+\]/.exec(line);
      if (!m || !m[1]!.includes(lib)) continue;
      const to = path.basename(m[2]!);
      counts.set(to, (counts.get(to) ?? 0) + 1);
    }
  }
  return counts;
}

describe('the native addon', () => {
  it('loads, and has the TPM tier (every Linux build has it)', () => {
    const native = loadNative();
    expect(native.ok).toBe(true);
    if (native.ok && process.platform === 'linux') {
      expect(typeof native.addon.TpmConnection).toBe('function');
      expect(typeof native.addon.tss2Status).toBe('function');
    }
  });

  it('exports only the Node-API entry points', () => {
    const out = execFileSync('objdump', ['-T', addonPath()], { encoding: 'utf8' });
    const defined = out
      .split('\n')
      .filter((l) => /\sDF?\s/.test(l) && !l.includes('*UND*'))
      .map((l) => l.trim().split(/\s+/).pop());
    expect(defined.sort()).toEqual([
      'napi_register_module_v1',
      'node_api_module_get_api_version_v1',
    ]);
  });

  it('needs no glibc newer than 2.17, and dlopen/dlsym/dlerror at their oldest versions', () => {
    const out = execFileSync('objdump', ['-T', addonPath()], { encoding: 'utf8' });
    const versions = [...out.matchAll(/\(?GLIBC_(\d+)\.(\d+)(?:\.\d+)?\)?/g)].map((m) => [
      Number(m[1]),
      Number(m[2]),
    ]);
    expect(versions.length).toBeGreaterThan(0);
    for (const [major, minor] of versions) expect(major! * 1000 + minor!).toBeLessThanOrEqual(2017);
    if (process.arch === 'x64' && process.platform === 'linux') {
      for (const fn of ['dlopen', 'dlsym', 'dlerror']) {
        expect(out).toMatch(new RegExp(`\\(?GLIBC_2\\.2\\.5\\)?\\s+${fn}\\b`));
      }
    }
  });
});

describe.runIf(tss2Runtime)('tss2 loaded with RTLD_DEEPBIND', () => {
  it('the loader reports DEEPBIND (only the sanitizer build, DK_TSS2_NO_DEEPBIND, goes without)', () => {
    const native = loadNative();
    expect(native.ok && native.addon.tss2Status!('').deepBind).toBe(true);
  });

  it("binds libtss2-esys's OpenSSL calls to the system libcrypto, none to the node binary", () => {
    const ours = bindingsOf(
      'libtss2-esys',
      `const a = require(${JSON.stringify(addonPath())}); const s = a.tss2Status(); if (!s.ok) throw new Error(s.error);`,
    );
    const toLibcrypto = [...ours]
      .filter(([to]) => to.startsWith('libcrypto'))
      .reduce((n, [, c]) => n + c, 0);
    expect(toLibcrypto).toBeGreaterThan(10);
    expect(ours.get('node') ?? 0).toBe(0);
  });

  it('control: a plain dlopen of the same library binds OpenSSL symbols to node', () => {
    // process.dlopen maps the library with RTLD_NOW (and no DEEPBIND); it then throws because
    // libtss2 is not an addon, but the bindings were already made.
    const esys = execFileSync(process.execPath, [
      '-p',
      `require(${JSON.stringify(addonPath())}).tss2Status().libraries[0].path`,
    ])
      .toString()
      .trim();
    const plain = bindingsOf(
      'libtss2-esys',
      `try { process.dlopen({ exports: {} }, ${JSON.stringify(esys)}, require('os').constants.dlopen.RTLD_NOW); } catch {}`,
    );
    expect(plain.get('node') ?? 0).toBeGreaterThan(10);
  });
});

describe('without libtss2 (DEVICE_KEYSTORE_TSS2_LIBDIR points at an empty directory)', () => {
  it('the package imports, the file tier works, and the TPM tier names the missing library and package', () => {
    const empty = mkdtempSync(path.join(temp, 'nolib-'));
    const child = spawnSync(
      process.execPath,
      [
        '-e',
        `(async () => {
          const { Keystore } = require(${JSON.stringify(path.join(root, 'dist/index.js'))});
          const ks = await Keystore.open({ dir: ${JSON.stringify(path.join(temp, 'nolib-store'))}, passphrase: 'x', tcti: 'swtpm:host=127.0.0.1,port=9' });
          const key = await ks.createKey('k');
          const sig = await key.sign('hello');
          const d = await ks.describe();
          console.log(JSON.stringify({ tier: d.tier, ok: key.verify('hello', sig), tpm: d.tiers.find((t) => t.tier === 'tpm2') }));
        })().catch((e) => { console.error(e); process.exit(1); });`,
      ],
      { env: { ...process.env, DEVICE_KEYSTORE_TSS2_LIBDIR: empty }, encoding: 'utf8' },
    );
    expect(child.status, child.stderr).toBe(0);
    const result = JSON.parse(child.stdout) as {
      tier: string;
      ok: boolean;
      tpm: { status: string; reason: string };
    };
    expect(result.tier).toBe('encrypted-file');
    expect(result.ok).toBe(true);
    expect(result.tpm.status).toBe('unavailable');
    expect(result.tpm.reason).toMatch(/libtss2-esys\.so\.0 not found/);
    expect(result.tpm.reason).toMatch(/install the Debian\/Ubuntu package/);
  });
});
