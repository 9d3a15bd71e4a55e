import { createHmac, generateKeyPairSync } from 'node:crypto';

import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';

import { authenticate, type AuthenticationRequest } from '../../shared/auth/authenticate.js';
import { JwtVerifier } from '../../shared/auth/jwt.js';
import { OAuth1Verifier, type AppKey } from '../../shared/auth/oauth1.js';
import { rejectionOf } from '../support/errors.js';

const NOW = new Date('2030-01-01T00:00:00Z');
const NOW_SECONDS = NOW.getTime() / 1000;
const URL_TEXT = 'https://127.0.0.1:8443/mtls/account/123/certificates';

const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const APP_KEY: AppKey = {
  consumerKey: 'ck',
  consumerSecret: 'cs',
  token: 'tk',
  tokenSecret: 'ts',
  accounts: ['123'],
  permissions: ['mtls.read'],
};

const jwt = new JwtVerifier({ issuer: 'iss', audience: 'aud', localPublicKey: ec.publicKey });
const oauth1 = new OAuth1Verifier({
  appKeys: {
    find: async (consumerKey) => (consumerKey === APP_KEY.consumerKey ? APP_KEY : undefined),
  },
  nonces: { remember: async () => true },
});

async function bearerToken(): Promise<string> {
  return new SignJWT({ sub: 'alice', accounts: ['123'], permissions: ['mtls.write'] })
    .setProtectedHeader({ alg: 'ES256' })
    .setIssuer('iss')
    .setAudience('aud')
    .setExpirationTime(NOW_SECONDS + 600)
    .sign(ec.privateKey);
}

/** Signs a GET without query with RFC 5849's rules; only protocol parameters are signed. */
function oauthHeader(): string {
  const params: [string, string][] = [
    ['oauth_consumer_key', 'ck'],
    ['oauth_nonce', 'n1'],
    ['oauth_signature_method', 'HMAC-SHA1'],
    ['oauth_timestamp', String(NOW_SECONDS)],
    ['oauth_token', 'tk'],
  ];
  const normalized = params.map(([name, value]) => `${name}=${value}`).join('&');
  const baseString = ['GET', URL_TEXT, normalized].map(encodeURIComponent).join('&');
  const signature = createHmac('sha1', 'cs&ts').update(baseString).digest('base64');
  const fields = [...params, ['oauth_signature', signature]].map(
    ([name, value]) => `${name}="${encodeURIComponent(value ?? '')}"`,
  );
  return `OAuth ${fields.join(', ')}`;
}

function request(authorizationHeader?: string): AuthenticationRequest {
  return { method: 'GET', url: URL_TEXT, authorizationHeader };
}

describe('authenticate', () => {
  it('routes Bearer to JWT', async () => {
    const identity = await authenticate(
      request(`Bearer ${await bearerToken()}`),
      { jwt, oauth1 },
      NOW,
    );

    expect(identity.authType).toBe('jwt');
  });

  it('accepts lower-case bearer', async () => {
    const identity = await authenticate(request(`bearer ${await bearerToken()}`), { jwt }, NOW);

    expect(identity.principal).toBe('alice');
  });

  it('routes OAuth to OAuth 1.0a', async () => {
    const identity = await authenticate(request(oauthHeader()), { jwt, oauth1 }, NOW);

    expect(identity).toEqual({
      principal: 'appkey:ck',
      accounts: ['123'],
      permissions: ['mtls.read'],
      authType: 'oauth1',
    });
  });

  it('rejects missing header', async () => {
    const error = await rejectionOf(authenticate(request(), { jwt, oauth1 }, NOW));

    expect(error.code).toBe('auth.missing');
    expect(error.status).toBe(401);
    expect(error.headers?.['WWW-Authenticate']).toBe(
      'Bearer realm="mtls-gateway", OAuth realm="mtls-gateway"',
    );
  });

  it('rejects Basic scheme', async () => {
    const error = await rejectionOf(
      authenticate(request('Basic dXNlcjpwYXNz'), { jwt, oauth1 }, NOW),
    );

    expect(error.code).toBe('auth.scheme_unsupported');
    expect(error.message).not.toContain('dXNlcjpwYXNz');
  });

  it('rejects scheme without verifier', async () => {
    const error = await rejectionOf(authenticate(request(oauthHeader()), { jwt }, NOW));

    expect(error.code).toBe('auth.scheme_unsupported');
  });

  it('rejects Bearer without token', async () => {
    const error = await rejectionOf(authenticate(request('Bearer'), { jwt }, NOW));

    expect(error.code).toBe('auth.missing');
  });
});
