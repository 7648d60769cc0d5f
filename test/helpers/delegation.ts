/**
 * Helpers for the delegation tests: an mTLS round trip through node's own https server and
 * client, and the fixed DER bytes of the extensions RFC 5280 defines, typed in here from the RFC
 * rather than taken from src/.
 */
import { createHash, generateKeyPairSync, sign, type X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as tls from 'node:tls';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { DeviceKey, SessionKey } from '../../src/index';
import { sequence } from '../../src/crypto/der';
import { readDerElement } from '../../src/crypto/p256';
import { encodeCertificate, encodeTbsCertificate } from '../../src/crypto/x509';

/**
 * The server's side of the mTLS tests, PEM: its key and chain (a serverAuth session of a store
 * of its own), and `ca`, what the client trusts for it (that store's device certificate).
 */
export interface ServerCredentials {
  key: string;
  cert: string;
  ca: string;
}

/** Extension DER, whole (SEQUENCE { OID, critical TRUE, OCTET STRING { value } }). */
export const EXTENSION_DER = {
  /** basicConstraints critical: CA TRUE, pathLenConstraint 0. */
  caPathlen0: '30120603551d130101ff040830060101ff020100',
  /** basicConstraints critical: an end entity (empty SEQUENCE). */
  endEntity: '300c0603551d130101ff04023000',
  /** keyUsage critical: digitalSignature (bit 0) and keyCertSign (bit 5): 2 unused bits, 0x84. */
  keyCertSignAndDigitalSignature: '300e0603551d0f0101ff040403020284',
  /** keyUsage critical: digitalSignature only: 7 unused bits, 0x80. */
  digitalSignatureOnly: '300e0603551d0f0101ff040403020780',
} as const;

/** RFC 5280 §4.2.1.2 (1): SHA-1 of the subjectPublicKey BIT STRING's bits. */
export function expectedKeyId(spkiDer: Buffer): string {
  // A P-256 SPKI is 26 bytes of header, then the 65-byte point.
  return createHash('sha1')
    .update(spkiDer.subarray(spkiDer.length - 65))
    .digest('hex');
}

export interface MtlsResult {
  /** The status code, when the request got an answer. */
  status?: number;
  /** What the server saw as the client certificate's subject CN. */
  peerCn?: string;
  /** The client's error, when the handshake or request failed. */
  error?: string;
}

/**
 * Starts an https server on loopback that requires a client certificate issued by `ca` (the
 * device certificate, PEM), makes one request with `client` ({ key, cert } PEM), and reports
 * what happened. The server answers 200 with the client certificate's subject CN.
 */
export async function mtlsRoundTrip(
  server: ServerCredentials,
  ca: string,
  client: { key: string; cert: string },
): Promise<MtlsResult> {
  const srv = https.createServer(
    { key: server.key, cert: server.cert, ca: [ca], requestCert: true, rejectUnauthorized: true },
    (req, res) => {
      const peer = (req.socket as tls.TLSSocket).getPeerCertificate();
      res.end(String(peer.subject?.CN ?? ''));
    },
  );
  srv.on('tlsClientError', () => {}); // a refused client is the expected outcome of some tests
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address() as AddressInfo;
  try {
    return await new Promise<MtlsResult>((resolve) => {
      const req = https.request(
        {
          host: '127.0.0.1',
          port,
          path: '/',
          ...client,
          ca: [server.ca],
          // The server's certificate names a device, not a host name; its chain is what is pinned.
          checkServerIdentity: () => undefined,
          agent: false,
        },
        (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, peerCn: body }));
        },
      );
      req.on('error', (err) =>
        resolve({ error: (err as NodeJS.ErrnoException).code ?? err.message }),
      );
      req.end();
    });
  } finally {
    srv.close();
  }
}

export function subjectCn(cert: X509Certificate): string | undefined {
  return cert.subject
    .split('\n')
    .find((l) => l.startsWith('CN='))
    ?.slice(3);
}

/**
 * The mTLS tests, for a describe block: a node https server that pins `deviceCert` accepts
 * `session` as a TLS client and refuses a session of `otherDevice`. The server's own
 * certificate is a serverAuth session of `otherDevice`.
 */
export function mtlsTests(
  get: () => { deviceCert: X509Certificate; session: SessionKey; otherDevice: DeviceKey },
): void {
  let server: ServerCredentials;
  let serverSession: SessionKey;

  beforeAll(async () => {
    serverSession = await get().otherDevice.delegate({ ttl: '10m', purpose: 'serverAuth' });
    server = { ...serverSession.tlsOptions(), ca: serverSession.deviceCertificate.toString() };
  });
  afterAll(() => serverSession?.close());

  it('accepts the session key and its certificate chain', async () => {
    const { deviceCert, session } = get();
    const r = await mtlsRoundTrip(server, deviceCert.toString(), session.tlsOptions());
    expect(r).toEqual({ status: 200, peerCn: session.root.deviceId });
  });

  it('refuses a client whose chain roots in another device', async () => {
    const { deviceCert, otherDevice } = get();
    const foreign = await otherDevice.delegate({ ttl: '5m' });
    const r = await mtlsRoundTrip(server, deviceCert.toString(), foreign.tlsOptions());
    expect(r.status).toBeUndefined();
    expect(r.error).toBeDefined();
    foreign.close();
  });
}

/** An SPKI that node's createPublicKey accepts and whose point is empty (DESIGN §8). */
export const EMPTY_POINT_SPKI = '3019301306072a8648ce3d020106082a8648ce3d03010703020000';

/**
 * A pair of certificates with the names session and device certificates have, signed by a
 * throwaway key, where `spkiHex` replaces the subject key of the session (or, with
 * `inDevice`, of the device certificate): for inputs no device key would ever sign.
 */
export function certificatesWithSpki(
  spkiHex: string,
  inDevice: boolean,
): { session: Buffer; device: Buffer } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(26);
  const name = { organization: 'device-keystore', commonName: 'crafted' };
  const make = (ca: boolean, replace: boolean) => {
    let tbs = encodeTbsCertificate({
      serial: Buffer.from([ca ? 1 : 2]),
      issuer: name,
      subject: ca ? name : { ...name, organizationalUnit: 'session key' },
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 3_600_000),
      subjectKey: raw,
      issuerKey: raw,
      ca,
      keyUsage: ca ? ['digitalSignature', 'keyCertSign'] : ['digitalSignature'],
      extendedKeyUsage: ca ? [] : ['1.3.6.1.5.5.7.3.2'],
    });
    if (replace) {
      // The TBSCertificate's seventh element is subjectPublicKeyInfo.
      const body = readDerElement(tbs, 0, 'tbs').body;
      const parts: Buffer[] = [];
      for (let off = 0; off < body.length; ) {
        const end = readDerElement(body, off, 'field').end;
        parts.push(body.subarray(off, end));
        off = end;
      }
      parts[6] = Buffer.from(spkiHex, 'hex');
      tbs = sequence(...parts);
    }
    return encodeCertificate(tbs, sign('sha256', tbs, privateKey));
  };
  return { session: make(false, !inDevice), device: make(true, inDevice) };
}
