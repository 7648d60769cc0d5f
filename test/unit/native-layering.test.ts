/**
 * native/common is the part of the addon every OS compiles: it includes no header of a platform
 * folder and no platform SDK header, and tests no platform macro. Each platform folder defines
 * the seam (native/common/platform.h) once, and binding.gyp compiles exactly one such folder per OS.
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '..', '..');
const NATIVE = path.join(ROOT, 'native');
const COMMON = path.join(NATIVE, 'common');
const PLATFORM_FOLDERS = ['linux-tpm', 'macos', 'windows', 'other'];

/** Headers that belong to one OS's SDK or to a platform library (tss2 is the TPM tier's). */
const PLATFORM_SDK =
  /^(Security|CoreFoundation|LocalAuthentication)\/|^(windows|ncrypt|bcrypt|winerror|tbs|aclapi|sddl|winternl)\.h$|^tss2\/|^tss2_/i;
/** Conditionals that would make a common file a platform file in disguise. */
const PLATFORM_MACRO =
  /^\s*#\s*(if|ifdef|ifndef|elif).*\b(_WIN32|_WIN64|__APPLE__|__linux__|__MACH__|DK_WITH_\w+)\b/m;

/** Every #include of a source, with its line number. */
function includesOf(source: string): { line: number; header: string }[] {
  return source.split('\n').flatMap((text, i) => {
    const m = /^\s*#\s*include\s*[<"]([^>"]+)[>"]/.exec(text);
    return m ? [{ line: i + 1, header: m[1]! }] : [];
  });
}

/** Why `header`, included by a file in native/common, is a platform header (or null). */
function platformHeader(header: string): string | null {
  const resolved = path.posix.normalize(path.posix.join('native/common', header));
  const folder = PLATFORM_FOLDERS.find((f) => resolved.startsWith(`native/${f}/`));
  if (folder) return `a header of the platform folder native/${folder}`;
  if (PLATFORM_SDK.test(header)) return 'a platform SDK header';
  return null;
}

describe('native/common includes no platform header', () => {
  const files = readdirSync(COMMON).filter((f) => /\.(cc|h)$/.test(f));

  it('the rule sees the headers it forbids', () => {
    expect(platformHeader('../linux-tpm/glibc_compat.h')).toMatch(/linux-tpm/);
    expect(platformHeader('../macos/mac_init.h')).toMatch(/macos/);
    expect(platformHeader('../windows/win_init.h')).toMatch(/windows/);
    for (const h of [
      'windows.h',
      'Windows.h',
      'ncrypt.h',
      'Security/Security.h',
      'tss2/tss2_esys.h',
    ])
      expect(platformHeader(h), h).not.toBeNull();
    for (const h of ['napi.h', 'dlfcn.h', 'errors.h', 'platform.h', 'memory'])
      expect(platformHeader(h), h).toBeNull();
    expect(PLATFORM_MACRO.test('#if defined(_WIN32)')).toBe(true);
  });

  it.each(files)('%s', (file) => {
    const source = readFileSync(path.join(COMMON, file), 'utf8');
    const bad = includesOf(source).flatMap(({ line, header }) => {
      const why = platformHeader(header);
      return why ? [`${file}:${line} includes ${header}: ${why}`] : [];
    });
    expect(bad).toEqual([]);
    expect(PLATFORM_MACRO.exec(source)?.[0] ?? null, `${file} tests a platform macro`).toBeNull();
  });
});

describe('binding.gyp builds common + exactly one platform folder per OS', () => {
  const gyp = JSON.parse(readFileSync(path.join(ROOT, 'binding.gyp'), 'utf8'));
  const target = gyp.targets[0] as {
    sources: string[];
    conditions: [string, { sources?: string[] }][];
  };

  it('the unconditional sources are all in native/common', () => {
    expect(target.sources.filter((s) => !s.startsWith('native/common/'))).toEqual([]);
  });

  it.each(PLATFORM_FOLDERS)(
    'native/%s: one condition, its own folder, one InitPlatform',
    (folder) => {
      const conditions = target.conditions.filter(([, c]) =>
        c.sources?.some((s) => s.startsWith(`native/${folder}/`)),
      );
      expect(conditions).toHaveLength(1);
      const sources = conditions[0]![1].sources!;
      expect(sources.filter((s) => !s.startsWith(`native/${folder}/`))).toEqual([]);
      const definers = sources.filter((s) =>
        /^void InitPlatform\(/m.test(readFileSync(path.join(ROOT, s), 'utf8')),
      );
      expect(definers).toHaveLength(1);
    },
  );
});
