/** Upload field that a p12 failure concerns. The caller maps it to its own field name. */
export type P12Field = 'file' | 'password';

/**
 * A rejected p12, before it is turned into a 400 GatewayError that names the request field.
 * Messages are shown to the client: they never contain the password or bytes of the file.
 */
export class P12Failure extends Error {
  override readonly name = 'P12Failure';

  constructor(
    readonly code: string,
    readonly field: P12Field,
    message: string,
  ) {
    super(message);
  }
}

const EXPORT_HINT = 'export the certificate and key as .p12/.pfx';

export function fileTooLarge(size: number, maxBytes: number): P12Failure {
  return new P12Failure(
    'certificate.too_large',
    'file',
    `is ${size} bytes, more than the maximum of ${maxBytes} bytes; upload only the client certificate, its key and its chain.`,
  );
}

/** `form` names what the bytes look like, when that helps the client fix the upload. */
export function notP12(form?: 'empty' | 'pem' | 'base64'): P12Failure {
  const messages = {
    empty: `is empty; ${EXPORT_HINT} and upload that file.`,
    pem: `is PEM text, not a PKCS#12 file; ${EXPORT_HINT} (for example with openssl pkcs12 -export).`,
    base64:
      'is base64 text; upload the binary .p12/.pfx file, or send the base64 text as the p12 of a JSON upload.',
    other: `is not a PKCS#12 file; ${EXPORT_HINT}.`,
  };
  return new P12Failure('certificate.not_p12', 'file', messages[form ?? 'other']);
}

export function unreadable(reason: string): P12Failure {
  return new P12Failure(
    'certificate.unreadable',
    'file',
    `is not a readable PKCS#12 file (${reason}); export it again and upload the complete file.`,
  );
}

export function passwordInvalid(): P12Failure {
  return new P12Failure(
    'certificate.password_invalid',
    'password',
    'does not open this PKCS#12 file; send the password it was exported with ("" if it was exported with an empty password).',
  );
}

/** `part` names the part of the file that uses the count, such as "the MAC". */
export function iterationsTooHigh(
  part: string,
  iterations: number,
  maxIterations: number,
): P12Failure {
  return new P12Failure(
    'certificate.iterations_too_high',
    'file',
    `uses ${iterations} key-derivation iterations for ${part}, more than the maximum of ${maxIterations}; export it again with fewer iterations (openssl pkcs12 -export -iter 2048).`,
  );
}

export function totalIterationsTooHigh(total: number, maxTotal: number): P12Failure {
  return new P12Failure(
    'certificate.iterations_too_high',
    'file',
    `needs ${total} key-derivation iterations across its encrypted parts, more than the maximum of ${maxTotal}; export it again with fewer encrypted parts or fewer iterations.`,
  );
}

export function keyMismatch(): P12Failure {
  return new P12Failure(
    'certificate.key_mismatch',
    'file',
    'the private key does not match the certificate; export the certificate together with its own private key.',
  );
}

export function keyMissing(): P12Failure {
  return new P12Failure(
    'certificate.key_missing',
    'file',
    'contains no private key; export the client certificate together with its private key.',
  );
}

export function multipleKeys(count: number): P12Failure {
  return new P12Failure(
    'certificate.multiple_keys',
    'file',
    `contains ${count} private keys; export one client certificate with its one private key.`,
  );
}

export function certificateMissing(): P12Failure {
  return new P12Failure(
    'certificate.certificate_missing',
    'file',
    'contains a private key but no certificate; export the certificate together with its key.',
  );
}

/** `use` names the algorithm's purpose in the file, such as "encryption" or "the MAC". */
export function unsupportedAlgorithm(
  oid: string,
  name: string | undefined,
  use: string,
): P12Failure {
  const algorithm = name === undefined ? `OID ${oid}` : `${name} (OID ${oid})`;
  return new P12Failure(
    'certificate.unsupported',
    'file',
    `uses ${algorithm} for ${use}, which the gateway does not support; export it again with the OpenSSL 3 defaults (AES-256-CBC, PBKDF2 and a SHA-256 MAC).`,
  );
}
