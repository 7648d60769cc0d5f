import { spawnSync } from 'node:child_process';
import { createPublicKey, verify } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Swtpm } from '../helpers/swtpm';

// A build of the addon from source on a machine without the tss2 headers has a working TPM
// tier once the tss2 runtime libraries are there: the addon carries the declarations it needs
// (native/linux-tpm/vendor/tss2) and dlopens the libraries at run time. The headers are hidden
// by mounting an empty directory over /usr/include/tss2 in a private mount namespace, for the
// build only. The test then shows, in child processes that load that very build, that the TPM
// tier names the missing library while the tss2 runtime is hidden, and signs on swtpm through
// the public API once it is there (the README's order: `npm install` first, `apt install` later).

const ROOT = path.resolve(__dirname, '..', '..');
const SYSTEM_HEADERS = '/usr/include/tss2';

/** Why this test cannot run here, or undefined when it can. */
function cannotRun(): string | undefined {
  if (process.platform !== 'linux')
    return `the TPM tier is Linux only (this is ${process.platform})`;
  if (!existsSync(SYSTEM_HEADERS)) return undefined; // nothing to hide
  if (process.getuid?.() !== 0) return 'hiding /usr/include/tss2 needs root (unshare -m, mount)';
  const probe = spawnSync('unshare', ['-m', 'true']);
  if (probe.status !== 0) return `unshare -m is not permitted here: ${String(probe.stderr).trim()}`;
  return undefined;
}

const skipReason = cannotRun();
if (skipReason) console.log(`test/package/source-build.test.ts: SKIPPED - ${skipReason}`);

describe.skipIf(skipReason !== undefined)('a source build without the tss2 headers', () => {
  let work: string;
  let pkg: string;
  let swtpm: Swtpm;

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'dk-source-build-'));
    pkg = path.join(work, 'device-keystore');
    mkdirSync(pkg);
    // What a source build of the published package has: binding.gyp and native/ (package.json
    // for `npm run build:native`), with this checkout's dependencies.
    for (const f of ['binding.gyp', 'package.json', 'native', 'dist']) {
      cpSync(path.join(ROOT, f), path.join(pkg, f), { recursive: true });
    }
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(pkg, 'node_modules'));
    swtpm = await Swtpm.start();
  });

  afterAll(async () => {
    await swtpm?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('compiles with /usr/include/tss2 empty, then signs on swtpm with the runtime libraries', async () => {
    const empty = path.join(work, 'empty');
    mkdirSync(empty);
    // Inside the namespace: hide the headers, prove they are gone, build. Nothing else runs there.
    const script = [
      'set -e',
      `if [ -d ${SYSTEM_HEADERS} ]; then mount --bind "$1" ${SYSTEM_HEADERS}; fi`,
      `test ! -e ${SYSTEM_HEADERS}/tss2_esys.h`,
      'echo "headers hidden: $(ls -A /usr/include/tss2 2>/dev/null | wc -l) files in /usr/include/tss2"',
      'exec npm run build:native',
    ].join('\n');
    const build = spawnSync('unshare', ['-m', 'sh', '-c', script, 'sh', empty], {
      cwd: pkg,
      encoding: 'utf8',
      timeout: 540_000,
    });
    const log = `${build.stdout}\n${build.stderr}`;
    expect(build.status, log.slice(-3000)).toBe(0);
    expect(log).toMatch(/headers hidden: 0 files/);
    expect(log).toMatch(/gyp info ok/);
    // The system headers are back outside the namespace; the build never saw them.
    expect(existsSync(path.join(SYSTEM_HEADERS, 'tss2_esys.h'))).toBe(existsSync(SYSTEM_HEADERS));

    const built = path.join(pkg, 'build', 'Release', 'device_keystore.node');
    expect(existsSync(built)).toBe(true);

    // Before the tss2 runtime is there (the libraries hidden: DEVICE_KEYSTORE_TSS2_LIBDIR is an
    // empty directory), the same build says what to install ...
    const noLibs = spawnSync(
      process.execPath,
      [
        '-e',
        `require(${JSON.stringify(path.join(pkg, 'dist', 'index.js'))})
          .Keystore.open({ dir: ${JSON.stringify(path.join(work, 'store-nolib'))}, backend: 'tpm2', tcti: ${JSON.stringify(swtpm.tcti)} })
          .then(() => process.exit(3), (e) => { console.log(JSON.stringify({ code: e.code, message: e.message })); });`,
      ],
      {
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, DEVICE_KEYSTORE_TSS2_LIBDIR: empty },
      },
    );
    expect(noLibs.status, noLibs.stderr).toBe(0);
    const refused = JSON.parse(noLibs.stdout.trim()) as { code: string; message: string };
    expect(refused.code).toBe('E_BACKEND_UNAVAILABLE');
    expect(refused.message).toMatch(/libtss2-esys\.so\.0 not found/);

    // ... and once it is there, the very same build signs: nothing to rebuild.
    const child = spawnSync(
      process.execPath,
      [
        '-e',
        `(async () => {
          const { Keystore } = require(${JSON.stringify(path.join(pkg, 'dist', 'index.js'))});
          const { loadNative } = require(${JSON.stringify(path.join(pkg, 'dist', 'addon', 'load.js'))});
          const ks = await Keystore.open({ dir: ${JSON.stringify(path.join(work, 'store'))}, backend: 'tpm2', tcti: ${JSON.stringify(swtpm.tcti)} });
          const key = await ks.createKey('k');
          const signature = await key.sign('built without tss2 headers');
          const pem = key.publicKey.export({ format: 'pem', type: 'spki' });
          await ks.close();
          console.log(JSON.stringify({ addon: loadNative().path, tier: key.tier, pem, signature: Buffer.from(signature).toString('base64') }));
        })().catch((e) => { console.error(e); process.exit(1); });`,
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(child.status, child.stderr).toBe(0);
    const r = JSON.parse(child.stdout.trim().split('\n').pop()!) as {
      addon: string;
      tier: string;
      pem: string;
      signature: string;
    };
    expect(r.addon).toBe(built);
    expect(r.tier).toBe('tpm2');
    expect(
      verify(
        'sha256',
        Buffer.from('built without tss2 headers'),
        createPublicKey(r.pem),
        Buffer.from(r.signature, 'base64'),
      ),
    ).toBe(true);
  }, 600_000);
});
