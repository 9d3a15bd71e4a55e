import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

import { oauthFailure } from './errors.js';
import type { Identity, Permission } from './identity.js';
import { parseFormEncoded, percentEncode, splitRequestUrl } from './oauth1-encoding.js';
import { readProtocolParameters, safeName, type ProtocolParameters } from './oauth1-header.js';

/** The parts of an HTTP request that an OAuth 1.0a signature covers. */
export interface OAuthRequest {
  method: string;
  /** Full URL as received, `scheme://host[:port]/path?query`, with path and query still encoded. */
  url: string;
  authorizationHeader: string;
  contentType?: string;
  /** Request body as text; it is signed only for `application/x-www-form-urlencoded`. */
  body?: string;
}

/** An app key (LivePerson's "AppKey"): OAuth 1.0a client credentials and what they may do. */
export interface AppKey {
  consumerKey: string;
  consumerSecret: string;
  token: string;
  tokenSecret: string;
  accounts: string[];
  permissions: Permission[];
  /** Name of the caller in logs and audit records. @default `appkey:<consumerKey>` */
  principal?: string;
}

export interface AppKeyLookup {
  find(consumerKey: string): Promise<AppKey | undefined>;
}

export interface NonceStore {
  /**
   * Records a nonce of a consumer until `expiresAt`. Returns false when the nonce was already
   * used within the window. `timestamp` is the request's oauth_timestamp in seconds.
   */
  remember(
    consumerKey: string,
    nonce: string,
    timestamp: number,
    expiresAt: Date,
  ): Promise<boolean>;
}

export interface OAuth1VerifierOptions {
  appKeys: AppKeyLookup;
  nonces: NonceStore;
  /**
   * Maximum distance in seconds between oauth_timestamp and the server clock, either way.
   * @default 300
   */
  maxSkewSeconds?: number;
}

/**
 * Builds the signature base string of RFC 5849 section 3.4.1: the upper-case method, the base
 * string URI and the normalized parameters, each percent-encoded and joined with `&`.
 * `params` contains the decoded protocol and form body parameters, and the query parameters
 * come from `url`. A parameter named oauth_signature is left out wherever it appears.
 */
export function signatureBaseString(request: {
  method: string;
  url: string;
  params: [string, string][];
}): string {
  const { baseUri, query } = splitRequestUrl(request.url);
  const queryParams = query === undefined ? [] : parseFormEncoded(query);

  const normalized = [...queryParams, ...request.params]
    .filter(([name]) => name !== 'oauth_signature')
    .map(([name, value]) => [percentEncode(name), percentEncode(value)] as const)
    .sort(
      ([nameA, valueA], [nameB, valueB]) =>
        compareStrings(nameA, nameB) || compareStrings(valueA, valueB),
    )
    .map(([name, value]) => `${name}=${value}`)
    .join('&');

  return [request.method.toUpperCase(), baseUri, normalized].map(percentEncode).join('&');
}

/** Orders percent-encoded (ASCII) strings by byte value. */
function compareStrings(a: string, b: string): number {
  if (a === b) {
    return 0;
  }
  return a < b ? -1 : 1;
}

/** Computes the HMAC-SHA1 signature of RFC 5849 section 3.4.2, base64-encoded. */
export function computeSignature(
  baseString: string,
  consumerSecret: string,
  tokenSecret: string,
): string {
  const key = `${percentEncode(consumerSecret)}&${percentEncode(tokenSecret)}`;
  return createHmac('sha1', key).update(baseString, 'utf8').digest('base64');
}

/**
 * Compares two secrets in time independent of their content and length: both are hashed to
 * SHA-256 first, so `timingSafeEqual` always compares equal-length buffers.
 */
function constantTimeEqual(a: string, b: string): boolean {
  const digestA = createHash('sha256').update(a, 'utf8').digest();
  const digestB = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(digestA, digestB);
}

const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';
const TIMESTAMP = /^\d{1,12}$/;

/**
 * Verifies OAuth 1.0a HMAC-SHA1 requests signed with app keys (RFC 5849), with a timestamp
 * window and nonce replay protection. Every failure is a 401 GatewayError.
 */
export class OAuth1Verifier {
  readonly #appKeys: AppKeyLookup;
  readonly #nonces: NonceStore;
  readonly #maxSkewSeconds: number;

  constructor(options: OAuth1VerifierOptions) {
    const maxSkewSeconds = options.maxSkewSeconds ?? 300;
    if (!Number.isSafeInteger(maxSkewSeconds) || maxSkewSeconds <= 0) {
      throw new TypeError(`maxSkewSeconds must be a positive integer, got ${maxSkewSeconds}.`);
    }

    this.#appKeys = options.appKeys;
    this.#nonces = options.nonces;
    this.#maxSkewSeconds = maxSkewSeconds;
  }

  /**
   * Verifies the request's signature and returns the identity of its app key. The nonce is
   * recorded only after the signature matched, so unsigned requests cannot fill the nonce store.
   */
  async verify(request: OAuthRequest, now: Date = new Date()): Promise<Identity> {
    const protocol = readProtocolParameters(request.authorizationHeader);
    const bodyParams = readRequestParameters(request).body;
    const timestamp = this.#checkTimestamp(protocol.timestamp, now);

    const appKey = await this.#appKeys.find(protocol.consumerKey);
    if (!appKey) {
      throw oauthFailure(
        'auth.oauth_consumer_unknown',
        'The OAuth consumer key is not known; check the app key.',
        'consumer_key_unknown',
      );
    }

    checkSignature(request, protocol, bodyParams, appKey);

    const expiresAt = new Date((timestamp + this.#maxSkewSeconds) * 1000);
    const fresh = await this.#nonces.remember(
      appKey.consumerKey,
      protocol.nonce,
      timestamp,
      expiresAt,
    );
    if (!fresh) {
      throw oauthFailure(
        'auth.oauth_nonce_replayed',
        'The OAuth nonce was already used; send a new oauth_nonce with every request.',
        'nonce_used',
      );
    }

    return {
      principal: appKey.principal ?? `appkey:${appKey.consumerKey}`,
      accounts: [...appKey.accounts],
      permissions: [...appKey.permissions],
      authType: 'oauth1',
    };
  }

  /** Returns oauth_timestamp in seconds when it lies within the allowed skew of `now`. */
  #checkTimestamp(value: string, now: Date): number {
    if (!TIMESTAMP.test(value)) {
      throw oauthFailure(
        'auth.oauth_timestamp',
        'The OAuth parameter oauth_timestamp must be a whole number of seconds since the Unix epoch.',
        'timestamp_refused',
      );
    }

    const timestamp = Number(value);
    const nowSeconds = Math.floor(now.getTime() / 1000);
    if (Math.abs(nowSeconds - timestamp) > this.#maxSkewSeconds) {
      throw oauthFailure(
        'auth.oauth_timestamp',
        `The OAuth timestamp is more than ${this.#maxSkewSeconds} seconds away from the server clock; synchronize the client clock.`,
        'timestamp_refused',
      );
    }
    return timestamp;
  }
}

/** The decoded parameters of the query string and of a form body. */
interface RequestParameters {
  query: [string, string][];
  body: [string, string][];
}

/**
 * Decodes the query and form body parameters. Throws a 401 GatewayError when they cannot be
 * decoded or contain an `oauth_` parameter, because RFC 5849 section 3.5 puts every `oauth_`
 * parameter in one location only, and this verifier reads them from the Authorization header.
 */
function readRequestParameters(request: OAuthRequest): RequestParameters {
  let parameters: RequestParameters;
  try {
    const { query } = splitRequestUrl(request.url);
    parameters = {
      query: query === undefined ? [] : parseFormEncoded(query),
      body: isFormBody(request.contentType) ? parseFormEncoded(request.body ?? '') : [],
    };
  } catch (cause) {
    if (!(cause instanceof URIError)) {
      throw cause;
    }
    throw oauthFailure(
      'auth.oauth_signature_invalid',
      'The OAuth signature cannot be checked because the URL, query or form body is not valid percent-encoded UTF-8.',
      'signature_invalid',
      cause,
    );
  }

  const places: [string, [string, string][]][] = [
    ['query string', parameters.query],
    ['form body', parameters.body],
  ];
  for (const [place, pairs] of places) {
    const duplicate = pairs.find(([name]) => name.startsWith('oauth_'));
    if (duplicate !== undefined) {
      throw oauthFailure(
        'auth.oauth_parameters_duplicated',
        `The ${place} contains the OAuth parameter ${safeName(duplicate[0])}. Send OAuth parameters only in the Authorization header.`,
        'parameter_rejected',
      );
    }
  }
  return parameters;
}

/** Throws a 401 unless the request's token and signature match the app key. */
function checkSignature(
  request: OAuthRequest,
  protocol: ProtocolParameters,
  bodyParams: [string, string][],
  appKey: AppKey,
): void {
  const baseString = signatureBaseString({
    method: request.method,
    url: request.url,
    params: [...protocol.signed, ...bodyParams],
  });
  const expected = computeSignature(baseString, appKey.consumerSecret, appKey.tokenSecret);

  const tokenMatches = constantTimeEqual(protocol.token, appKey.token);
  const signatureMatches = constantTimeEqual(protocol.signature, expected);
  if (tokenMatches && signatureMatches) {
    return;
  }

  const reason = tokenMatches ? 'the signature differs' : 'oauth_token does not match the app key';
  throw oauthFailure(
    'auth.oauth_signature_invalid',
    'The OAuth signature is not valid.',
    'signature_invalid',
    new Error(`OAuth verification failed because ${reason}.`),
  );
}

function isFormBody(contentType: string | undefined): boolean {
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  return mediaType === FORM_CONTENT_TYPE;
}
