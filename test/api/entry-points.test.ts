/**
 * The built entry points: require() of dist/index.js and import() of dist/index.mjs, in child
 * processes, give the same classes and a working verify. Needs `npm run build` (npm test runs it).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ENV_VARS,
  ROOT,
  closeApiStore,
  msg,
  openApiStore,
  withoutKeystoreEnv,
  type ApiStore,
} from '../helpers/api';

withoutKeystoreEnv();

describe('dist entry points (CJS and ESM)', () => {
  const distJs = path.join(ROOT, 'dist', 'index.js');
  const distMjs = path.join(ROOT, 'dist', 'index.mjs');
  let pem: string;
  let sig: Buffer;

  const childEnv = () => {
    const env = { ...process.env };
    for (const k of ENV_VARS) delete env[k];
    return env;
  };
  const dist = [distJs, distMjs, path.join(ROOT, 'dist', 'core', 'errors.js')];
  const runNode = async (args: string[]) =>
    JSON.parse(
      execFileSync(process.execPath, args, { cwd: ROOT, env: childEnv(), encoding: 'utf8' }),
    );

  // The signature the children check comes from a store of the block's own.
  let store: ApiStore | undefined;
  beforeAll(async () => {
    const missing = dist.filter((f) => !existsSync(f));
    if (missing.length)
      throw new Error(`${missing.join(', ')} missing: run \`npm run build\` first`);
    store = await openApiStore({ identity: 'dist-box', keys: ['signer'] });
    const signer = await store.ks.getKey('signer');
    pem = signer.exportPublicKey('pem');
    sig = await signer.sign(msg);
  });
  afterAll(() => closeApiStore(store));

  it('require() of dist/index.js gives Keystore, KeystoreError and a working verify', async () => {
    const script = `
      const [file, pem, msg, sig] = process.argv.slice(1);
      const m = require(file);
      const out = {
        Keystore: typeof m.Keystore,
        open: typeof (m.Keystore && m.Keystore.open),
        KeystoreError: typeof m.KeystoreError,
        verify: typeof m.verify,
        errorIsError: new m.KeystoreError('E_IO', 'x') instanceof Error,
        good: m.verify(pem, Buffer.from(msg, 'base64'), Buffer.from(sig, 'base64')),
        bad: m.verify(pem, Buffer.from('tampered'), Buffer.from(sig, 'base64')),
        selfSame: require('device-keystore') === m,
      };
      m.Keystore.open({ bogus: 1 }).then(
        () => console.log(JSON.stringify(out)),
        (e) => {
          out.code = e.code;
          out.instance = e instanceof m.KeystoreError;
          console.log(JSON.stringify(out));
        },
      );`;
    const out = await runNode([
      '-e',
      script,
      distJs,
      pem,
      msg.toString('base64'),
      sig.toString('base64'),
    ]);
    expect(out).toEqual({
      Keystore: 'function',
      open: 'function',
      KeystoreError: 'function',
      verify: 'function',
      errorIsError: true,
      good: true,
      bad: false,
      selfSame: true,
      code: 'E_INVALID_ARGUMENT',
      instance: true,
    });
  });

  it('import() of dist/index.mjs gives the very same classes as require()', async () => {
    const script = `
      import { createRequire } from 'node:module';
      import { pathToFileURL } from 'node:url';
      const [mjs, cjsFile, pem, msg, sig] = process.argv.slice(1);
      const m = await import(pathToFileURL(mjs).href);
      const c = createRequire(cjsFile)(cjsFile);
      const self = await import('device-keystore');
      const err = await m.Keystore.open({ bogus: 1 }).catch((e) => e);
      const names = (o) => Object.keys(o).filter((k) => k !== 'default' && k !== '__esModule').sort();
      console.log(JSON.stringify({
        Keystore: typeof m.Keystore,
        KeystoreError: typeof m.KeystoreError,
        verify: typeof m.verify,
        sameKeystoreError: m.KeystoreError === c.KeystoreError,
        sameKeystore: m.Keystore === c.Keystore,
        sameVerify: m.verify === c.verify,
        defaultIsCjs: m.default === c,
        selfIsEsm: self.KeystoreError === c.KeystoreError && self.Keystore === m.Keystore,
        sameNames: JSON.stringify(names(m)) === JSON.stringify(names(c)),
        errorCode: err.code,
        errorInstance: err instanceof c.KeystoreError && err instanceof m.KeystoreError,
        good: m.verify(pem, Buffer.from(msg, 'base64'), Buffer.from(sig, 'base64')),
      }));`;
    const out = await runNode([
      '--input-type=module',
      '-e',
      script,
      distMjs,
      distJs,
      pem,
      msg.toString('base64'),
      sig.toString('base64'),
    ]);
    expect(out).toEqual({
      Keystore: 'function',
      KeystoreError: 'function',
      verify: 'function',
      sameKeystoreError: true,
      sameKeystore: true,
      sameVerify: true,
      defaultIsCjs: true,
      selfIsEsm: true,
      sameNames: true,
      errorCode: 'E_INVALID_ARGUMENT',
      errorInstance: true,
      good: true,
    });
  });
});
