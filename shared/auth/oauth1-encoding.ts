/**
 * Encoding rules of OAuth 1.0a (RFC 5849): parameter percent-encoding, form-encoded parameter
 * lists and the base string URI. Decoding failures throw URIError, which the verifier turns
 * into a 401.
 */

/** Tells whether a byte is an RFC 3986 unreserved character: ALPHA, DIGIT, "-", ".", "_", "~". */
function isUnreserved(byte: number): boolean {
  const isDigit = byte >= 0x30 && byte <= 0x39;
  const isUpper = byte >= 0x41 && byte <= 0x5a;
  const isLower = byte >= 0x61 && byte <= 0x7a;
  return (
    isDigit ||
    isUpper ||
    isLower ||
    byte === 0x2d ||
    byte === 0x2e ||
    byte === 0x5f ||
    byte === 0x7e
  );
}

/**
 * Percent-encodes a value as RFC 5849 section 3.6 requires: the UTF-8 bytes, with every byte
 * outside the unreserved set written as `%XX` in upper-case hexadecimal.
 */
export function percentEncode(value: string): string {
  let encoded = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    encoded += isUnreserved(byte)
      ? String.fromCharCode(byte)
      : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return encoded;
}

/** Decodes one name or value of `application/x-www-form-urlencoded` text, where `+` is a space. */
function decodeFormComponent(value: string): string {
  return decodeURIComponent(value.replaceAll('+', ' '));
}

/**
 * Parses `application/x-www-form-urlencoded` text, such as a query string or a form body, into
 * decoded name and value pairs in their original order. A name without `=` gets an empty value.
 * Throws URIError on a malformed percent sequence or bytes that are not UTF-8.
 */
export function parseFormEncoded(text: string): [string, string][] {
  const pairs: [string, string][] = [];
  for (const part of text.split('&')) {
    if (part === '') {
      continue;
    }

    const separator = part.indexOf('=');
    const name = separator === -1 ? part : part.slice(0, separator);
    const value = separator === -1 ? '' : part.slice(separator + 1);
    pairs.push([decodeFormComponent(name), decodeFormComponent(value)]);
  }
  return pairs;
}

const ABSOLUTE_URL = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?/;
const DEFAULT_PORTS: Record<string, string> = { http: '80', https: '443' };

/** The parts of a request URL that RFC 5849 section 3.4.1 signs separately. */
export interface SplitUrl {
  /** Base string URI: lower-case scheme and host, default port dropped, path, no query. */
  baseUri: string;
  /** Raw query string after `?`, still encoded; undefined when the URL has none. */
  query: string | undefined;
}

/**
 * Splits a full request URL (`scheme://host[:port]/path?query`) into the RFC 5849 base string
 * URI and the raw query. The path is kept as received, so client and gateway must see the same
 * encoding of it. Throws URIError when the URL is not absolute or carries user information.
 */
export function splitRequestUrl(url: string): SplitUrl {
  const parts = ABSOLUTE_URL.exec(url);
  if (!parts) {
    throw new URIError('The request URL is not absolute.');
  }

  const [, rawScheme = '', authority = '', path = ''] = parts;
  const query: string | undefined = parts[4];
  if (authority.includes('@') || authority === '') {
    throw new URIError('The request URL must have a host and no user information.');
  }

  const scheme = rawScheme.toLowerCase();
  const { host, port } = splitAuthority(authority);
  const keepPort = port !== '' && port !== DEFAULT_PORTS[scheme];
  const baseUri = `${scheme}://${host.toLowerCase()}${keepPort ? `:${port}` : ''}${path || '/'}`;
  return { baseUri, query };
}

/** Splits `host[:port]`, where host may be a bracketed IPv6 literal. */
function splitAuthority(authority: string): { host: string; port: string } {
  const portStart = authority.lastIndexOf(':');
  const bracketEnd = authority.lastIndexOf(']');
  if (portStart === -1 || portStart < bracketEnd) {
    return { host: authority, port: '' };
  }

  const port = authority.slice(portStart + 1);
  if (!/^\d*$/.test(port)) {
    throw new URIError('The request URL has a port that is not a number.');
  }
  return { host: authority.slice(0, portStart), port };
}
