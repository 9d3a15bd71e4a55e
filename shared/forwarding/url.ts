import { invalidField } from '../errors.js';

/** Maximum length of a target URL in characters, checked before parsing. */
export const MAX_URL_LENGTH = 2048;

const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/** C0 and C1 control characters, DEL and the space, which a URL carries only percent-encoded. */
const RAW_CONTROL_OR_SPACE = /[\u0000-\u0020\u007f-\u009f]/;

/** Scheme followed by `//` and a first host character, as in `https://host`. */
const SCHEME_AND_AUTHORITY = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/\\?#]/;

/** DNS limits of RFC 1035: 63 octets per label, 253 characters for the dotted name. */
const MAX_LABEL_LENGTH = 63;
const MAX_HOST_NAME_LENGTH = 253;

/**
 * Normalizes a URL into the form used as the mapping key and for runtime matching.
 *
 * The WHATWG URL parser lower-cases the scheme and host, converts IDN hosts to punycode,
 * canonicalizes IP literals (`0x7f000001` becomes `127.0.0.1`, `[0:0::1]` becomes `[::1]`),
 * drops the default port, resolves dot segments and turns an empty path into `/`. This
 * function then drops the user name, password, query string and fragment, decodes
 * percent-escapes of unreserved characters and upper-cases the hex digits of the others.
 * A trailing slash is kept, so `/a` and `/a/` stay different keys.
 *
 * @throws GatewayError 400 `forward.url_invalid` on the field `url` when `raw` is not an
 * absolute URL.
 */
export function normalizeUrl(raw: string): string {
  const url = URL.parse(raw);
  if (url === null) {
    throw invalidField('forward.url_invalid', 'url', 'is not an absolute URL.');
  }

  const path = normalizePercentEncoding(url.pathname);
  return `${url.protocol}//${url.host}${path}`;
}

function normalizePercentEncoding(path: string): string {
  return path.replace(/%([0-9A-Fa-f]{2})/g, (_escape, hex: string) => {
    const character = String.fromCharCode(Number.parseInt(hex, 16));
    return UNRESERVED.test(character) ? character : `%${hex.toUpperCase()}`;
  });
}

export interface ParseTargetUrlOptions {
  /** Accepts `http:` targets as well as `https:`. @default false */
  allowHttp?: boolean;
}

/**
 * Validates a target URL: present, at most {@link MAX_URL_LENGTH} characters, absolute,
 * `https` (or `http` when `allowHttp` is set) and without user name or password.
 *
 * Messages never repeat the URL, because a rejected URL may carry credentials.
 *
 * @param field Name of the request field or header that carried the URL, used in the error.
 * @throws GatewayError 400 with code `forward.url_missing`, `forward.url_too_long`,
 * `forward.url_invalid`, `forward.url_scheme` or `forward.url_userinfo`.
 */
export function parseTargetUrl(
  raw: string | undefined,
  field: string,
  options: ParseTargetUrlOptions = {},
): URL {
  if (raw === undefined || raw.trim() === '') {
    const message = 'is missing. Send the absolute https URL of the target.';
    throw invalidField('forward.url_missing', field, message);
  }

  if (raw.length > MAX_URL_LENGTH) {
    const message = `is ${raw.length} characters long, more than the maximum of ${MAX_URL_LENGTH}.`;
    throw invalidField('forward.url_too_long', field, message);
  }

  const trimmed = raw.trim();
  if (RAW_CONTROL_OR_SPACE.test(trimmed)) {
    const message = 'contains control characters or spaces. Percent-encode them, as in %20.';
    throw invalidField('forward.url_invalid', field, message);
  }

  const url = URL.parse(trimmed);
  const invalidMessage =
    'is not an absolute URL. Send scheme, host and path, as in https://host/path.';
  if (url === null) {
    throw invalidField('forward.url_invalid', field, invalidMessage);
  }

  const schemes = options.allowHttp === true ? ['https:', 'http:'] : ['https:'];
  if (!schemes.includes(url.protocol)) {
    const expected = options.allowHttp === true ? 'https or http' : 'https';
    const scheme = url.protocol.slice(0, -1);
    const message = `has the scheme ${scheme}, but only ${expected} is accepted.`;
    throw invalidField('forward.url_scheme', field, message);
  }

  // URL.parse reads `https:///x` and `https:x` as host `x`, which the caller did not write.
  if (!SCHEME_AND_AUTHORITY.test(trimmed)) {
    throw invalidField('forward.url_invalid', field, invalidMessage);
  }

  if (url.username !== '' || url.password !== '') {
    const message = 'must not contain a user name or password. Send credentials in a header.';
    throw invalidField('forward.url_userinfo', field, message);
  }

  if (url.port === '0') {
    throw invalidField('forward.url_invalid', field, 'has port 0. Use a port from 1 to 65535.');
  }

  if (!url.hostname.startsWith('[') && !isValidHostName(url.hostname)) {
    const message = `has a host name with a label over ${MAX_LABEL_LENGTH} or a total over ${MAX_HOST_NAME_LENGTH} characters.`;
    throw invalidField('forward.url_invalid', field, message);
  }

  return url;
}

function isValidHostName(hostname: string): boolean {
  const name = hostname.endsWith('.') ? hostname.slice(0, -1) : hostname;
  return (
    name.length <= MAX_HOST_NAME_LENGTH &&
    name.split('.').every((label) => label.length <= MAX_LABEL_LENGTH)
  );
}
