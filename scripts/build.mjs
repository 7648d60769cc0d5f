// Build: tsc emits CommonJS to dist/; a thin ESM wrapper re-exports it by name, so `import` and
// `require` get the very same classes (no dual-package hazard: one KeystoreError, one Keystore).
import { execFileSync } from 'node:child_process';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
rmSync(dist, { recursive: true, force: true });
execFileSync(
  process.execPath,
  [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.json')],
  {
    stdio: 'inherit',
  },
);

const require = createRequire(import.meta.url);
const names = Object.keys(require(join(dist, 'index.js')))
  .filter((n) => n !== '__esModule')
  .sort();
writeFileSync(
  join(dist, 'index.mjs'),
  `import cjs from './index.js';\nexport const { ${names.join(', ')} } = cjs;\nexport default cjs;\n`,
);
writeFileSync(join(dist, 'index.d.mts'), `export * from './index.js';\n`);
chmodSync(join(dist, 'cli/main.js'), 0o755);
console.log(`built dist/ (ESM wrapper exports: ${names.join(', ')})`);
