import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';

import type { CertificateEntry } from './chain.js';
import { MalformedDerError, parseDer, readChildren, readOid } from './der.js';
import { algorithmName } from './p12-algorithms.js';
import {
  certificateMissing,
  keyMissing,
  multipleKeys,
  passwordInvalid,
  unreadable,
  unsupportedAlgorithm,
} from './p12-errors.js';
import type { PasswordForms } from './p12-kdf.js';
import type { IterationBudget } from './p12-limits.js';
import { DecryptionError, decryptPart } from './p12-pbe.js';
import { type AuthSafePart, type Pfx, readSafeContents, type SafeBag } from './p12-structure.js';

/** The decrypted contents of a p12: exactly one private key and at least one certificate. */
export interface P12Contents {
  key: KeyObject;
  keyLocalId: string | undefined;
  certificates: CertificateEntry[];
}

type KeyBag = Extract<SafeBag, { kind: 'key' | 'shroudedKey' }>;

/**
 * Decrypts the encrypted parts, counts the keys before decrypting one, and builds node:crypto
 * objects from the bags' DER, so EC and Ed25519 keys work although node-forge reads only RSA.
 * Undecryptable or malformed decrypted data means a wrong password when the file has no MAC,
 * and a corrupt file when the MAC has already verified the password.
 */
export function openContents(
  pfx: Pfx,
  password: PasswordForms,
  budget: IterationBudget,
): P12Contents {
  try {
    const bags = pfx.parts.flatMap((part) => openPart(part, password, budget));
    const keyBags = bags.filter((bag): bag is KeyBag => bag.kind !== 'certificate');
    const certificateBags = bags.filter((bag) => bag.kind === 'certificate');

    const keyBag = keyBags[0];
    if (keyBag === undefined) {
      throw keyMissing();
    }
    if (keyBags.length > 1) {
      throw multipleKeys(keyBags.length);
    }
    if (certificateBags.length === 0) {
      throw certificateMissing();
    }

    return {
      key: openKey(keyBag, password),
      keyLocalId: keyBag.localKeyId,
      certificates: certificateBags.map((bag) => ({
        certificate: readCertificate(bag.der),
        localKeyId: bag.localKeyId,
      })),
    };
  } catch (error) {
    if (!(error instanceof DecryptionError || error instanceof MalformedDerError)) {
      throw error;
    }
    if (pfx.mac === undefined) {
      throw passwordInvalid();
    }
    throw unreadable(
      error instanceof DecryptionError
        ? 'its encrypted contents do not decrypt with the password that verified its MAC'
        : error.message,
    );
  }
}

function openPart(part: AuthSafePart, password: PasswordForms, budget: IterationBudget): SafeBag[] {
  if (part.kind === 'plain') {
    return part.bags;
  }

  const bags = readSafeContents(decryptPart(part.scheme, part.ciphertext, password));
  budget.spendOnKeys(bags);
  return bags;
}

function openKey(bag: KeyBag, password: PasswordForms): KeyObject {
  if (bag.kind === 'key') {
    try {
      return readPrivateKey(bag.der, 'the key bag');
    } catch (error) {
      // An unencrypted key bag cannot suffer from a wrong password, so its garbage is corruption.
      throw error instanceof MalformedDerError ? unreadable(error.message) : error;
    }
  }
  return readPrivateKey(decryptPart(bag.scheme, bag.ciphertext, password), 'the decrypted key');
}

/**
 * Builds a key from PrivateKeyInfo DER (PKCS#8). When node:crypto rejects DER that is a valid
 * PrivateKeyInfo, the key algorithm is the problem, and the error names its OID.
 */
function readPrivateKey(der: Buffer, label: string): KeyObject {
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } catch {
    const [, algorithm] = readChildren(parseDer(der, label), label);
    const oid = readOid(readChildren(algorithm, `${label} algorithm`)[0], `${label} algorithm`);
    throw unsupportedAlgorithm(oid, algorithmName(oid), 'the private key');
  }
}

function readCertificate(der: Buffer): X509Certificate {
  try {
    return new X509Certificate(der);
  } catch {
    throw unreadable('a certificate bag does not contain a valid X.509 certificate');
  }
}
