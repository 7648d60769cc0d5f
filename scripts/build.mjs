// Build: tsc emits CommonJS; a thin ESM wrapper re-exports it by name, so `import` and
// `require` get the very same classes (no dual-package hazard: one KeystoreError, one Keystore).
// The output is built beside dist/ and swapped in at the end, so a process running from dist/
// (a test, a CLI) never sees it half-written.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const next = join(root, `dist.next-${process.pid}`);
rmSync(next, { recursive: true, force: true });
execFileSync(
  process.execPath,
  [
    join(root, 'node_modules/typescript/bin/tsc'),
    '-p',
    join(root, 'tsconfig.json'),
    '--outDir',
    next,
  ],
  { stdio: 'inherit' },
);

const require = createRequire(import.meta.url);
const names = Object.keys(require(join(next, 'index.js')))
  .filter((n) => n !== '__esModule')
  .sort();
writeFileSync(
  join(next, 'index.mjs'),
  `import cjs from './index.js';\nexport const { ${names.join(', ')} } = cjs;\nexport default cjs;\n`,
);
writeFileSync(join(next, 'index.d.mts'), `export * from './index.js';\n`);
chmodSync(join(next, 'cli/main.js'), 0o755);

const old = join(root, `dist.old-${process.pid}`);
if (existsSync(dist)) renameSync(dist, old);
renameSync(next, dist);
rmSync(old, { recursive: true, force: true });
console.log(`built dist/ (ESM wrapper exports: ${names.join(', ')})`);
