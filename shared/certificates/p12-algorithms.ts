/** OIDs of the PKCS#12 (RFC 7292), PKCS#7 and PKCS#5 (RFC 8018) structures the parser reads. */
export const OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  envelopedData: '1.2.840.113549.1.7.3',
  encryptedData: '1.2.840.113549.1.7.6',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  pkcs8ShroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  safeContentsBag: '1.2.840.113549.1.12.10.1.6',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  localKeyId: '1.2.840.113549.1.9.21',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  hmacWithSha1: '1.2.840.113549.2.7',
} as const;

/** A node:crypto hash with the block size the PKCS#12 KDF (RFC 7292 appendix B) pads to. */
export interface HashAlgorithm {
  name: string;
  /** Digest size in bytes, which is also the MAC key size. */
  outputBytes: number;
  /** Block size in bytes (`v` in RFC 7292 appendix B.2). */
  blockBytes: number;
}

/** MAC digests by OID. The SHA-3 block sizes are the sponge rates OpenSSL uses for them. */
export const MAC_DIGESTS: Record<string, HashAlgorithm> = {
  '1.2.840.113549.2.5': { name: 'md5', outputBytes: 16, blockBytes: 64 },
  '1.3.14.3.2.26': { name: 'sha1', outputBytes: 20, blockBytes: 64 },
  '2.16.840.1.101.3.4.2.4': { name: 'sha224', outputBytes: 28, blockBytes: 64 },
  '2.16.840.1.101.3.4.2.1': { name: 'sha256', outputBytes: 32, blockBytes: 64 },
  '2.16.840.1.101.3.4.2.2': { name: 'sha384', outputBytes: 48, blockBytes: 128 },
  '2.16.840.1.101.3.4.2.3': { name: 'sha512', outputBytes: 64, blockBytes: 128 },
  '2.16.840.1.101.3.4.2.5': { name: 'sha512-224', outputBytes: 28, blockBytes: 128 },
  '2.16.840.1.101.3.4.2.6': { name: 'sha512-256', outputBytes: 32, blockBytes: 128 },
  '2.16.840.1.101.3.4.2.7': { name: 'sha3-224', outputBytes: 28, blockBytes: 144 },
  '2.16.840.1.101.3.4.2.8': { name: 'sha3-256', outputBytes: 32, blockBytes: 136 },
  '2.16.840.1.101.3.4.2.9': { name: 'sha3-384', outputBytes: 48, blockBytes: 104 },
  '2.16.840.1.101.3.4.2.10': { name: 'sha3-512', outputBytes: 64, blockBytes: 72 },
};

/** PBKDF2 pseudo-random functions by OID, as node:crypto digest names. */
export const PBKDF2_PRFS: Record<string, string> = {
  [OID.hmacWithSha1]: 'sha1',
  '1.2.840.113549.2.8': 'sha224',
  '1.2.840.113549.2.9': 'sha256',
  '1.2.840.113549.2.10': 'sha384',
  '1.2.840.113549.2.11': 'sha512',
  '1.2.840.113549.2.12': 'sha512-224',
  '1.2.840.113549.2.13': 'sha512-256',
  '2.16.840.1.101.3.4.2.13': 'sha3-224',
  '2.16.840.1.101.3.4.2.14': 'sha3-256',
  '2.16.840.1.101.3.4.2.15': 'sha3-384',
  '2.16.840.1.101.3.4.2.16': 'sha3-512',
};

/** A CBC cipher of node:crypto's default provider, with its key and IV sizes in bytes. */
export interface CbcCipher {
  name: string;
  keyBytes: number;
  ivBytes: number;
}

/** PBES2 encryption schemes by OID. */
export const PBES2_CIPHERS: Record<string, CbcCipher> = {
  '2.16.840.1.101.3.4.1.2': { name: 'aes-128-cbc', keyBytes: 16, ivBytes: 16 },
  '2.16.840.1.101.3.4.1.22': { name: 'aes-192-cbc', keyBytes: 24, ivBytes: 16 },
  '2.16.840.1.101.3.4.1.42': { name: 'aes-256-cbc', keyBytes: 32, ivBytes: 16 },
  '1.2.840.113549.3.7': { name: 'des-ede3-cbc', keyBytes: 24, ivBytes: 8 },
  '1.2.392.200011.61.1.1.1.2': { name: 'camellia-128-cbc', keyBytes: 16, ivBytes: 16 },
  '1.2.392.200011.61.1.1.1.3': { name: 'camellia-192-cbc', keyBytes: 24, ivBytes: 16 },
  '1.2.392.200011.61.1.1.1.4': { name: 'camellia-256-cbc', keyBytes: 32, ivBytes: 16 },
  '1.2.410.200046.1.1.2': { name: 'aria-128-cbc', keyBytes: 16, ivBytes: 16 },
  '1.2.410.200046.1.1.7': { name: 'aria-192-cbc', keyBytes: 24, ivBytes: 16 },
  '1.2.410.200046.1.1.12': { name: 'aria-256-cbc', keyBytes: 32, ivBytes: 16 },
};

/**
 * A PKCS#12 password-based encryption scheme (RFC 7292 appendix C). Its key and IV come from
 * the PKCS#12 KDF with SHA-1. RC2 runs in node-forge because node:crypto offers it only with
 * OpenSSL's legacy provider, which Node does not load.
 */
export interface Pkcs12Cipher {
  cipher: 'des-ede3-cbc' | 'des-ede-cbc' | 'rc2-cbc';
  keyBytes: number;
  /** Effective key bits of RC2. */
  rc2Bits?: number;
}

export const PKCS12_PBE_CIPHERS: Record<string, Pkcs12Cipher> = {
  '1.2.840.113549.1.12.1.3': { cipher: 'des-ede3-cbc', keyBytes: 24 },
  '1.2.840.113549.1.12.1.4': { cipher: 'des-ede-cbc', keyBytes: 16 },
  '1.2.840.113549.1.12.1.5': { cipher: 'rc2-cbc', keyBytes: 16, rc2Bits: 128 },
  '1.2.840.113549.1.12.1.6': { cipher: 'rc2-cbc', keyBytes: 5, rc2Bits: 40 },
};

/** Names of algorithms the parser recognises but rejects, for the client's error message. */
const UNSUPPORTED_NAMES: Record<string, string> = {
  '1.2.840.113549.1.12.1.1': 'pbeWithSHAAnd128BitRC4',
  '1.2.840.113549.1.12.1.2': 'pbeWithSHAAnd40BitRC4',
  '1.2.840.113549.1.5.1': 'pbeWithMD2AndDES-CBC',
  '1.2.840.113549.1.5.3': 'pbeWithMD5AndDES-CBC',
  '1.2.840.113549.1.5.4': 'pbeWithMD2AndRC2-CBC',
  '1.2.840.113549.1.5.6': 'pbeWithMD5AndRC2-CBC',
  '1.2.840.113549.1.5.10': 'pbeWithSHA1AndDES-CBC',
  '1.2.840.113549.1.5.11': 'pbeWithSHA1AndRC2-CBC',
  '1.2.840.113549.1.5.14': 'PBMAC1',
  '1.3.14.3.2.7': 'DES-CBC',
  '1.2.840.113549.3.2': 'RC2-CBC',
  '1.3.6.1.4.1.11591.4.11': 'scrypt',
  [OID.signedData]: 'public-key integrity (signedData)',
  [OID.envelopedData]: 'public-key privacy (envelopedData)',
};

export function algorithmName(oid: string): string | undefined {
  return UNSUPPORTED_NAMES[oid];
}
