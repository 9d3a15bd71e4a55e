import { invalidField } from '../errors.js';
import { selectLeaf } from './chain.js';
import { MalformedDerError } from './der.js';
import { describeLeaf } from './details.js';
import { openContents } from './p12-contents.js';
import {
  fileTooLarge,
  keyMismatch,
  P12Failure,
  passwordInvalid,
  unreadable,
} from './p12-errors.js';
import { passwordForms } from './p12-kdf.js';
import { checkIterations, IterationBudget } from './p12-limits.js';
import { findMacPassword } from './p12-mac.js';
import { type Pfx, readPfx } from './p12-structure.js';

export { describeCertificates } from './details.js';

/** PEM key, leaf and chain for TLS. The secret store keeps this instead of the p12. */
export interface CertificateMaterial {
  /** PKCS#8 PEM (`BEGIN PRIVATE KEY`), usable as `key` by node:tls. */
  privateKeyPem: string;
  leafPem: string;
  /** The other certificates, ordered from the leaf's issuer upwards. */
  chainPem: string[];
}

/** Public details of the leaf certificate. */
export interface CertificateDetails {
  notBefore: Date;
  notAfter: Date;
  /** RFC 4514 order, most specific first: `CN=client.example.test, O=Example, C=DE`. */
  subject: string;
  issuer: string;
  /** Lowercase hex without colons. */
  serialNumber: string;
  /** Lowercase hex SHA-256 of the leaf's DER, without colons. */
  fingerprintSha256: string;
  /** `RSA-2048`, `RSA-4096`, `EC-P256`, `EC-P384`, `Ed25519`, ... */
  keyType: string;
  /** 1 + the number of chain certificates. */
  chainLength: number;
}

export interface ParsedP12 {
  material: CertificateMaterial;
  details: CertificateDetails;
}

export interface P12Limits {
  /** Largest accepted file, in bytes. */
  maxBytes: number;
  /** Largest accepted iteration count of any MAC or key derivation in the file. */
  maxIterations: number;
}

/** Request field names that errors point at, such as `[2].p12` in a JSON batch. */
export interface P12FieldNames {
  file: string;
  password: string;
}

const DEFAULT_FIELD_NAMES: P12FieldNames = { file: 'p12', password: 'password' };

/**
 * Opens a PKCS#12 file (`.p12`/`.pfx`) and returns its private key, leaf and chain as PEM with
 * the leaf's details. node-forge decodes the ASN.1; node:crypto derives keys, decrypts and
 * checks the MAC, because its PBKDF2 is native and node-forge's JavaScript PBKDF2 takes seconds
 * at high iteration counts and hashes non-ASCII PBES2 passwords as Latin-1 rather than UTF-8.
 * Expiry is not checked here.
 *
 * @throws GatewayError 400 whose field error names `fields.file` or `fields.password`, with a
 *   code such as `certificate.password_invalid` or `certificate.key_mismatch`.
 */
export function parseP12(
  bytes: Uint8Array,
  password: string,
  limits: P12Limits,
  fields: P12FieldNames = DEFAULT_FIELD_NAMES,
): ParsedP12 {
  try {
    return openP12(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), password, limits);
  } catch (error) {
    if (error instanceof P12Failure) {
      throw invalidField(error.code, fields[error.field], error.message);
    }
    throw error;
  }
}

function openP12(bytes: Buffer, password: string, limits: P12Limits): ParsedP12 {
  if (bytes.length > limits.maxBytes) {
    throw fileTooLarge(bytes.length, limits.maxBytes);
  }

  // 1. Read the structure and charge every derivation it shows, before deriving any key.
  const pfx = readStructure(bytes);
  const candidates = passwordForms(password);
  const budget = new IterationBudget(limits.maxIterations);
  checkIterations(pfx, budget, candidates.length);

  // 2. Verify the MAC, which also shows the password encoding that the producer used.
  const passwordForm =
    pfx.mac === undefined ? candidates[0] : findMacPassword(pfx.mac, pfx.authSafe, candidates);
  if (passwordForm === undefined) {
    throw passwordInvalid();
  }

  // 3. Decrypt the encrypted parts and the one private key.
  const contents = openContents(pfx, passwordForm, budget);

  // 4. Find the leaf by its key and order the chain.
  const ordered = selectLeaf(contents.key, contents.keyLocalId, contents.certificates);
  if (ordered === undefined) {
    throw keyMismatch();
  }

  return {
    material: {
      privateKeyPem: contents.key.export({ type: 'pkcs8', format: 'pem' }).toString(),
      leafPem: ordered.leaf.toString(),
      chainPem: ordered.chain.map((certificate) => certificate.toString()),
    },
    details: describeLeaf(ordered.leaf, ordered.chain.length),
  };
}

function readStructure(bytes: Buffer): Pfx {
  try {
    return readPfx(bytes);
  } catch (error) {
    if (error instanceof MalformedDerError) {
      throw unreadable(error.message);
    }
    throw error;
  }
}
