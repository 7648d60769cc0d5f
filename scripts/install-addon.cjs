'use strict';
// The package's install script. Like node-gyp-build's own: keep a prebuild (or an existing
// build/) that loads, else compile with node-gyp. Unlike it, a failed compile does not fail the
// install: the package then installs without its addon, the encrypted-file tier works, and
// `device-keystore doctor` says why the addon is missing. Only an explicit source build
// (--build-from-source, npm_config_build_from_source=true) fails the install when it fails.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const fromSource = process.env.npm_config_build_from_source === 'true';

/** Loads the addon in a child (a broken binary must not take this process down): ok or why. */
function addonLoads() {
  const r = spawnSync(
    process.execPath,
    ['-e', `require('node-gyp-build')(${JSON.stringify(root)})`],
    { cwd: root, encoding: 'utf8' },
  );
  if (r.status === 0) return { ok: true };
  return { ok: false, why: (r.stderr || '').split('\n').find((l) => /Error/.test(l)) || '' };
}

/** npm's own node-gyp (npm sets npm_config_node_gyp for scripts), else one on PATH. */
function nodeGyp() {
  const bundled = process.env.npm_config_node_gyp;
  if (bundled && fs.existsSync(bundled)) return [process.execPath, bundled];
  return [process.platform === 'win32' ? 'node-gyp.cmd' : 'node-gyp'];
}

const before = fromSource ? { ok: false, why: 'a source build was asked for' } : addonLoads();
if (before.ok) process.exit(0);

const [cmd, ...args] = nodeGyp();
console.error(`device-keystore: no prebuilt addon loads here (${before.why}); compiling it`);
const build = spawnSync(cmd, [...args, 'rebuild'], {
  cwd: root,
  stdio: 'inherit',
  shell: process.platform === 'win32',
});
if (build.status === 0 && addonLoads().ok) process.exit(0);
if (fromSource) process.exit(build.status || 1);

// A half-made build/ would only confuse the next look at it.
fs.rmSync(path.join(root, 'build'), { recursive: true, force: true });
console.error(
  [
    `device-keystore: installed WITHOUT its native addon: no prebuild for ${process.platform}-${process.arch} loads, and compiling it failed (${build.error ? build.error.message : `node-gyp exit ${build.status}`}).`,
    'device-keystore: the encrypted-file tier works; the hardware tiers (TPM, Secure Enclave, Keychain) need the addon.',
    'device-keystore: install a C++ toolchain and Python, then run `npm rebuild device-keystore`; `npx device-keystore doctor` shows what is missing.',
  ].join('\n'),
);
