import { authenticate, type Verifiers } from '../auth/authenticate.js';
import type { Identity } from '../auth/identity.js';
import { JwtOptionError, JwtVerifier, loadOrCreateLocalSigningKey } from '../auth/jwt.js';
import { OAuth1Verifier } from '../auth/oauth1.js';
import { loadConfig } from '../config.js';
import { GatewayError, invalidField } from '../errors.js';
import { logger } from '../logger.js';
import { getDependencies } from '../runtime/dependencies.js';
import { SecretAppKeyStore } from '../secrets/app-keys.js';
import { SqlNonceStore } from '../store/nonces.js';
import type { ApiEvent } from './types.js';

/** Issuer and audience of tokens, shared by the verifier and `npm run dev-token`. */
export function tokenSettings(): { issuer: string; audience: string } {
  return {
    issuer: process.env.MTLS_JWT_ISSUER ?? 'mtls-gateway-local',
    audience: process.env.MTLS_JWT_AUDIENCE ?? 'mtls-gateway',
  };
}

let verifiers: Promise<Verifiers> | undefined;

/**
 * Builds the verifiers once per process: JWTs against MTLS_JWKS_URL or, without it, the local
 * signing key under the data directory; OAuth 1.0a app keys from the secret store with nonces
 * in the SQL store. The JWT settings are checked before the dependencies open, and an invalid
 * one throws an Error that names the variable.
 */
async function buildVerifiers(): Promise<Verifiers> {
  const { issuer, audience } = tokenSettings();
  checkTokenSetting('MTLS_JWT_ISSUER', issuer);
  checkTokenSetting('MTLS_JWT_AUDIENCE', audience);
  const jwksUrl = readJwksUrl();
  const algorithms = readAlgorithms();

  const { sql, secrets } = await getDependencies();
  const localPublicKey = jwksUrl
    ? undefined
    : (await loadOrCreateLocalSigningKey(loadConfig().dataDir)).publicJwk;

  let jwt: JwtVerifier;
  try {
    jwt = new JwtVerifier({
      issuer,
      audience,
      jwksUrl,
      localPublicKey,
      ...(algorithms ? { algorithms } : {}),
    });
  } catch (error) {
    if (error instanceof JwtOptionError && error.option === 'algorithms') {
      throw new Error(
        `Invalid MTLS_JWT_ALGORITHMS=${process.env.MTLS_JWT_ALGORITHMS}: ${error.message}`,
      );
    }
    throw error;
  }

  return {
    jwt,
    oauth1: new OAuth1Verifier({
      appKeys: new SecretAppKeyStore(secrets),
      nonces: new SqlNonceStore(sql),
    }),
  };
}

/**
 * Builds the verifiers now, unless they are built already, and caches them for
 * authenticateEvent. The local gateway calls this at start, so an invalid JWT setting stops
 * the start instead of failing every request with a 500.
 */
export function prepareVerifiers(): Promise<Verifiers> {
  verifiers ??= buildVerifiers();
  return verifiers;
}

function checkTokenSetting(name: string, value: string): void {
  if (value.trim() === '') {
    throw new Error(
      `Invalid ${name}: expected a non-empty value, or leave it unset for the default.`,
    );
  }
}

/** Reads MTLS_JWKS_URL, which must be an absolute https URL. Returns undefined when unset. */
function readJwksUrl(): string | undefined {
  const raw = process.env.MTLS_JWKS_URL;
  if (!raw) {
    return undefined;
  }

  if (!URL.canParse(raw) || new URL(raw).protocol !== 'https:') {
    throw new Error(
      `Invalid MTLS_JWKS_URL=${raw}: expected an absolute https URL, such as https://idp.example.com/.well-known/jwks.json.`,
    );
  }
  return raw;
}

/** Reads MTLS_JWT_ALGORITHMS, a comma-separated list. Returns undefined when unset or empty. */
function readAlgorithms(): string[] | undefined {
  const raw = process.env.MTLS_JWT_ALGORITHMS;
  if (raw === undefined || raw.trim() === '') {
    return undefined;
  }

  const algorithms = raw.split(',').map((name) => name.trim());
  if (algorithms.some((name) => name === '')) {
    throw new Error(
      `Invalid MTLS_JWT_ALGORITHMS=${raw}: expected a comma-separated list of asymmetric algorithms, such as RS256,ES256.`,
    );
  }
  return algorithms;
}

/** Forgets the verifiers, so that the next request builds them from the current settings. */
export function resetVerifiers(): void {
  verifiers = undefined;
}

/**
 * Rebuilds the URL the client signed: the scheme from X-Forwarded-Proto (API Gateway sets
 * https), the Host header, and the path as requested, stage prefix included.
 */
function requestUrl(event: ApiEvent, header: (name: string) => string | undefined): string {
  const scheme = header('x-forwarded-proto')?.split(',')[0]?.trim() || 'http';
  const host = header('host') ?? 'localhost';
  const path = event.requestContext?.path ?? event.path;

  const query = new URLSearchParams();
  for (const [name, values] of Object.entries(event.multiValueQueryStringParameters ?? {})) {
    for (const value of values ?? []) {
      query.append(name, value);
    }
  }
  const search = query.toString();
  return `${scheme}://${host}${path}${search ? `?${search}` : ''}`;
}

/** Returns the body as text when it is a form, the only body that OAuth 1.0a signs. */
function formBodyOf(event: ApiEvent, contentType: string | undefined): string | undefined {
  if (!contentType?.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    return undefined;
  }

  const rawBody = event.body ?? '';
  return event.isBase64Encoded ? Buffer.from(rawBody, 'base64').toString('utf8') : rawBody;
}

/**
 * Authenticates an API Gateway event with a Bearer JWT or an OAuth 1.0a signature. A repeated
 * Authorization header is a 400 before any check, because a proxy that reads the first value
 * and this gateway, which would read the last, could then disagree on the caller.
 */
export async function authenticateEvent(event: ApiEvent): Promise<Identity> {
  const authorizationCount = headerValueCount(event, 'authorization');
  if (authorizationCount > 1) {
    throw invalidField(
      'request.header_repeated',
      'header:Authorization',
      `is sent more than once (${authorizationCount} times). Send it once.`,
    );
  }

  verifiers ??= buildVerifiers();
  const header = (name: string): string | undefined => {
    const entry = Object.entries(event.headers ?? {}).find(([key]) => key.toLowerCase() === name);
    return entry?.[1] ?? undefined;
  };

  const contentType = header('content-type');
  const body = formBodyOf(event, contentType);

  try {
    return await authenticate(
      {
        method: event.httpMethod,
        url: requestUrl(event, header),
        authorizationHeader: header('authorization'),
        contentType,
        body,
      },
      await verifiers,
    );
  } catch (error) {
    logRejection(event, error);
    throw error;
  }
}

/** Counts the values of a header in the event, with `name` in lower case. */
function headerValueCount(event: ApiEvent, name: string): number {
  let count = 0;
  for (const [key, values] of Object.entries(event.multiValueHeaders ?? {})) {
    if (key.toLowerCase() === name) {
      count += values?.length ?? 0;
    }
  }
  if (count > 0) {
    return count;
  }

  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === name && value !== undefined && value !== null) {
      count += 1;
    }
  }
  return count;
}

/**
 * Logs why a request was rejected as unauthenticated, because the 401 gives the client only a
 * vague reason. The cause names the failed check and contains no credentials.
 */
function logRejection(event: ApiEvent, error: unknown): void {
  if (!(error instanceof GatewayError) || error.status !== 401) {
    return;
  }

  logger.warn('Authentication failed', {
    requestId: event.requestContext?.requestId,
    code: error.code,
    reason: error.cause instanceof Error ? error.cause.message : error.message,
  });
}
