// For a checkout: compiles build/Release (npm run build:native) when it is missing or older
// than binding.gyp or any file under native/. The package has no install script (a consumer's
// install uses the prebuilds), so `npm install` in a clone no longer compiles the addon; the
// scripts that need it (test, demo, bench) run this first.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'build', 'Release', 'device_keystore.node');

function newestInput() {
  let newest = statSync(join(root, 'binding.gyp')).mtimeMs;
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  walk(join(root, 'native'));
  return newest;
}

if (existsSync(built) && statSync(built).mtimeMs >= newestInput()) process.exit(0);
console.log(
  `build-native-if-stale: ${existsSync(built) ? 'sources changed' : 'no build/Release'}: npm run build:native`,
);
execFileSync('npm', ['run', '--silent', 'build:native'], { cwd: root, stdio: 'inherit' });
