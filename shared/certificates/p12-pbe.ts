import { createDecipheriv, pbkdf2Sync } from 'node:crypto';

import forge from 'node-forge';

import {
  type Asn1,
  Asn1Type,
  isUniversal,
  MalformedDerError,
  readChildren,
  readCount,
  readOctets,
  readOid,
  toBinaryString,
} from './der.js';
import {
  algorithmName,
  type CbcCipher,
  MAC_DIGESTS,
  OID,
  PBES2_CIPHERS,
  PBKDF2_PRFS,
  type Pkcs12Cipher,
  PKCS12_PBE_CIPHERS,
} from './p12-algorithms.js';
import { unsupportedAlgorithm } from './p12-errors.js';
import { derivePkcs12Key, KDF_PURPOSE, type PasswordForms } from './p12-kdf.js';

/** Encryption scheme of one encrypted part of a p12, read before any key is derived. */
export type PbeScheme =
  | {
      kind: 'pbes2';
      prf: string;
      salt: Buffer;
      iterations: number;
      cipher: CbcCipher;
      iv: Buffer;
    }
  | { kind: 'pkcs12'; cipher: Pkcs12Cipher; salt: Buffer; iterations: number };

/** Thrown when a ciphertext does not decrypt: a wrong password, or a corrupt file. */
export class DecryptionError extends Error {
  override readonly name = 'DecryptionError';
}

const SHA1 = MAC_DIGESTS['1.3.14.3.2.26']!;

/** Reads the AlgorithmIdentifier of an encrypted part; an unknown algorithm is a P12Failure. */
export function readPbeScheme(algorithm: Asn1 | undefined, label: string): PbeScheme {
  const [oidNode, params] = readChildren(algorithm, `${label} algorithm`);
  const oid = readOid(oidNode, `${label} algorithm`);

  if (oid === OID.pbes2) {
    return readPbes2(params, label);
  }
  const pkcs12Cipher = PKCS12_PBE_CIPHERS[oid];
  if (pkcs12Cipher === undefined) {
    throw unsupportedAlgorithm(oid, algorithmName(oid), `the encryption of ${label}`);
  }

  const [salt, iterations] = readChildren(params, `${label} PBE parameters`);
  return {
    kind: 'pkcs12',
    cipher: pkcs12Cipher,
    salt: readOctets(salt, `${label} salt`),
    iterations: readIterations(iterations, label),
  };
}

/** PBES2-params (RFC 8018 appendix A.4) with PBKDF2-params (appendix A.2). */
function readPbes2(params: Asn1 | undefined, label: string): PbeScheme {
  const [kdf, scheme] = readChildren(params, `${label} PBES2 parameters`);
  const [kdfOid, kdfParams] = readChildren(kdf, `${label} key derivation`);
  const kdfAlgorithm = readOid(kdfOid, `${label} key derivation`);
  if (kdfAlgorithm !== OID.pbkdf2) {
    throw unsupportedAlgorithm(
      kdfAlgorithm,
      algorithmName(kdfAlgorithm),
      `the key derivation of ${label}`,
    );
  }

  const [salt, iterations, ...optional] = readChildren(kdfParams, `${label} PBKDF2 parameters`);
  const keyLength = optional.find((node) => isUniversal(node, Asn1Type.INTEGER));
  const prfAlgorithm = optional.find((node) => isUniversal(node, Asn1Type.SEQUENCE));
  const prfOid =
    prfAlgorithm === undefined
      ? OID.hmacWithSha1
      : readOid(readChildren(prfAlgorithm, `${label} PRF`)[0], `${label} PRF`);
  const prf = PBKDF2_PRFS[prfOid];
  if (prf === undefined) {
    throw unsupportedAlgorithm(prfOid, algorithmName(prfOid), `the PBKDF2 PRF of ${label}`);
  }

  const [cipherOid, iv] = readChildren(scheme, `${label} encryption scheme`);
  const cipherAlgorithm = readOid(cipherOid, `${label} encryption scheme`);
  const cipher = PBES2_CIPHERS[cipherAlgorithm];
  if (cipher === undefined) {
    throw unsupportedAlgorithm(
      cipherAlgorithm,
      algorithmName(cipherAlgorithm),
      `the encryption of ${label}`,
    );
  }

  const ivBytes = readOctets(iv, `${label} IV`);
  if (ivBytes.length !== cipher.ivBytes) {
    throw new MalformedDerError(`the ${cipher.name} IV of ${label} is ${ivBytes.length} bytes`);
  }
  if (keyLength !== undefined && readCount(keyLength, `${label} key length`) !== cipher.keyBytes) {
    throw new MalformedDerError(`the PBKDF2 key length of ${label} does not fit ${cipher.name}`);
  }

  return {
    kind: 'pbes2',
    prf,
    salt: readOctets(salt, `${label} PBKDF2 salt`),
    iterations: readIterations(iterations, label),
    cipher,
    iv: ivBytes,
  };
}

export function readIterations(node: Asn1 | undefined, label: string): number {
  const iterations = readCount(node, `${label} iteration count`);
  if (iterations < 1) {
    throw new MalformedDerError(`the iteration count of ${label} is 0`);
  }
  return iterations;
}

/** Decrypts one part; a padding failure (usually a wrong password) is a DecryptionError. */
export function decryptPart(
  scheme: PbeScheme,
  ciphertext: Buffer,
  password: PasswordForms,
): Buffer {
  if (scheme.kind === 'pbes2') {
    const key = pbkdf2Sync(
      password.utf8,
      scheme.salt,
      scheme.iterations,
      scheme.cipher.keyBytes,
      scheme.prf,
    );
    return decipher(scheme.cipher.name, key, scheme.iv, ciphertext);
  }

  const { cipher, salt, iterations } = scheme;
  const key = derivePkcs12Key(
    SHA1,
    password.bmp,
    salt,
    KDF_PURPOSE.key,
    iterations,
    cipher.keyBytes,
  );
  const iv = derivePkcs12Key(SHA1, password.bmp, salt, KDF_PURPOSE.iv, iterations, 8);
  if (cipher.cipher === 'rc2-cbc') {
    return decipherRc2(key, cipher.rc2Bits ?? key.length * 8, iv, ciphertext);
  }
  return decipher(cipher.cipher, key, iv, ciphertext);
}

function decipher(name: string, key: Buffer, iv: Buffer, ciphertext: Buffer): Buffer {
  try {
    const decipher = createDecipheriv(name, key, iv);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch (error) {
    throw new DecryptionError(`${name} decryption failed`, { cause: error });
  }
}

function decipherRc2(key: Buffer, effectiveBits: number, iv: Buffer, ciphertext: Buffer): Buffer {
  const decipher = forge.rc2.createDecryptionCipher(toBinaryString(key), effectiveBits);
  decipher.start(toBinaryString(iv));
  decipher.update(forge.util.createBuffer(toBinaryString(ciphertext)));
  if (ciphertext.length % 8 !== 0 || !decipher.finish()) {
    throw new DecryptionError('rc2-cbc decryption failed');
  }
  return Buffer.from(decipher.output.getBytes(), 'binary');
}
