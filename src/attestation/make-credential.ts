import {
  constants,
  createCipheriv,
  createHmac,
  diffieHellman,
  generateKeyPairSync,
  publicEncrypt,
  randomBytes,
} from 'node:crypto';
import { invalidArgument, isKeystoreError } from '../core/errors';
import { TPM2_ALG, wrapTpm2b } from '../crypto/tpm2-structures';
import { kdfa, kdfe, tpmHash } from './kdf';
import { curveOf, keyObjectOf, padCoordinate, readTpmPublic, type TpmPublic } from './tpm-public';

/** What TPM2_MakeCredential returns, in the TPM's wire formats. */
export interface MadeCredential {
  /** TPM2B_ID_OBJECT: size ‖ TPM2B_DIGEST(outer HMAC) ‖ AES-CFB(TPM2B_DIGEST(secret)). */
  credentialBlob: Buffer;
  /** TPM2B_ENCRYPTED_SECRET: the seed under RSA-OAEP, or the ephemeral ECC point (TPMS_ECC_POINT). */
  secret: Buffer;
  /**
   * The same two in the file tpm2_makecredential writes and tpm2_activatecredential reads:
   * magic 0xBADCC0DE, version 1, then credentialBlob and secret.
   */
  tpm2ToolsFile: Buffer;
}

const IDENTITY = 'IDENTITY';

/** The EK public is the caller's argument here, not an attestation: its faults are theirs. */
function asArgument<T>(run: () => T): T {
  try {
    return run();
  } catch (err) {
    if (isKeystoreError(err, 'E_ATTESTATION_INVALID')) throw invalidArgument(err.message);
    throw err;
  }
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

/** The seed and its encryption to the EK (Part 1, Annex B.10.4 for RSA, C.6.4 for ECC). */
function seedFor(ek: TpmPublic, hash: { name: string; size: number }) {
  const ekKey = keyObjectOf(ek, 'ak', 'the EK public');
  if (ek.type === TPM2_ALG.RSA) {
    const seed = randomBytes(hash.size);
    const encrypted = publicEncrypt(
      {
        key: ekKey,
        padding: constants.RSA_PKCS1_OAEP_PADDING,
        oaepHash: hash.name,
        oaepLabel: Buffer.from(`${IDENTITY}\0`, 'ascii'),
      },
      seed,
    );
    return { seed, encrypted: wrapTpm2b(encrypted) };
  }
  const curve = curveOf(ek.curveId)!; // keyObjectOf refused other curves
  const eph = generateKeyPairSync('ec', { namedCurve: curve.jwk });
  const z = diffieHellman({ privateKey: eph.privateKey, publicKey: ekKey });
  const jwk = eph.publicKey.export({ format: 'jwk' });
  const ex = Buffer.from(jwk.x!, 'base64url');
  const ey = Buffer.from(jwk.y!, 'base64url');
  const ekX = padCoordinate(ek.x, curve.size)!;
  // partyUInfo is the ephemeral x, partyVInfo the EK's x (Part 1, §C.6.4).
  const seed = kdfe(hash.name, z, IDENTITY, ex, ekX, hash.size * 8);
  const point = Buffer.concat([wrapTpm2b(ex), wrapTpm2b(ey)]);
  return { seed, encrypted: wrapTpm2b(point) };
}

/**
 * TPM2_MakeCredential in software: binds `secret` to the object named `akName` in such a way
 * that only the TPM holding the EK (`ekPublic`, a TPMT_PUBLIC or TPM2B_PUBLIC of an RSA or
 * NIST-curve ECC EK, as tpm2_readpublic writes it) can recover it, and only with TPM2_ActivateCredential
 * on an object of that Name loaded in the same TPM.
 *
 * The seed goes to the EK (RSA-OAEP with the EK's nameAlg and label "IDENTITY\0", or ECDH with
 * a fresh key on the EK's curve then KDFe); KDFa derives from it the AES key ("STORAGE", with the
 * AK Name as context) and the HMAC key ("INTEGRITY"); the secret, as a TPM2B_DIGEST, is encrypted
 * with the EK's symmetric definition in CFB mode with a zero IV; an HMAC over the ciphertext and
 * the AK Name protects it. All hashes are the EK's nameAlg, as the TPM does it.
 */
export function makeCredential(
  ekPublic: Uint8Array,
  akName: Uint8Array,
  secret: Uint8Array,
): MadeCredential {
  const ek = asArgument(() => readTpmPublic(ekPublic, 'ak', 'the EK public'));
  const hash = tpmHash(ek.nameAlg);
  if (!hash || hash.size < 32) {
    throw invalidArgument(
      `the EK's nameAlg 0x${ek.nameAlg.toString(16)} is not SHA-256 or stronger`,
    );
  }
  const sym = ek.symmetric;
  if (
    sym.algorithm !== TPM2_ALG.AES ||
    sym.mode !== TPM2_ALG.CFB ||
    ![128, 192, 256].includes(sym.keyBits!)
  ) {
    throw invalidArgument('the EK is not a storage key with AES-CFB as its symmetric algorithm');
  }
  if (!(akName instanceof Uint8Array) || akName.length < 2 || akName.length > 2 + 64) {
    throw invalidArgument('akName must be a TPM Name: nameAlg then the digest (2 + 20..64 bytes)');
  }
  const akHash = tpmHash((akName[0]! << 8) | akName[1]!);
  if (!akHash || akName.length !== 2 + akHash.size) {
    throw invalidArgument('akName is not a Name: its algorithm and digest length do not agree');
  }
  if (!(secret instanceof Uint8Array) || secret.length === 0 || secret.length > hash.size) {
    throw invalidArgument(
      `the secret must be 1 to ${hash.size} bytes (the digest size of the EK's nameAlg)`,
    );
  }
  const { seed, encrypted } = asArgument(() => seedFor(ek, hash));
  const name = Buffer.from(akName);
  const symKey = kdfa(hash.name, seed, 'STORAGE', name, Buffer.alloc(0), sym.keyBits!);
  const cipher = createCipheriv(`aes-${sym.keyBits}-cfb`, symKey, Buffer.alloc(16));
  const encIdentity = Buffer.concat([cipher.update(wrapTpm2b(secret)), cipher.final()]);
  const hmacKey = kdfa(
    hash.name,
    seed,
    'INTEGRITY',
    Buffer.alloc(0),
    Buffer.alloc(0),
    hash.size * 8,
  );
  const integrity = createHmac(hash.name, hmacKey).update(encIdentity).update(name).digest();
  seed.fill(0);
  symKey.fill(0);
  hmacKey.fill(0);
  const credentialBlob = wrapTpm2b(Buffer.concat([wrapTpm2b(integrity), encIdentity]));
  return {
    credentialBlob,
    secret: encrypted,
    tpm2ToolsFile: Buffer.concat([u32(0xbadcc0de), u32(1), credentialBlob, encrypted]),
  };
}
