import { credentialsMissing, schemeUnsupported } from './errors.js';
import type { Identity } from './identity.js';
import type { JwtVerifier } from './jwt.js';
import type { OAuth1Verifier, OAuthRequest } from './oauth1.js';

/** A request to authenticate; the Authorization header may be absent. */
export interface AuthenticationRequest extends Omit<OAuthRequest, 'authorizationHeader'> {
  authorizationHeader?: string;
}

/** The verifiers of the accepted schemes; a scheme without one is rejected. */
export interface Verifiers {
  jwt?: JwtVerifier;
  oauth1?: OAuth1Verifier;
}

const SCHEME = /^(\S+)(?:\s+|$)/;

/**
 * Authenticates a request by the scheme of its Authorization header: `Bearer` goes to the JWT
 * verifier and `OAuth` to the OAuth 1.0a verifier. Scheme names are case-insensitive. Throws a
 * 401 GatewayError when the header is missing or names another scheme.
 */
export async function authenticate(
  request: AuthenticationRequest,
  verifiers: Verifiers,
  now: Date = new Date(),
): Promise<Identity> {
  const header = request.authorizationHeader?.trim() ?? '';
  const match = SCHEME.exec(header);
  if (!match) {
    throw credentialsMissing();
  }

  const scheme = (match[1] ?? '').toLowerCase();
  if (scheme === 'bearer' && verifiers.jwt) {
    return verifiers.jwt.verify(header.slice(match[0].length), now);
  }

  if (scheme === 'oauth' && verifiers.oauth1) {
    return verifiers.oauth1.verify({ ...request, authorizationHeader: header }, now);
  }
  throw schemeUnsupported();
}
