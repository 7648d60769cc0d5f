/**
 * The package inside Electron's app.asar, as far as it can be shown without Electron (which
 * cannot be downloaded here). A temp app installs the tarball; one run of the consumer (require,
 * the prebuilt addon, an encrypted-file key: Argon2id in the hash-wasm worker) records every
 * file the process loaded, read, listed or dlopen'ed (test/fixtures/install/record-files.cjs).
 * Then @electron/asar (the library Electron Forge / @electron/packager pack with) packs the app
 * with the unpack rule docs/electron.md gives, and the archive is read back with asar's own
 * reader:
 *   - every module and file the run read is in the archive, byte for byte (Electron serves
 *     those through its patched fs and require in the main and utility processes);
 *   - every directory it listed (node-gyp-build looks through prebuilds/) is in the archive;
 *   - the .node it dlopen'ed is unpacked: a real file in app.asar.unpacked, as dlopen needs;
 *   - nothing but prebuilds/ is unpacked.
 * The worker thread reads no file at all (test/unit/crypto/argon2.test.ts), so it needs neither.
 * What awaits a real Electron run: Electron's own asar patches serving these reads, its dlopen
 * redirect to app.asar.unpacked, and electron-builder's own packer (asarUnpack), not used here.
 */
import * as asar from '@electron/asar';
import { existsSync, promises as fsp, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, describeResult } from '../helpers/proc';
import { newProject, npmInstallTarball, runIn, succeeded } from '../helpers/package';

/** The unpack rule of docs/electron.md (Forge's packagerConfig.asar.unpack). */
const UNPACK = '**/node_modules/device-keystore/prebuilds/**';

interface Recorded {
  files: string[];
  dirs: string[];
  dlopened: string[];
}

let work: string;
let app: string;
let archive: string;
let recorded: Recorded;
/** The recorded paths inside the app, relative to it (asar's names). */
const inApp = (paths: string[]) =>
  paths
    .filter((p) => p.startsWith(`${app}${path.sep}`))
    .map((p) => path.relative(app, p).split(path.sep).join('/'));

type Entry = { size?: number; unpacked?: boolean; files?: Record<string, unknown> };
const stat = (rel: string) => asar.statFile(archive, rel) as Entry;

beforeAll(async () => {
  work = await fsp.mkdtemp(path.join(os.tmpdir(), 'dk-asar-'));
  app = await newProject(path.join(work, 'app'), 'dk-asar-app', [
    'consumer.cjs',
    'record-files.cjs',
  ]);
  const install = await npmInstallTarball(app, ['--ignore-scripts', '--loglevel=error']);
  if (!succeeded(install)) throw new Error(`install failed:\n${describeResult(install)}`);
  const log = path.join(work, 'recorded.json');
  const run = await runIn(
    app,
    process.execPath,
    ['--require', './record-files.cjs', 'consumer.cjs', path.join(work, 'store')],
    { DK_RECORD_FILES: log, DK_EXPECT_PREBUILD: '1' },
  );
  if (!succeeded(run)) throw new Error(`the consumer failed:\n${describeResult(run)}`);
  recorded = JSON.parse(await fsp.readFile(log, 'utf8')) as Recorded;
  archive = path.join(work, 'out', 'app.asar');
  await fsp.mkdir(path.dirname(archive));
  await asar.createPackageWithOptions(app, archive, { unpack: UNPACK });
});
afterAll(async () => {
  if (work) await fsp.rm(work, { recursive: true, force: true });
});

describe('what the package needs at run time', () => {
  it("the run loaded the package, hash-wasm's Argon2 bundle and the prebuild", () => {
    const files = inApp(recorded.files);
    expect(files).toContain('node_modules/device-keystore/dist/index.js');
    expect(files).toContain('node_modules/hash-wasm/dist/argon2.umd.min.js');
    expect(inApp(recorded.dlopened)).toEqual([
      expect.stringMatching(/^node_modules\/device-keystore\/prebuilds\/[^/]+\/node\.napi\./),
    ]);
  });
});

describe(`app.asar packed by @electron/asar with unpack: '${UNPACK}'`, () => {
  it('every module and file the run read is inside the archive, byte for byte', () => {
    const wrong: string[] = [];
    for (const rel of inApp(recorded.files)) {
      const entry = stat(rel);
      if (!entry || entry.files || entry.unpacked) {
        wrong.push(`${rel}: ${JSON.stringify(entry)}`);
        continue;
      }
      const inside = asar.extractFile(archive, rel);
      if (!inside.equals(readFileSync(path.join(app, rel)))) wrong.push(`${rel}: bytes differ`);
    }
    expect(wrong).toEqual([]);
    expect(inApp(recorded.files).length).toBeGreaterThan(10);
  });

  it('every directory it listed (node-gyp-build: prebuilds/) is a directory in the archive', () => {
    // node-gyp-build also tries build/Release and build/Debug, which do not exist.
    const dirs = inApp(recorded.dirs).filter((d) => existsSync(path.join(app, d)));
    expect(dirs).toContain('node_modules/device-keystore/prebuilds');
    expect(dirs.filter((d) => !stat(d)?.files)).toEqual([]);
  });

  it('the .node it dlopened is unpacked: marked so, and a real file in app.asar.unpacked', () => {
    for (const rel of inApp(recorded.dlopened)) {
      expect(stat(rel), rel).toMatchObject({ unpacked: true });
      const real = path.join(`${archive}.unpacked`, rel);
      expect(existsSync(real), real).toBe(true);
      expect(readFileSync(real).equals(readFileSync(path.join(app, rel)))).toBe(true);
    }
  });

  it('nothing but prebuilds/ is unpacked', () => {
    const listed = (asar.listPackage(archive, { isPack: false }) as string[]).map((f) =>
      f
        .replace(/^[/\\]/, '')
        .split(path.sep)
        .join('/'),
    );
    const unpacked = listed.filter((f) => {
      const e = stat(f);
      return e && !e.files && e.unpacked;
    });
    expect(unpacked.length).toBeGreaterThan(0);
    expect(
      unpacked.filter((f) => !f.startsWith('node_modules/device-keystore/prebuilds/')),
    ).toEqual([]);
  });

  it('docs/electron.md gives this unpack rule', () => {
    expect(readFileSync(path.join(ROOT, 'docs', 'electron.md'), 'utf8')).toContain(UNPACK);
  });
});
