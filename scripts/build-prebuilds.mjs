// Builds this platform's prebuild under the file names that both loaders accept:
//
//   node-gyp-build (our run-time loader) and @electron/rebuild (which electron-builder and Forge
//   run before packaging, and which compiles from source unless it finds a prebuild it knows:
//   its src/module-type/prebuildify.ts looks for prebuilds/<platform>-<arch>/node.napi.node, or
//   node.napi.armv8.node on arm64, and only when `prebuildify` is in devDependencies).
//
//   linux glibc  prebuilds/linux-x64/node.napi.node        linux-arm64/node.napi.armv8.node
//   linux musl   prebuilds/linux-x64/node.napi.musl.node   linux-arm64/node.napi.armv8.musl.node
//   macOS        prebuilds/darwin-x64/node.napi.node       darwin-arm64/node.napi.armv8.node
//   Windows      prebuilds/win32-x64/node.napi.node
//
// The glibc build carries no libc tag (@electron/rebuild matches the name exactly); the musl
// one does, and node-gyp-build prefers the more specific name on musl, so both share a folder.
// On macOS binding.gyp always builds a universal binary; `--arch x64+arm64` then splits it
// (lipo -thin) into one file per architecture folder, the names @electron/rebuild asks for
// when an app is packaged for one architecture.
//
//   node scripts/build-prebuilds.mjs [prebuildify flags...]     (npm run build:prebuilds)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const extra = process.argv.slice(2);
const report = /** @type {{ header: { glibcVersionRuntime?: string } }} */ (
  process.report.getReport()
);
const musl = process.platform === 'linux' && !report.header.glibcVersionRuntime;

const flags = ['--napi', '--strip', '--name', 'node.napi', '--tag-armv'];
if (musl) flags.push('--tag-libc');
execFileSync(
  process.execPath,
  [join(root, 'node_modules/prebuildify/bin.js'), ...flags, ...extra],
  { cwd: root, stdio: 'inherit' },
);

const universal = join(root, 'prebuilds', 'darwin-x64+arm64');
if (existsSync(universal)) {
  const [file] = readdirSync(universal).filter((f) => f.endsWith('.node'));
  for (const [arch, slice, name] of [
    ['x64', 'x86_64', 'node.napi.node'],
    ['arm64', 'arm64', 'node.napi.armv8.node'],
  ]) {
    const dir = join(root, 'prebuilds', `darwin-${arch}`);
    mkdirSync(dir, { recursive: true });
    execFileSync('lipo', [join(universal, file), '-thin', slice, '-output', join(dir, name)], {
      stdio: 'inherit',
    });
  }
  rmSync(universal, { recursive: true, force: true });
}

for (const dir of readdirSync(join(root, 'prebuilds'))) {
  for (const f of readdirSync(join(root, 'prebuilds', dir))) console.log(`prebuilds/${dir}/${f}`);
}
