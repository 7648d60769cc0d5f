/**
 * Secrets do not linger in memory we own: the TPM owner-auth copies, the ECDH output a sealed
 * secret's key is derived from, and (by inspection of the native sources) the native copies of
 * ECDH and unseal results, including those dropped when a worker thread is terminated.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OWNER_AUTH_ENV, withOwnerAuth } from '../../../src/tiers/tpm2/connect';
import type { BackendContext } from '../../../src/tiers/tier';
import type { KeyHandle } from '../../../src/core/key-handle';
import { SecretBytes } from '../../../src/crypto/secret-bytes';
import { deriveSecretKey } from '../../../src/rooms/sealing';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const source = (rel: string) => readFileSync(path.join(ROOT, rel), 'utf8');

function ctxWith(auth?: string): BackendContext {
  return {
    storeDir: '/nowhere',
    warn: () => {},
    ...(auth !== undefined ? { tpmOwnerAuth: SecretBytes.fromString(auth) } : {}),
    unlockDataKey: () => Promise.reject(new Error('unused')),
  };
}

describe('the TPM owner auth', () => {
  afterEach(() => {
    delete process.env[OWNER_AUTH_ENV];
  });

  it('is handed over as a copy that is zeroed afterwards, when the connection fails too', () => {
    for (const [label, ctx] of [
      ['option', ctxWith('owner-pass')],
      ['env', (process.env[OWNER_AUTH_ENV] = 'env-pass') && ctxWith()],
    ] as const) {
      let seen: Buffer | undefined;
      withOwnerAuth(ctx, (auth) => {
        seen = auth;
        expect(auth?.toString(), label).toMatch(/pass$/);
      });
      expect(
        seen!.every((b) => b === 0),
        `${label}: wiped after success`,
      ).toBe(true);
      expect(() =>
        withOwnerAuth(ctx, (auth) => {
          seen = auth;
          throw new Error('TpmConnection refused the TCTI');
        }),
      ).toThrow('refused');
      expect(
        seen!.every((b) => b === 0),
        `${label}: wiped after a throw`,
      ).toBe(true);
    }
    // The option's own bytes stay: the Keystore needs them for the next connection.
    const ctx = ctxWith('kept');
    withOwnerAuth(ctx, () => {});
    expect(ctx.tpmOwnerAuth!.unsafeBytes().toString()).toBe('kept');
  });

  it('connect() goes through withOwnerAuth, and nothing else copies it', () => {
    const tpm2 = source('src/tiers/tpm2/connect.ts');
    expect(tpm2).toMatch(/withOwnerAuth\(ctx, \(auth\) => new TpmConnection\(tcti, auth\)\)/);
    expect(tpm2.match(/ownerAuthFrom\(/g)).toHaveLength(2); // its definition and withOwnerAuth
  });
});

describe('a sealed secret key derivation', () => {
  it('zeroes the ECDH output it derived from, on success and when the tier fails after', async () => {
    const outputs: Buffer[] = [];
    const handle = (fail: boolean): KeyHandle => ({
      signRaw: () => Promise.reject(new Error('unused')),
      ecdh: async () => {
        const shared = Buffer.alloc(32, 0xab);
        outputs.push(shared);
        if (fail) throw new Error('tier failed');
        return shared;
      },
    });
    const salt = Buffer.alloc(16, 1);
    const key = await deriveSecretKey(handle(false), 'k'.repeat(22), 's'.repeat(22), 'tpm2', salt);
    expect(key).toHaveLength(32);
    expect(outputs[0]!.every((b) => b === 0)).toBe(true);
    await expect(
      deriveSecretKey(handle(true), 'k'.repeat(22), 's'.repeat(22), 'tpm2', salt),
    ).rejects.toThrow('tier failed');
  });

  it('sealSecret and unsealSecret wipe the derived key; the migration wipes the old value', () => {
    const sealing = source('src/rooms/sealing.ts');
    // Every derived key is used inside a try whose finally zeroes it.
    const derived = sealing.match(/const key = await deriveSecretKey\(/g) ?? [];
    const wiped = sealing.match(/\} finally \{\n\s+key\.fill\(0\);/g) ?? [];
    expect(derived.length).toBe(2);
    expect(wiped.length).toBe(derived.length);
    expect(sealing).toMatch(/\} finally \{\n\s+value\.fill\(0\);/);
  });
});

describe('native results (by inspection: the addon frees them on its worker or at teardown)', () => {
  it('ECDH and unseal results are SecretBytes, wiped when copied to JS or dropped', () => {
    const secret = source('native/common/secret.h');
    expect(secret).toMatch(/~SecretBytes\(\) \{ Wipe\(&bytes\); \}/);
    const work = source('native/common/async_work.cc');
    // Copied into JS, then wiped at once.
    expect(work).toMatch(/ToBuffer\(env, b->bytes\);\s+Wipe\(&b->bytes\);/);
    // Dropped at teardown (worker.terminate()): the completion, its outcome and the captured
    // SecretBytes are destroyed, and the destructor wipes.
    // Not delivered (the environment is gone): freed at once. Still queued at teardown: the
    // thread-safe function calls back with no env, and the completion is owned and destroyed.
    expect(work).toMatch(/if \(s != napi_ok\) Free\(payload\);/);
    expect(work).toMatch(/static void Free\(Payload\* p\) \{\s+delete p->first;/);
    expect(work).toMatch(
      /std::unique_ptr<Completion> completion\(p->first\);[\s\S]*?if \(raw == nullptr\) return;/,
    );
    const tpm = source('native/linux-tpm/tpm_binding.cc');
    const mac = source('native/macos/mac_binding.cc');
    for (const [file, text] of [
      ['tpm_binding.cc', tpm],
      ['mac_binding.cc', mac],
    ] as const) {
      // Every result that is not public (signatures, ciphertexts) goes out as a SecretBuffer.
      const results = text.match(/Done\([a-z]+, (Secret)?BufferOf\((\w+)\)\)/g) ?? [];
      expect(results.length, file).toBeGreaterThan(0);
      for (const r of results) {
        const publicResult = /BufferOf\((rs|der|ct|srkName)\)/.test(r);
        expect(r.startsWith('Done(') && (publicResult || r.includes('SecretBufferOf')), r).toBe(
          true,
        );
      }
    }
  });
});
