import { createHmac, timingSafeEqual } from 'node:crypto';

import { type Asn1, readChildren, readOctets, readOid } from './der.js';
import { algorithmName, type HashAlgorithm, MAC_DIGESTS } from './p12-algorithms.js';
import { unsupportedAlgorithm } from './p12-errors.js';
import { derivePkcs12Key, KDF_PURPOSE, type PasswordForms } from './p12-kdf.js';
import { readIterations } from './p12-pbe.js';

/** The MacData of a PFX (RFC 7292 section 4): an HMAC over the authSafe content. */
export interface MacSpec {
  digest: HashAlgorithm;
  expected: Buffer;
  salt: Buffer;
  iterations: number;
}

export function readMacData(node: Asn1): MacSpec {
  const [digestInfo, salt, iterations] = readChildren(node, 'the MacData');
  const [algorithm, expected] = readChildren(digestInfo, 'the MAC digest');
  const oid = readOid(readChildren(algorithm, 'the MAC algorithm')[0], 'the MAC algorithm');
  const digest = MAC_DIGESTS[oid];
  if (digest === undefined) {
    throw unsupportedAlgorithm(oid, algorithmName(oid), 'the MAC');
  }

  return {
    digest,
    expected: readOctets(expected, 'the MAC value'),
    salt: readOctets(salt, 'the MAC salt'),
    // The count defaults to 1 when absent, for compatibility with PKCS#12 v1.0 files.
    iterations: iterations === undefined ? 1 : readIterations(iterations, 'the MAC'),
  };
}

/** Returns the password form whose MAC matches, or undefined when none does. */
export function findMacPassword(
  mac: MacSpec,
  authSafe: Buffer,
  candidates: PasswordForms[],
): PasswordForms | undefined {
  return candidates.find((candidate) => macMatches(mac, authSafe, candidate.bmp));
}

function macMatches(mac: MacSpec, authSafe: Buffer, password: Buffer): boolean {
  const { digest } = mac;
  const key = derivePkcs12Key(
    digest,
    password,
    mac.salt,
    KDF_PURPOSE.mac,
    mac.iterations,
    digest.outputBytes,
  );
  const actual = createHmac(mac.digest.name, key).update(authSafe).digest();
  return actual.length === mac.expected.length && timingSafeEqual(actual, mac.expected);
}
