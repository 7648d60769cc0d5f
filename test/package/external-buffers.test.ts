/**
 * V8's memory cage (Electron >= 21) forbids ArrayBuffers over memory that native code owns:
 * napi_create_external_arraybuffer / napi_create_external_buffer fail at run time there, and
 * only there. binding.gyp defines NODE_API_NO_EXTERNAL_BUFFERS_ALLOWED, which removes those
 * declarations from the Node-API headers (and node-addon-api's wrappers over them), so any use
 * fails to compile everywhere instead. Shown by compiling snippets with binding.gyp's own
 * defines (read from the file): each external-buffer use fails to compile, naming the function;
 * the same snippet compiles without the define (the control); a copying Buffer still compiles.
 * The cross-compile scripts (macOS, Windows) keep their own flag lists, which must carry it too.
 */
import { execFileSync } from 'node:child_process';
import { promises as fsp, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, describeResult, runTool, type ProcResult } from '../helpers/proc';

const DEFINE = 'NODE_API_NO_EXTERNAL_BUFFERS_ALLOWED';
const NODE_INCLUDE = path.join(process.execPath, '..', '..', 'include', 'node');
// node-addon-api gives its include_dir relative to the working directory.
const NAPI_INCLUDE = path.resolve(
  ROOT,
  execFileSync(process.execPath, ['-p', "require('node-addon-api').include_dir"], {
    cwd: ROOT,
    encoding: 'utf8',
  }).trim(),
);

/** The "defines" of binding.gyp's target (gyp files are JSON with Python-style literals). */
function bindingDefines(): string[] {
  const gyp = JSON.parse(readFileSync(path.join(ROOT, 'binding.gyp'), 'utf8')) as {
    targets: { defines: string[] }[];
  };
  return gyp.targets[0]!.defines;
}

const SNIPPETS: Record<string, { uses: RegExp; code: string }> = {
  'napi_create_external_arraybuffer (C)': {
    uses: /'?napi_create_external_arraybuffer'?.? was not declared|undeclared identifier 'napi_create_external_arraybuffer'/,
    code: `#include <node_api.h>
static char data[16];
napi_value f(napi_env env) {
  napi_value out;
  napi_create_external_arraybuffer(env, data, sizeof data, nullptr, nullptr, &out);
  return out;
}`,
  },
  'napi_create_external_buffer (C)': {
    uses: /'?napi_create_external_buffer'?.? was not declared|undeclared identifier 'napi_create_external_buffer'/,
    code: `#include <node_api.h>
static char data[16];
napi_value f(napi_env env) {
  napi_value out;
  napi_create_external_buffer(env, sizeof data, data, nullptr, nullptr, &out);
  return out;
}`,
  },
  'Napi::ArrayBuffer::New over external memory (node-addon-api)': {
    uses: /no matching (member )?function for call to .?(Napi::ArrayBuffer::)?New/,
    code: `#include <napi.h>
static char data[16];
Napi::Value f(Napi::Env env) { return Napi::ArrayBuffer::New(env, data, sizeof data); }`,
  },
  'Napi::Buffer::New over external memory (node-addon-api)': {
    uses: /no matching (member )?function for call to .?(Napi::Buffer<unsigned char>::)?New/,
    code: `#include <napi.h>
static uint8_t data[16];
Napi::Value f(Napi::Env env) { return Napi::Buffer<uint8_t>::New(env, data, sizeof data); }`,
  },
};

let dir: string;
beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'dk-external-buffers-'));
});
afterAll(async () => {
  if (dir) await fsp.rm(dir, { recursive: true, force: true });
});

/** c++ -fsyntax-only on `code` with these defines (as -D flags). */
async function compile(name: string, code: string, defines: string[]): Promise<ProcResult> {
  const file = path.join(dir, `${name.replace(/\W+/g, '_')}.cc`);
  await fsp.writeFile(file, `${code}\n`);
  return runTool(
    'c++',
    [
      '-std=c++17',
      '-fsyntax-only',
      `-I${NODE_INCLUDE}`,
      `-I${NAPI_INCLUDE}`,
      ...defines.map((d) => `-D${d}`),
      file,
    ],
    { cwd: dir, timeoutMs: 60_000 },
  );
}

describe(`binding.gyp defines ${DEFINE}`, () => {
  it('it is among the target defines', () => {
    expect(bindingDefines()).toContain(DEFINE);
  });

  for (const [name, { uses, code }] of Object.entries(SNIPPETS)) {
    it(`${name}: does not compile with binding.gyp's defines; compiles without ${DEFINE}`, async () => {
      const defines = bindingDefines();
      const refused = await compile(`${name}-refused`, code, defines);
      expect(refused.code, describeResult(refused)).not.toBe(0);
      expect(refused.stderr).toMatch(uses);
      const control = await compile(
        `${name}-control`,
        code,
        defines.filter((d) => d !== DEFINE),
      );
      expect(control.code, describeResult(control)).toBe(0);
    });
  }

  it('a copying Buffer (what the addon uses) still compiles with those defines', async () => {
    const r = await compile(
      'copy',
      `#include <napi.h>
static uint8_t data[16];
Napi::Value f(Napi::Env env) { return Napi::Buffer<uint8_t>::Copy(env, data, sizeof data); }`,
      bindingDefines(),
    );
    expect(r.code, describeResult(r)).toBe(0);
  });
});

describe('the cross-compile scripts carry it in their own flag lists', () => {
  for (const script of [
    'scripts/check-macos.sh',
    'scripts/check-windows.sh',
    'scripts/windows/build-addon.sh',
  ]) {
    it(script, () => {
      expect(readFileSync(path.join(ROOT, script), 'utf8')).toMatch(new RegExp(`-D${DEFINE}\\b`));
    });
  }
});
