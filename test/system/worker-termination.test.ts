/**
 * worker.terminate() landing while a worker is inside an addon call: the call's result can
 * neither be made nor thrown into JS, and the process must live on. Seen in CI as a SIGABRT in
 * tpm-stress ("terminate called after throwing an instance of 'Napi::Error'"); the addon is
 * built with NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS (binding.gyp) so node-addon-api gives up
 * quietly there instead of rethrowing from its own catch block. Reproduced deterministically
 * by the fixture: the build without the define aborts within its 200 terminations.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/common';

const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'native', 'terminate-in-call.cjs');

describe('a worker terminated inside an addon call', () => {
  it('ends the worker, not the process', () => {
    const r = spawnSync(process.execPath, [FIXTURE, path.join(ROOT, 'dist'), '200'], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect({ status: r.status, signal: r.signal, stderr: r.stderr }).toEqual({
      status: 0,
      signal: null,
      stderr: '',
    });
    expect(r.stdout).toContain('survived 200 terminations');
  }, 130_000);
});
