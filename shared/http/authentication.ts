import { authenticate, type Verifiers } from '../auth/authenticate.js';
import type { Identity } from '../auth/identity.js';
import { JwtVerifier, loadOrCreateLocalSigningKey } from '../auth/jwt.js';
import { OAuth1Verifier } from '../auth/oauth1.js';
import { loadConfig } from '../config.js';
import { GatewayError } from '../errors.js';
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
 * in the SQL store.
 */
async function buildVerifiers(): Promise<Verifiers> {
  const { sql, secrets } = await getDependencies();
  const { issuer, audience } = tokenSettings();
  const jwksUrl = process.env.MTLS_JWKS_URL || undefined;
  const localPublicKey = jwksUrl
    ? undefined
    : (await loadOrCreateLocalSigningKey(loadConfig().dataDir)).publicJwk;
  const algorithms = process.env.MTLS_JWT_ALGORITHMS?.split(',').map((name) => name.trim());

  return {
    jwt: new JwtVerifier({
      issuer,
      audience,
      jwksUrl,
      localPublicKey,
      ...(algorithms ? { algorithms } : {}),
    }),
    oauth1: new OAuth1Verifier({
      appKeys: new SecretAppKeyStore(secrets),
      nonces: new SqlNonceStore(sql),
    }),
  };
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

/** Authenticates an API Gateway event with a Bearer JWT or an OAuth 1.0a signature. */
export async function authenticateEvent(event: ApiEvent): Promise<Identity> {
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
