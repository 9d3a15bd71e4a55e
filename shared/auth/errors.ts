import { GatewayError } from '../errors.js';

/** Realm named in every `WWW-Authenticate` challenge of the gateway. */
export const REALM = 'mtls-gateway';

const BEARER_CHALLENGE = `Bearer realm="${REALM}"`;
const OAUTH_CHALLENGE = `OAuth realm="${REALM}"`;

export type BearerErrorCode = 'auth.token_invalid' | 'auth.token_expired';

export type OAuthErrorCode =
  | 'auth.oauth_header_invalid'
  | 'auth.oauth_parameter_missing'
  | 'auth.oauth_signature_method'
  | 'auth.oauth_consumer_unknown'
  | 'auth.oauth_timestamp'
  | 'auth.oauth_nonce_replayed'
  | 'auth.oauth_signature_invalid'
  | 'auth.oauth_parameters_duplicated';

/** Builds the 401 for a request without credentials; it offers both schemes. */
export function credentialsMissing(): GatewayError {
  return new GatewayError(
    'auth.missing',
    401,
    'The request has no credentials; send an Authorization header with a Bearer token or an OAuth 1.0a signature.',
    { headers: { 'WWW-Authenticate': `${BEARER_CHALLENGE}, ${OAUTH_CHALLENGE}` } },
  );
}

/**
 * Builds the 401 for an Authorization header whose scheme the gateway does not accept. The
 * header value is not repeated, because a client may have sent a bare secret.
 */
export function schemeUnsupported(): GatewayError {
  return new GatewayError(
    'auth.scheme_unsupported',
    401,
    'The Authorization header uses an unsupported scheme; use Bearer or OAuth.',
    { headers: { 'WWW-Authenticate': `${BEARER_CHALLENGE}, ${OAUTH_CHALLENGE}` } },
  );
}

/**
 * Builds the 401 for a rejected Bearer token, with the RFC 6750 `invalid_token` challenge.
 * The client sees `message` and the challenge's description, so both stay vague. `cause`
 * contains the precise reason for the logs and must not contain the token.
 */
export function bearerFailure(
  code: BearerErrorCode,
  message: string,
  cause?: unknown,
): GatewayError {
  const description =
    code === 'auth.token_expired' ? 'The token expired' : 'The token is not valid';
  const challenge = `${BEARER_CHALLENGE}, error="invalid_token", error_description="${description}"`;
  return new GatewayError(code, 401, message, {
    headers: { 'WWW-Authenticate': challenge },
    cause,
  });
}

/**
 * Builds the 401 for a rejected OAuth 1.0a request. `problem` is the `oauth_problem` value of
 * the OAuth Problem Reporting extension, such as `signature_invalid` or `timestamp_refused`.
 */
export function oauthFailure(
  code: OAuthErrorCode,
  message: string,
  problem: string,
  cause?: unknown,
): GatewayError {
  const challenge = `${OAUTH_CHALLENGE}, oauth_problem="${problem}"`;
  return new GatewayError(code, 401, message, {
    headers: { 'WWW-Authenticate': challenge },
    cause,
  });
}

/**
 * Builds the 503 for an app key that the secret store could not read, such as one sealed with
 * another MTLS_LOCAL_SECRET_KEY. The caller's credentials may be valid, so this is no 401.
 */
export function appKeyStoreUnavailable(cause?: unknown): GatewayError {
  return new GatewayError(
    'auth.appkey_store_unavailable',
    503,
    "The app key store could not be read; retry later or check the gateway's secret key.",
    { cause },
  );
}
