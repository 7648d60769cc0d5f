/**
 * ECDH: the shared secret against node:crypto for a peer in every accepted form, between two of
 * our keys, and the peers refused. The block's store is made in its beforeAll; no test changes it.
 */
import {
  ECDH,
  createECDH,
  diffieHellman,
  generateKeyPairSync,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceKey, Keystore } from '../../src/index';
import {
  ECDSA_P256,
  closeApiStore,
  expectCode,
  openApiStore,
  subtle,
  withoutKeystoreEnv,
} from '../helpers/api';

withoutKeystoreEnv();

describe('ECDH', () => {
  let ks: Keystore;
  let dir: string;
  let key: DeviceKey;
  let peer: { publicKey: KeyObject; privateKey: KeyObject };
  let expected: Buffer;

  beforeAll(async () => {
    ({ ks, dir } = await openApiStore({ identity: 'ecdh-box', keys: ['alpha', 'signer'] }));
    key = await ks.getKey('alpha');
    peer = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expected = diffieHellman({ privateKey: peer.privateKey, publicKey: key.publicKey });
  });
  afterAll(() => closeApiStore({ ks, dir }));

  it('matches node:crypto for a peer given as KeyObject, SPKI DER, PEM, JWK or raw point', async () => {
    const spki = peer.publicKey.export({ type: 'spki', format: 'der' });
    const imported = await subtle.importKey('spki', spki, ECDSA_P256, true, ['verify']);
    const raw = Buffer.from(await subtle.exportKey('raw', imported));
    const forms: [string, unknown][] = [
      ['KeyObject', peer.publicKey],
      ['SPKI DER', spki],
      ['PEM', peer.publicKey.export({ type: 'spki', format: 'pem' })],
      ['JWK', peer.publicKey.export({ format: 'jwk' })],
      ['raw', raw],
      ['raw (Uint8Array)', new Uint8Array(raw)],
      ['compressed', ECDH.convertKey(raw, 'prime256v1', undefined, undefined, 'compressed')],
    ];
    expect(expected).toHaveLength(32);
    for (const [label, form] of forms) {
      expect((await key.ecdh(form as never)).toString('hex'), label).toBe(expected.toString('hex'));
    }
    // Two of our keys agree with each other.
    const signer = await ks.getKey('signer');
    expect(await key.ecdh(signer.publicKey)).toEqual(await signer.ecdh(key.publicKey));
    // And with node's ECDH class on a raw point.
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    expect(await key.ecdh(ecdh.getPublicKey())).toEqual(
      ecdh.computeSecret(key.exportPublicKey('raw')),
    );
  });

  it('refuses invalid peers: off-curve, other curves, private keys, junk', async () => {
    const raw = key.exportPublicKey('raw');
    const offCurve = Buffer.from(raw);
    offCurve[64]! ^= 1;
    const jwk = peer.publicKey.export({ format: 'jwk' }) as JsonWebKey;
    const y = Buffer.from(jwk.y!, 'base64url');
    y[31]! ^= 1;
    const offCurveJwk = { ...jwk, y: y.toString('base64url') };
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    const k256 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
    const x25519 = generateKeyPairSync('x25519');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const bad: [string, unknown][] = [
      ['off-curve raw', offCurve],
      ['off-curve JWK', offCurveJwk],
      ['point at infinity', Buffer.of(0)],
      ['zero point', Buffer.concat([Buffer.of(4), Buffer.alloc(64)])],
      ['P-384 KeyObject', p384.publicKey],
      ['P-384 SPKI', p384.publicKey.export({ type: 'spki', format: 'der' })],
      ['P-384 PEM', p384.publicKey.export({ type: 'spki', format: 'pem' })],
      ['P-384 JWK', p384.publicKey.export({ format: 'jwk' })],
      ['secp256k1 KeyObject', k256.publicKey],
      ['secp256k1 SPKI', k256.publicKey.export({ type: 'spki', format: 'der' })],
      ['x25519 KeyObject', x25519.publicKey],
      ['RSA KeyObject', rsa.publicKey],
      ['P-256 private KeyObject', peer.privateKey],
      ['P-256 private JWK', peer.privateKey.export({ format: 'jwk' })],
      ['private PEM', peer.privateKey.export({ type: 'pkcs8', format: 'pem' })],
      ['junk string', 'not a key'],
      ['empty buffer', Buffer.alloc(0)],
      ['number', 42],
      ['null', null],
    ];
    for (const [label, peerKey] of bad) {
      await expectCode(() => key.ecdh(peerKey as never), 'E_INVALID_ARGUMENT', label);
    }
  });
});
