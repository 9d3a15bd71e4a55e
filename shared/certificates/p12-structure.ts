import {
  type Asn1,
  Asn1Type,
  encodeDer,
  MalformedDerError,
  parseDer,
  readChildren,
  readExplicit,
  readOctets,
  readOid,
} from './der.js';
import { algorithmName, OID } from './p12-algorithms.js';
import { notP12, unreadable, unsupportedAlgorithm } from './p12-errors.js';
import { type MacSpec, readMacData } from './p12-mac.js';
import { type PbeScheme, readPbeScheme } from './p12-pbe.js';
import { describeNonPfx, sniffPfxPrefix } from './p12-sniff.js';

/** A PFX read without the password: what is encrypted, how, and what the MAC covers. */
export interface Pfx {
  /** Content octets of the authSafe Data, the input of the MAC. */
  authSafe: Buffer;
  mac: MacSpec | undefined;
  parts: AuthSafePart[];
}

export type AuthSafePart =
  { kind: 'plain'; bags: SafeBag[] } | { kind: 'encrypted'; scheme: PbeScheme; ciphertext: Buffer };

/** The bags the gateway uses. Other bag types (CRLs, secrets, SDSI certificates) are dropped. */
export type SafeBag =
  | { kind: 'key'; der: Buffer; localKeyId: string | undefined }
  | { kind: 'shroudedKey'; scheme: PbeScheme; ciphertext: Buffer; localKeyId: string | undefined }
  | { kind: 'certificate'; der: Buffer; localKeyId: string | undefined };

/** Nesting limit for safeContentsBag, which real exports do not nest at all. */
const MAX_BAG_NESTING = 4;

/**
 * Reads the PFX structure. Throws `not_p12` for bytes that do not start like a PFX (version 3,
 * then a PKCS#7 ContentInfo), `unreadable` for a PFX that is truncated or malformed, and
 * `unsupported` for an algorithm or integrity mode the gateway cannot process.
 */
export function readPfx(bytes: Buffer): Pfx {
  const prefix = sniffPfxPrefix(bytes);
  if (prefix.kind === 'other') {
    throw notP12(describeNonPfx(bytes));
  }
  if (prefix.kind === 'truncated' || bytes.length < (prefix.declaredLength ?? 0)) {
    throw unreadable(
      'the file ends before the length its header declares, so it is probably truncated',
    );
  }

  const [, authSafeInfo, macData] = readChildren(parseDer(bytes, 'the PFX'), 'the PFX');
  const authSafe = readAuthSafeData(authSafeInfo);
  const contentInfos = readChildren(parseDer(authSafe, 'the authSafe'), 'the authSafe');

  return {
    authSafe,
    mac: macData === undefined ? undefined : readMacData(macData),
    parts: contentInfos.map((contentInfo) => readAuthSafePart(contentInfo)),
  };
}

/** Reads a DER SafeContents (SEQUENCE OF SafeBag) into the bags the gateway uses. */
export function readSafeContents(der: Buffer, depth = 0): SafeBag[] {
  if (depth > MAX_BAG_NESTING) {
    throw new MalformedDerError(`safe contents are nested more than ${MAX_BAG_NESTING} deep`);
  }
  const safeBags = readChildren(parseDer(der, 'the SafeContents'), 'the SafeContents');
  return safeBags.flatMap((safeBag) => readSafeBag(safeBag, depth));
}

function readAuthSafeData(contentInfo: Asn1 | undefined): Buffer {
  const [type, content] = readChildren(contentInfo, 'the authSafe');
  const contentType = readOid(type, 'the authSafe content type');
  if (contentType !== OID.data) {
    throw unsupportedAlgorithm(
      contentType,
      algorithmName(contentType),
      'the integrity of the file',
    );
  }
  return readOctets(readExplicit(content, 0, 'the authSafe'), 'the authSafe');
}

function readAuthSafePart(contentInfo: Asn1): AuthSafePart {
  const [type, content] = readChildren(contentInfo, 'a ContentInfo');
  const contentType = readOid(type, 'a ContentInfo type');

  if (contentType === OID.data) {
    const safeContents = readOctets(
      readExplicit(content, 0, 'a Data ContentInfo'),
      'a Data ContentInfo',
    );
    return { kind: 'plain', bags: readSafeContents(safeContents) };
  }
  if (contentType === OID.encryptedData) {
    return readEncryptedData(readExplicit(content, 0, 'an EncryptedData ContentInfo'));
  }
  throw unsupportedAlgorithm(contentType, algorithmName(contentType), 'the privacy of the file');
}

/** EncryptedData (RFC 5652 section 8) whose EncryptedContentInfo contains a SafeContents. */
function readEncryptedData(encryptedData: Asn1): AuthSafePart {
  const [, encryptedContentInfo] = readChildren(encryptedData, 'the EncryptedData');
  const [, algorithm, encryptedContent] = readChildren(
    encryptedContentInfo,
    'the EncryptedContentInfo',
  );

  return {
    kind: 'encrypted',
    scheme: readPbeScheme(algorithm, 'the encrypted contents'),
    ciphertext:
      encryptedContent === undefined
        ? Buffer.alloc(0)
        : readOctets(encryptedContent, 'the encrypted content', 0),
  };
}

function readSafeBag(safeBag: Asn1, depth: number): SafeBag[] {
  const [idNode, valueNode, attributes] = readChildren(safeBag, 'a SafeBag');
  const bagId = readOid(idNode, 'a SafeBag type');
  const value = readExplicit(valueNode, 0, 'a SafeBag value');
  const localKeyId = readLocalKeyId(attributes);

  switch (bagId) {
    case OID.keyBag:
      return [{ kind: 'key', der: encodeDer(value), localKeyId }];
    case OID.pkcs8ShroudedKeyBag: {
      const [algorithm, encrypted] = readChildren(value, 'an EncryptedPrivateKeyInfo');
      const scheme = readPbeScheme(algorithm, 'the private key');
      return [
        {
          kind: 'shroudedKey',
          scheme,
          ciphertext: readOctets(encrypted, 'the encrypted key'),
          localKeyId,
        },
      ];
    }
    case OID.certBag:
      return readCertBag(value, localKeyId);
    case OID.safeContentsBag:
      return readSafeContents(encodeDer(value), depth + 1);
    default:
      return [];
  }
}

function readCertBag(value: Asn1, localKeyId: string | undefined): SafeBag[] {
  const [certId, certValue] = readChildren(value, 'a CertBag');
  if (readOid(certId, 'a CertBag type') !== OID.x509Certificate) {
    return [];
  }
  return [
    {
      kind: 'certificate',
      der: readOctets(readExplicit(certValue, 0, 'a CertBag'), 'a CertBag'),
      localKeyId,
    },
  ];
}

/** Returns the localKeyId attribute as hex; it pairs a key bag with its certificate bag. */
function readLocalKeyId(attributes: Asn1 | undefined): string | undefined {
  if (attributes === undefined) {
    return undefined;
  }
  for (const attribute of readChildren(attributes, 'the bag attributes', Asn1Type.SET)) {
    const [oid, values] = readChildren(attribute, 'a bag attribute');
    if (readOid(oid, 'a bag attribute type') === OID.localKeyId) {
      const first = readChildren(values, 'a localKeyId', Asn1Type.SET)[0];
      return readOctets(first, 'a localKeyId').toString('hex');
    }
  }
  return undefined;
}
