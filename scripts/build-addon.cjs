'use strict';
// Compiles the addon from source, in the installed package, for a platform no prebuild covers
// (or to check a prebuild against a local build). The package has no install script: every
// shipped target has a prebuild, loaded at run time, so no npm script policy can make an install
// fail or leave it half-done. A source build is this explicit command instead:
//
//   npm explore device-keystore -- npm run build:addon
//
// `npm run` is the user's own request, not a dependency's install script, so it runs under every
// allow-scripts policy. It needs a C++ toolchain and Python (node-gyp). On success the build is in
// build/Release, which node-gyp-build prefers over prebuilds/; on failure nothing is left behind
// and the exit status is non-zero.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');

/** Loads the addon in a child (a broken binary must not take this process down): '' or why. */
function loadError() {
  const r = spawnSync(
    process.execPath,
    ['-e', `require('node-gyp-build')(${JSON.stringify(root)})`],
    { cwd: root, encoding: 'utf8', env: { ...process.env, PREBUILDS_ONLY: '' } },
  );
  if (r.status === 0) return '';
  return (r.stderr || '').split('\n').find((l) => /Error/.test(l)) || `exit ${r.status}`;
}

/** npm's own node-gyp (npm sets npm_config_node_gyp for scripts), else one on PATH. */
function nodeGyp() {
  const bundled = process.env.npm_config_node_gyp;
  if (bundled && fs.existsSync(bundled)) return [process.execPath, bundled];
  return [process.platform === 'win32' ? 'node-gyp.cmd' : 'node-gyp'];
}

const [cmd, ...args] = nodeGyp();
console.error(`device-keystore: compiling the addon from source in ${root}`);
const build = spawnSync(cmd, [...args, 'rebuild'], {
  cwd: root,
  stdio: 'inherit',
  shell: process.platform === 'win32',
});
const why = build.status === 0 ? loadError() : '';
if (build.status === 0 && !why) {
  console.error('device-keystore: built build/Release/device_keystore.node, and it loads');
  process.exit(0);
}
// A half-made build/ would only confuse node-gyp-build and the next look at it.
fs.rmSync(path.join(root, 'build'), { recursive: true, force: true });
console.error(
  [
    `device-keystore: the source build failed (${build.error ? build.error.message : why || `node-gyp exit ${build.status}`}).`,
    'device-keystore: it needs a C++ toolchain and Python (Debian/Ubuntu: apt-get install build-essential python3; Alpine: apk add build-base python3 linux-headers).',
    'device-keystore: the encrypted-file tier works without the addon.',
  ].join('\n'),
);
process.exit(build.status || 1);
