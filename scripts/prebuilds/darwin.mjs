// Builds a macOS prebuild on Linux: clang compiles the sources binding.gyp gives OS=="mac" for one
// architecture against a macOS SDK (headers and .tbd stubs, e.g. hexops/xcode-frameworks), and
// lld's Mach-O linker (ld64.lld) links them.
//
// Security and CoreFoundation are linked against the SDK's own .tbd stubs, so every Sec*/CF*
// symbol the addon uses must exist there. That SDK has no libSystem or libc++ stubs, so this
// writes two small ones listing exactly the symbols the objects import: the file then records
// /usr/lib/libSystem.B.dylib and /usr/lib/libc++.1.dylib as an Apple-linked addon does, and binds
// each symbol to its library (two-level namespace). Whether those libraries really export them
// is proven only on a Mac (the release's load job). Node-API symbols come from the process
// (`-undefined dynamic_lookup`, as node-gyp links addons on macOS).
//
// lld signs arm64 output ad hoc by default, as Apple's linker does, because Apple silicon will not
// map unsigned code. Stripping happens at link time (-S -x): a strip afterwards would break that
// signature.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { bindingSources, nodeIncludeDir, napiIncludeDir, findTool } from './toolchain.mjs';

/** Symbols that C++'s runtime provides: libc++.1.dylib (which re-exports libc++abi). */
const isCxxRuntime = (s) =>
  s.startsWith('__Z') || s.startsWith('___cxa_') || s === '___gxx_personality_v0';
/** Resolved at load time in the process that loads the addon (node, Electron). */
const isNodeApi = (s) => /^_(napi|node_api)_/.test(s);
/** The frameworks' own stubs (from the SDK) provide these. */
const isFramework = (s) => /^_+(k?Sec|k?CF|errSec)/.test(s);

/** What is missing for a darwin build on this machine, or '' if nothing is. */
export function darwinPrerequisites(sdk) {
  if (!sdk)
    return 'no macOS SDK given (--macos-sdk=DIR or DK_MACOS_SDK: headers and .tbd stubs, e.g. from hexops/xcode-frameworks)';
  if (!existsSync(join(sdk, 'System/Library/Frameworks/Security.framework/Security.tbd')))
    return `${sdk} is not a macOS SDK with .tbd stubs (no Security.framework/Security.tbd)`;
  if (!findTool(['clang++-16', 'clang++'])) return 'no clang++ (apt-get install clang-16)';
  if (!findTool(['ld64.lld-16', 'ld64.lld'])) return "no lld Mach-O linker (apt-get install lld-16)";
  if (!findTool(['llvm-nm-16', 'llvm-nm'])) return 'no llvm-nm (apt-get install llvm-16)';
  return '';
}

function tbd(installName, arch, symbols) {
  const target = `${arch === 'x86_64' ? 'x86_64' : 'arm64'}-macos`;
  const list = symbols.map((s) => `'${s}'`).join(', ');
  return [
    '--- !tapi-tbd',
    'tbd-version: 4',
    `targets: [ ${target} ]`,
    `install-name: '${installName}'`,
    'current-version: 1',
    'compatibility-version: 1',
    'exports:',
    `  - targets: [ ${target} ]`,
    `    symbols: [ ${list} ]`,
    '...',
    '',
  ].join('\n');
}

/** Builds `target` (an entry of TARGETS) into `out` (a path), with the SDK at `sdk`. */
export function buildDarwin(root, target, sdk, out) {
  const clang = findTool(['clang++-16', 'clang++']);
  const nm = findTool(['llvm-nm-16', 'llvm-nm']);
  const work = mkdtempSync(join(tmpdir(), `dk-${target.id}-`));
  try {
    const base = ['-target', target.clangTarget, '-isysroot', sdk];
    // binding.gyp's defines and flags for the mac build (node-gyp's mac defaults: -O3, no RTTI).
    const cflags = [
      ...base,
      '-std=c++17',
      '-O3',
      '-fexceptions',
      '-fno-rtti',
      '-fvisibility=hidden',
      '-fvisibility-inlines-hidden',
      `-I${nodeIncludeDir()}`,
      `-I${napiIncludeDir(root)}`,
      '-DNAPI_VERSION=8',
      '-DNAPI_CPP_EXCEPTIONS',
      '-DNODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS',
      '-DNODE_ADDON_API_DISABLE_DEPRECATED',
      '-DNODE_API_NO_EXTERNAL_BUFFERS_ALLOWED',
      '-DBUILDING_NODE_EXTENSION',
      '-D_DARWIN_USE_64_BIT_INODE=1',
      '-Wall',
      '-Wextra',
      '-Wno-unused-parameter',
    ];
    const objs = bindingSources(root, 'mac').map((src) => {
      const obj = join(work, `${basename(src, '.cc')}.o`);
      execFileSync(clang, [...cflags, '-c', join(root, src), '-o', obj], { stdio: 'inherit' });
      return obj;
    });

    const names = (flag) =>
      new Set(
        execFileSync(nm, [flag, '-j', ...objs], { encoding: 'utf8' })
          .split('\n')
          .filter((l) => l && !l.endsWith(':')),
      );
    const defined = names('--defined-only');
    const imported = [...names('-u')].filter((s) => !defined.has(s)).sort();
    const cxx = imported.filter(isCxxRuntime);
    const system = imported.filter((s) => !isCxxRuntime(s) && !isNodeApi(s) && !isFramework(s));
    writeFileSync(join(work, 'libc++.tbd'), tbd('/usr/lib/libc++.1.dylib', target.arch, cxx));
    writeFileSync(
      join(work, 'libSystem.tbd'),
      tbd('/usr/lib/libSystem.B.dylib', target.arch, [...system, 'dyld_stub_binder']),
    );

    mkdirSync(dirname(out), { recursive: true });
    execFileSync(
      clang,
      [
        ...base,
        // clang finds ld64.lld beside itself (/usr/lib/llvm-16/bin) and passes -platform_version.
        '-fuse-ld=lld',
        '-nostdlib',
        '-shared',
        '-undefined',
        'dynamic_lookup',
        '-Wl,-dead_strip',
        '-Wl,-S',
        '-Wl,-x',
        `-Wl,-install_name,@rpath/${basename(out)}`,
        '-o',
        `${out}.partial`,
        ...objs,
        join(work, 'libc++.tbd'),
        join(work, 'libSystem.tbd'),
        '-framework',
        'Security',
        '-framework',
        'CoreFoundation',
      ],
      { stdio: 'inherit' },
    );
    renameSync(`${out}.partial`, out);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
