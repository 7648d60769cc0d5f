// Prints the include directory that holds tss2/tss2_esys.h, or nothing. binding.gyp builds the
// TPM tier only when the headers are there, so a source build on a machine without libtss2-dev
// still succeeds (the TPM tier then reports that it was not built in).
// DEVICE_KEYSTORE_TSS2_INCLUDE overrides the search path (colon-separated), for a custom prefix
// or to hide the headers in a test.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const dirs = (process.env.DEVICE_KEYSTORE_TSS2_INCLUDE ?? '/usr/include:/usr/local/include')
  .split(':')
  .filter(Boolean);
const found = dirs.find((d) => existsSync(join(d, 'tss2', 'tss2_esys.h')));
process.stdout.write(found ?? '');
