import { readFileSync } from 'node:fs';
import * as path from 'node:path';

// Project Wycheproof's vectors, vendored unchanged with their license (test/vectors/README.md),
// so the suite runs the same on any runner. A missing file must fail the test, not skip it.
const VECTORS = path.resolve(__dirname, '../vectors/wycheproof');

export type WycheproofResult = 'valid' | 'invalid' | 'acceptable';

export interface EcdhVector {
  tcId: number;
  public: string;
  private: string;
  shared: string;
  result: WycheproofResult;
  flags: string[];
}

export function loadVectors<T>(file: string): { testGroups: T[] } {
  return JSON.parse(readFileSync(path.join(VECTORS, file), 'utf8'));
}

export function ecdhVectors(file: string): EcdhVector[] {
  return loadVectors<{ tests: EcdhVector[] }>(file).testGroups.flatMap((g) => g.tests);
}

/**
 * Our choice for ECDH vectors, on every tier: `valid` ones, and of the `acceptable` ones the
 * compressed points (which must then give the right secret). Everything else marked acceptable
 * (BER/malformed ASN.1, explicit "unnamed curve" parameters) is refused, because we accept only
 * strict DER with the named curve.
 */
export function ecdhAccepted(t: EcdhVector): boolean {
  return (
    t.result === 'valid' || (t.result === 'acceptable' && t.flags.includes('CompressedPublic'))
  );
}
