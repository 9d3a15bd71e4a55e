import { generateKeyPairSync, type KeyObject } from 'node:crypto';

import { SignJWT, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadOrCreateLocalSigningKey } from '../../shared/auth/jwt.js';
import { tokenSettings } from '../../shared/http/authentication.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import type { TestResponse } from '../support/http.js';

const ACCOUNT = 'acme';
const PATH = `/mtls/account/${ACCOUNT}/certificates`;

let gateway: TestGateway;
let localKey: { privateKey: KeyObject; kid: string };
const otherKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });

interface TokenSpec {
  /** Signing key. @default the gateway's local key */
  key?: KeyObject;
  /** Protected header overrides, merged over `{ alg: 'ES256', kid, typ: 'JWT' }`. */
  header?: Record<string, unknown>;
  issuer?: string;
  audience?: string;
  /** Seconds from now, or null to leave `exp` out. @default 600 */
  expiresIn?: number | null;
  /** Seconds from now of `nbf`. @default no `nbf` */
  notBefore?: number;
  claims?: JWTPayload;
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Signs a token like the local one, with the differences that `spec` names. */
async function signToken(spec: TokenSpec = {}): Promise<string> {
  const now = nowSeconds();
  let jwt = new SignJWT({ accounts: [ACCOUNT], permissions: ['mtls.read'], ...spec.claims })
    .setProtectedHeader({ alg: 'ES256', kid: localKey.kid, typ: 'JWT', ...spec.header })
    .setIssuer(spec.issuer ?? tokenSettings().issuer)
    .setAudience(spec.audience ?? tokenSettings().audience)
    .setSubject('bearer-test')
    .setIssuedAt(now);
  if (spec.expiresIn !== null) {
    jwt = jwt.setExpirationTime(now + (spec.expiresIn ?? 600));
  }
  if (spec.notBefore !== undefined) {
    jwt = jwt.setNotBefore(now + spec.notBefore);
  }
  return jwt.sign(spec.key ?? localKey.privateKey);
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Builds an unsigned token (`alg: none`) that otherwise carries valid claims. */
function unsignedToken(): string {
  const now = nowSeconds();
  const payload = {
    sub: 'bearer-test',
    accounts: [ACCOUNT],
    permissions: ['mtls.read'],
    iss: tokenSettings().issuer,
    aud: tokenSettings().audience,
    iat: now,
    exp: now + 600,
  };
  return `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(payload)}.`;
}

/** Keeps the signature of `token` and swaps its payload for one naming every account. */
function withForgedPayload(token: string): string {
  const [header, payload, signature] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8'));
  return `${header}.${base64url({ ...claims, accounts: '*' })}.${signature}`;
}

/** Signs with HS256, keyed by the bytes of the gateway's public JWK, as in alg confusion. */
async function hmacWithPublicKey(): Promise<string> {
  const { publicJwk } = await loadOrCreateLocalSigningKey(gateway.dataDir);
  const secret = new TextEncoder().encode(JSON.stringify(publicJwk));
  const now = nowSeconds();
  return new SignJWT({ accounts: [ACCOUNT], permissions: ['mtls.read'] })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(tokenSettings().issuer)
    .setAudience(tokenSettings().audience)
    .setSubject('bearer-test')
    .setExpirationTime(now + 600)
    .sign(secret);
}

async function get(authorization: string): Promise<TestResponse> {
  return gateway.request('GET', PATH, { headers: { authorization } });
}

beforeAll(async () => {
  gateway = await startTestGateway();
  localKey = await loadOrCreateLocalSigningKey(gateway.dataDir);
});

afterAll(async () => {
  await gateway?.close();
});

describe('bearer authentication over HTTP', () => {
  it('accepts valid local token', async () => {
    const response = await get(`Bearer ${await signToken()}`);

    expect(response.status).toBe(200);
  });

  it('accepts lower-case scheme name', async () => {
    const response = await get(`bearer ${await signToken()}`);

    expect(response.status).toBe(200);
  });

  it('rejects missing header', async () => {
    const response = await get('');

    expect(response.status).toBe(401);
    expect(response.body.code).toBe('auth.missing');
    expect(response.headers.get('www-authenticate')).toBe(
      'Bearer realm="mtls-gateway", OAuth realm="mtls-gateway"',
    );
  });

  it('rejects unknown scheme', async () => {
    const response = await get('Basic YWxpY2U6c2VjcmV0LXBhc3N3b3Jk');

    expect(response.status).toBe(401);
    expect(response.body.code).toBe('auth.scheme_unsupported');
    expect(response.headers.get('www-authenticate')).toContain('Bearer realm="mtls-gateway"');
    expect(response.text).not.toContain('YWxpY2U6c2VjcmV0LXBhc3N3b3Jk');
  });

  it('rejects scheme without token', async () => {
    const response = await get('Bearer');

    expect(response.status).toBe(401);
    expect(response.body.code).toBe('auth.missing');
  });

  const rejected: [string, () => Promise<string>, string][] = [
    ['malformed token', async () => 'not.a-jwt', 'auth.token_invalid'],
    ['unsigned alg none', async () => unsignedToken(), 'auth.token_invalid'],
    ['HS256 keyed by public key', hmacWithPublicKey, 'auth.token_invalid'],
    ['another key', () => signToken({ key: otherKey.privateKey }), 'auth.token_invalid'],
    ['forged payload', async () => withForgedPayload(await signToken()), 'auth.token_invalid'],
    ['expired token', () => signToken({ expiresIn: -120 }), 'auth.token_expired'],
    ['missing exp', () => signToken({ expiresIn: null }), 'auth.token_invalid'],
    ['not yet valid', () => signToken({ notBefore: 600 }), 'auth.token_invalid'],
    [
      'wrong issuer',
      () => signToken({ issuer: 'https://other-issuer.test' }),
      'auth.token_invalid',
    ],
    ['wrong audience', () => signToken({ audience: 'another-api' }), 'auth.token_invalid'],
    [
      'accounts claim missing',
      () => signToken({ claims: { accounts: undefined } }),
      'auth.token_invalid',
    ],
  ];

  describe.each(rejected)('%s', (_name, makeToken, code) => {
    let token: string;
    let response: TestResponse;

    beforeAll(async () => {
      token = await makeToken();
      response = await get(`Bearer ${token}`);
    });

    it('returns 401', () => {
      expect(response.status).toBe(401);
    });

    it('names the failure code', () => {
      expect(response.body.code).toBe(code);
    });

    it('sends invalid_token challenge', () => {
      expect(response.headers.get('www-authenticate')).toMatch(
        /^Bearer realm="mtls-gateway", error="invalid_token", error_description="[^"]+"$/,
      );
    });

    it('keeps token out of response', () => {
      const signature = token.split('.')[2] ?? '';

      expect(response.text).not.toContain(token);
      expect(signature === '' || !response.text.includes(signature)).toBe(true);
      expect(JSON.stringify([...response.headers])).not.toContain(token);
    });
  });

  it('allows one minute of clock leeway', async () => {
    const response = await get(`Bearer ${await signToken({ expiresIn: -30 })}`);

    expect(response.status).toBe(200);
  });
});
