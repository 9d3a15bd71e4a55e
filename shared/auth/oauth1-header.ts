import { credentialsMissing, oauthFailure, schemeUnsupported } from './errors.js';

/** The protocol parameters of an OAuth 1.0a `Authorization` header, decoded. */
export interface ProtocolParameters {
  consumerKey: string;
  token: string;
  signatureMethod: string;
  timestamp: string;
  nonce: string;
  signature: string;
  /** Header parameters that enter the signature base string: all except realm and the signature. */
  signed: [string, string][];
}

const REQUIRED = [
  'oauth_consumer_key',
  'oauth_token',
  'oauth_signature_method',
  'oauth_timestamp',
  'oauth_nonce',
  'oauth_signature',
] as const;

/** Upper bound of oauth_nonce, so one request cannot store an arbitrarily large nonce. */
const MAX_NONCE_LENGTH = 256;

const SCHEME = /^OAuth(?:\s+|$)/i;
const SEPARATORS = /[\s,]*/y;
const PARAMETER = /([^\s=,"]+)[ \t]*=[ \t]*"([^"]*)"(?=[\s,]|$)/y;

/**
 * Reads the protocol parameters of an `Authorization: OAuth ...` header (RFC 5849 section
 * 3.5.1) and checks that each required one is present, oauth_version is 1.0 when given, and the
 * signature method is HMAC-SHA1. Throws a 401 GatewayError naming the parameter otherwise.
 */
export function readProtocolParameters(authorizationHeader: string): ProtocolParameters {
  const header = authorizationHeader.trim();
  if (header === '') {
    throw credentialsMissing();
  }

  const scheme = SCHEME.exec(header);
  if (!scheme) {
    throw schemeUnsupported();
  }

  const values = collectParameters(header.slice(scheme[0].length));
  checkParameters(values);

  const signed = [...values].filter(([name]) => name !== 'realm' && name !== 'oauth_signature');
  return {
    consumerKey: values.get('oauth_consumer_key') ?? '',
    token: values.get('oauth_token') ?? '',
    signatureMethod: values.get('oauth_signature_method') ?? '',
    timestamp: values.get('oauth_timestamp') ?? '',
    nonce: values.get('oauth_nonce') ?? '',
    signature: values.get('oauth_signature') ?? '',
    signed,
  };
}

/** Parses the comma-separated `name="value"` list after the scheme and percent-decodes it. */
function collectParameters(text: string): Map<string, string> {
  const values = new Map<string, string>();
  let position = 0;
  while (position < text.length) {
    SEPARATORS.lastIndex = position;
    SEPARATORS.exec(text);
    position = SEPARATORS.lastIndex;
    if (position >= text.length) {
      break;
    }

    PARAMETER.lastIndex = position;
    const match = PARAMETER.exec(text);
    if (!match) {
      throw headerInvalid(
        'The OAuth Authorization header is malformed; send name="value" pairs separated by commas.',
      );
    }

    const name = decodeHeaderComponent(match[1] ?? '');
    if (values.has(name)) {
      throw headerInvalid(`The OAuth parameter ${safeName(name)} appears more than once.`);
    }
    values.set(name, decodeHeaderComponent(match[2] ?? ''));
    position = PARAMETER.lastIndex;
  }
  return values;
}

function decodeHeaderComponent(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch (cause) {
    throw headerInvalid(
      'The OAuth Authorization header has a value that is not percent-encoded UTF-8.',
      cause,
    );
  }
}

function checkParameters(values: Map<string, string>): void {
  for (const name of REQUIRED) {
    if (!values.get(name)) {
      throw oauthFailure(
        'auth.oauth_parameter_missing',
        `The OAuth parameter ${name} is missing from the Authorization header.`,
        'parameter_absent',
      );
    }
  }

  const version = values.get('oauth_version');
  if (version !== undefined && version !== '1.0') {
    throw oauthFailure(
      'auth.oauth_header_invalid',
      'The OAuth parameter oauth_version must be 1.0 when present.',
      'version_rejected',
    );
  }

  if ((values.get('oauth_nonce') ?? '').length > MAX_NONCE_LENGTH) {
    throw headerInvalid(`The OAuth parameter oauth_nonce exceeds ${MAX_NONCE_LENGTH} characters.`);
  }

  const method = values.get('oauth_signature_method') ?? '';
  if (method !== 'HMAC-SHA1') {
    throw oauthFailure(
      'auth.oauth_signature_method',
      `The OAuth signature method ${safeName(method)} is not accepted; sign with HMAC-SHA1.`,
      'signature_method_rejected',
    );
  }
}

function headerInvalid(message: string, cause?: unknown) {
  return oauthFailure('auth.oauth_header_invalid', message, 'parameter_rejected', cause);
}

/** Returns a client-supplied name for a message when it is short and plain, else a placeholder. */
export function safeName(name: string): string {
  return /^[A-Za-z0-9_.-]{1,40}$/.test(name) ? name : '(unprintable)';
}
