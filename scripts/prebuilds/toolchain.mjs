// What every cross build shares: the sources binding.gyp names for an OS, the Node and
// node-addon-api headers, and finding a tool on PATH.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** binding.gyp's sources for `os` (gyp's OS name: linux, mac, win): common + that OS's. */
export function bindingSources(root, os) {
  const gyp = JSON.parse(readFileSync(join(root, 'binding.gyp'), 'utf8').replace(/#.*$/gm, ''));
  const target = gyp.targets[0];
  const cond = target.conditions.find(([c]) => c.replace(/"/g, "'") === `OS=='${os}'`);
  return [...target.sources, ...(cond?.[1].sources ?? [])];
}

/** Node's headers: node-gyp's nodedir (npm sets it), else the ones next to this node. */
export function nodeIncludeDir() {
  const nodedir = process.env.npm_config_nodedir;
  return join(nodedir || join(dirname(process.execPath), '..'), 'include', 'node');
}

export function napiIncludeDir(root) {
  // include_dir is relative to the working directory (node-addon-api's index.js).
  return resolve(createRequire(join(root, 'package.json'))('node-addon-api').include_dir);
}

/** The first of `names` on PATH, or ''. */
export function findTool(names) {
  for (const name of names) {
    try {
      return execFileSync('sh', ['-c', `command -v "${name}"`], { encoding: 'utf8' }).trim();
    } catch {
      // not this one
    }
  }
  return '';
}

// `node scripts/prebuilds/toolchain.mjs sources OS` prints bindingSources(OS), one line, for the
// shell scripts that compile outside node-gyp (check-macos.sh, check-windows.sh,
// windows/build-addon.sh): binding.gyp stays the one list of which folder each OS builds.
if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === 'sources') {
  console.log(bindingSources(join(dirname(fileURLToPath(import.meta.url)), '..', '..'), process.argv[3]).join(' '));
}
