import { createHash, type KeyObject, X509Certificate } from 'node:crypto';

import type { CertificateDetails } from './p12.js';

/** Short names of the named curves, as in `EC-P256`; other curves keep OpenSSL's name. */
const CURVE_NAMES: Record<string, string> = {
  prime256v1: 'P256',
  secp384r1: 'P384',
  secp521r1: 'P521',
};

/**
 * Describes a stored leaf and chain, both PEM.
 *
 * @throws TypeError or a node:crypto error when `leafPem` is not a PEM certificate.
 */
export function describeCertificates(leafPem: string, chainPem: string[]): CertificateDetails {
  return describeLeaf(new X509Certificate(leafPem), chainPem.length);
}

/** Reads the public details of a leaf certificate; `chainSize` counts the other certificates. */
export function describeLeaf(leaf: X509Certificate, chainSize: number): CertificateDetails {
  return {
    notBefore: leaf.validFromDate,
    notAfter: leaf.validToDate,
    subject: formatDistinguishedName(leaf.subject),
    issuer: formatDistinguishedName(leaf.issuer),
    serialNumber: leaf.serialNumber.toLowerCase(),
    fingerprintSha256: createHash('sha256').update(leaf.raw).digest('hex'),
    keyType: describeKeyType(leaf.publicKey),
    chainLength: 1 + chainSize,
  };
}

/** Names a key as `RSA-2048`, `EC-P256`, `Ed25519` and so on. */
export function describeKeyType(key: KeyObject): string {
  const details = key.asymmetricKeyDetails ?? {};

  switch (key.asymmetricKeyType) {
    case 'rsa':
      return `RSA-${details.modulusLength}`;
    case 'rsa-pss':
      return `RSA-PSS-${details.modulusLength}`;
    case 'dsa':
      return `DSA-${details.modulusLength}`;
    case 'ec': {
      const curve = details.namedCurve ?? 'unknown';
      return `EC-${CURVE_NAMES[curve] ?? curve}`;
    }
    case 'ed25519':
      return 'Ed25519';
    case 'ed448':
      return 'Ed448';
    default:
      return (key.asymmetricKeyType ?? 'unknown').toUpperCase();
  }
}

/**
 * Turns node:crypto's one-attribute-per-line name (most significant first, values already
 * escaped as in RFC 2253) into the RFC 4514 string order: `CN=client, O=Example, C=DE`.
 */
export function formatDistinguishedName(name: string): string {
  return name
    .split('\n')
    .filter((line) => line !== '')
    .reverse()
    .join(', ');
}
