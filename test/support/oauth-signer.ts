import { createHmac, randomBytes } from 'node:crypto';

/**
 * An OAuth 1.0a client signer for tests, written from RFC 5849 with node:crypto alone, so that a
 * shared mistake cannot make the gateway's verifier and the tests agree.
 */

/** The four credentials of an app key, as `npm run dev-appkey` prints them. */
export interface OAuthCredentials {
  consumerKey: string;
  consumerSecret: string;
  token: string;
  tokenSecret: string;
}

export interface OAuthSignOptions {
  method: string;
  /** Absolute request URL with its query, exactly as the request sends it. */
  url: string;
  credentials: OAuthCredentials;
  /** An `application/x-www-form-urlencoded` body, whose parameters the signature covers. */
  formBody?: string;
  /** Seconds since the Unix epoch. @default now */
  timestamp?: number;
  /** @default 16 random bytes in hex */
  nonce?: string;
  /** `HMAC-SHA1`, or `HMAC-SHA256` to model a client that signs with another method. @default 'HMAC-SHA1' */
  signatureMethod?: 'HMAC-SHA1' | 'HMAC-SHA256';
  /** The optional `oauth_version` parameter, or null to leave it out. @default '1.0' */
  oauthVersion?: string | null;
  /** Protocol parameters left out of the header after signing, such as `oauth_nonce`. */
  omit?: string[];
}

export interface SignedOAuthRequest {
  /** The `Authorization` header value. */
  authorization: string;
  /** The base64 `oauth_signature`. */
  signature: string;
  baseString: string;
}

const UNRESERVED = /[A-Za-z0-9\-._~]/;

/** Percent-encodes a value per RFC 5849 section 3.6: every UTF-8 byte outside ALPHA, DIGIT and `-._~`. */
export function encodeOAuthValue(value: string): string {
  let encoded = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const char = String.fromCharCode(byte);
    encoded += UNRESERVED.test(char)
      ? char
      : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return encoded;
}

/** Decodes `application/x-www-form-urlencoded` text (RFC 5849 section 3.4.1.3.1). */
function decodeForm(text: string): [string, string][] {
  const decode = (part: string) => decodeURIComponent(part.replace(/\+/g, ' '));
  return text
    .split('&')
    .filter((pair) => pair !== '')
    .map((pair) => {
      const equals = pair.indexOf('=');
      return equals === -1
        ? [decode(pair), '']
        : [decode(pair.slice(0, equals)), decode(pair.slice(equals + 1))];
    });
}

/** Builds the base string URI (RFC 5849 section 3.4.1.2): no query, default port dropped. */
function baseStringUri(url: URL): string {
  const scheme = url.protocol.replace(/:$/, '').toLowerCase();
  const defaultPort =
    (scheme === 'http' && url.port === '80') || (scheme === 'https' && url.port === '443');
  const port = url.port === '' || defaultPort ? '' : `:${url.port}`;
  return `${scheme}://${url.hostname.toLowerCase()}${port}${url.pathname}`;
}

/** Orders encoded pairs by name, then by value, comparing bytes (RFC 5849 section 3.4.1.3.2). */
function comparePairs(
  [nameA, valueA]: [string, string],
  [nameB, valueB]: [string, string],
): number {
  if (nameA !== nameB) {
    return nameA < nameB ? -1 : 1;
  }
  if (valueA === valueB) {
    return 0;
  }
  return valueA < valueB ? -1 : 1;
}

/** Signs a request as an RFC 5849 client does and returns its `Authorization` header. */
export function signOAuthRequest(options: OAuthSignOptions): SignedOAuthRequest {
  const { credentials } = options;
  const signatureMethod = options.signatureMethod ?? 'HMAC-SHA1';
  const protocol: [string, string][] = [
    ['oauth_consumer_key', credentials.consumerKey],
    ['oauth_token', credentials.token],
    ['oauth_signature_method', signatureMethod],
    ['oauth_timestamp', String(options.timestamp ?? Math.floor(Date.now() / 1000))],
    ['oauth_nonce', options.nonce ?? randomBytes(16).toString('hex')],
  ];
  if (options.oauthVersion !== null) {
    protocol.push(['oauth_version', options.oauthVersion ?? '1.0']);
  }

  const url = new URL(options.url);
  const rawQuery = options.url.includes('?') ? options.url.slice(options.url.indexOf('?') + 1) : '';
  const parameters = [
    ...decodeForm(rawQuery.split('#')[0] ?? ''),
    ...decodeForm(options.formBody ?? ''),
    ...protocol,
  ];
  const normalized = parameters
    .map(([name, value]): [string, string] => [encodeOAuthValue(name), encodeOAuthValue(value)])
    .sort(comparePairs)
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  const baseString = [options.method.toUpperCase(), baseStringUri(url), normalized]
    .map(encodeOAuthValue)
    .join('&');

  const key = `${encodeOAuthValue(credentials.consumerSecret)}&${encodeOAuthValue(credentials.tokenSecret)}`;
  const algorithm = signatureMethod === 'HMAC-SHA1' ? 'sha1' : 'sha256';
  const signature = createHmac(algorithm, key).update(baseString, 'utf8').digest('base64');

  const omitted = new Set(options.omit ?? []);
  const headerParameters: [string, string][] = [...protocol, ['oauth_signature', signature]];
  const header = headerParameters
    .filter(([name]) => !omitted.has(name))
    .map(([name, value]) => `${name}="${encodeOAuthValue(value)}"`)
    .join(', ');
  return { authorization: `OAuth realm="mtls-gateway", ${header}`, signature, baseString };
}
