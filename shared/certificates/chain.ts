import { createHash, type KeyObject, X509Certificate } from 'node:crypto';

/** A certificate from a certificate bag, with the localKeyId that pairs it with a key. */
export interface CertificateEntry {
  certificate: X509Certificate;
  localKeyId: string | undefined;
}

/** The leaf and the other certificates, ordered from the leaf's issuer upwards. */
export interface OrderedCertificates {
  leaf: X509Certificate;
  chain: X509Certificate[];
}

/**
 * Picks the certificate whose public key matches `key`, wherever it sits in the file, and
 * orders the others. A certificate entry without a key, such as a trusted root that Java's
 * keytool adds, never matches a key, so it never becomes the leaf. When several certificates
 * match (a renewal that kept its key), the one whose localKeyId pairs with the key wins, then
 * the first in file order. Returns undefined when no certificate matches.
 */
export function selectLeaf(
  key: KeyObject,
  keyLocalId: string | undefined,
  entries: CertificateEntry[],
): OrderedCertificates | undefined {
  const unique = dropDuplicates(entries);
  const matching = unique.filter((entry) => entry.certificate.checkPrivateKey(key));
  const paired = matching.find(
    (entry) => keyLocalId !== undefined && entry.localKeyId === keyLocalId,
  );
  const leaf = paired ?? matching[0];
  if (leaf === undefined) {
    return undefined;
  }

  const others = unique.filter((entry) => entry !== leaf).map((entry) => entry.certificate);
  return { leaf: leaf.certificate, chain: orderChain(leaf.certificate, others) };
}

/**
 * Orders `others` by following issuer to subject from `leaf` up to a self-issued certificate.
 * Certificates off that path (a cross-signed intermediate, an unrelated root) are kept after
 * it in file order rather than dropped, because RFC 8446 section 4.4.2 asks TLS peers to
 * tolerate extra certificates and a tenant may have added them for a server that needs them.
 */
export function orderChain(leaf: X509Certificate, others: X509Certificate[]): X509Certificate[] {
  const remaining = [...others];
  const path: X509Certificate[] = [];

  let current = leaf;
  while (!current.checkIssued(current)) {
    const index = remaining.findIndex((candidate) => current.checkIssued(candidate));
    if (index < 0) {
      break;
    }

    const [issuer] = remaining.splice(index, 1) as [X509Certificate];
    path.push(issuer);
    current = issuer;
  }
  return [...path, ...remaining];
}

/** Keeps the first of byte-identical certificates, which exports repeat for each key entry. */
function dropDuplicates(entries: CertificateEntry[]): CertificateEntry[] {
  const seen = new Set<string>();
  return entries.filter((entry) => {
    const fingerprint = createHash('sha256').update(entry.certificate.raw).digest('hex');
    if (seen.has(fingerprint)) {
      return false;
    }
    seen.add(fingerprint);
    return true;
  });
}
