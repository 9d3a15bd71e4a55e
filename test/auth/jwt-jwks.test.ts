import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { JwtVerifier, type JwtVerifierOptions } from '../../shared/auth/jwt.js';
import { rejectionOf } from '../support/errors.js';

const ISSUER = 'https://issuer.test';
const AUDIENCE = 'mtls-gateway';
const NOW = new Date('2030-01-01T00:00:00Z');
const NOW_SECONDS = NOW.getTime() / 1000;

const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });

const JWKS = {
  keys: [
    { ...ec.publicKey.export({ format: 'jwk' }), kid: 'ec-1', alg: 'ES256', use: 'sig' },
    { ...rsa.publicKey.export({ format: 'jwk' }), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
  ],
};

/** Requests per path served by the JWKS server. */
const requests = new Map<string, number>();
let server: Server;
let origin: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    const path = request.url ?? '/';
    requests.set(path, (requests.get(path) ?? 0) + 1);
    if (path.startsWith('/broken')) {
      response.writeHead(500, { 'content-type': 'text/plain' }).end('failure');
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(JWKS));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

interface TokenSpec {
  key?: KeyObject;
  alg?: 'ES256' | 'RS256';
  kid?: string;
  exp?: number;
}

async function makeToken(spec: TokenSpec = {}): Promise<string> {
  const alg = spec.alg ?? 'ES256';
  return new SignJWT({
    sub: 'svc-idp',
    accounts: ['123'],
    permissions: ['mtls.forward'],
    jti: randomUUID(),
  })
    .setProtectedHeader({ alg, kid: spec.kid ?? (alg === 'ES256' ? 'ec-1' : 'rsa-1') })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt(NOW_SECONDS)
    .setExpirationTime(spec.exp ?? NOW_SECONDS + 3600)
    .sign(spec.key ?? (alg === 'ES256' ? ec.privateKey : rsa.privateKey));
}

/** Builds a verifier whose JWKS path is unique to the caller, so request counts stay apart. */
function jwksVerifier(path: string, options: Partial<JwtVerifierOptions> = {}): JwtVerifier {
  return new JwtVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwksUrl: `${origin}${path}`,
    ...options,
  });
}

describe('JwtVerifier with JWKS', () => {
  it('accepts ES256 token', async () => {
    const identity = await jwksVerifier('/es/jwks.json').verify(await makeToken(), NOW);

    expect(identity).toEqual({
      principal: 'svc-idp',
      accounts: ['123'],
      permissions: ['mtls.forward'],
      authType: 'jwt',
    });
  });

  it('accepts RS256 token', async () => {
    const identity = await jwksVerifier('/rs/jwks.json').verify(
      await makeToken({ alg: 'RS256' }),
      NOW,
    );

    expect(identity.principal).toBe('svc-idp');
  });

  it('rejects unknown kid', async () => {
    const verifier = jwksVerifier('/kid/jwks.json');

    const error = await rejectionOf(verifier.verify(await makeToken({ kid: 'ec-9' }), NOW));

    expect(error.code).toBe('auth.token_invalid');
    expect(error.status).toBe(401);
  });

  it('rejects signature of other key', async () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });

    const error = await rejectionOf(
      jwksVerifier('/other/jwks.json').verify(await makeToken({ key: other.privateKey }), NOW),
    );

    expect(error.code).toBe('auth.token_invalid');
  });

  it('reports failing JWKS as 503', async () => {
    const error = await rejectionOf(
      jwksVerifier('/broken/jwks.json').verify(await makeToken(), NOW),
    );

    expect(error.code).toBe('auth.jwks_unavailable');
    expect(error.status).toBe(503);
  });

  it('reports unreachable JWKS as 503', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const verifier = new JwtVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUrl: `http://127.0.0.1:${port}/jwks.json`,
    });

    const error = await rejectionOf(verifier.verify(await makeToken(), NOW));

    expect(error.code).toBe('auth.jwks_unavailable');
  });
});

describe('JwtVerifier cache', () => {
  it('reuses identity without verifying', async () => {
    const token = await makeToken();
    const first = await jwksVerifier('/cache-hit/jwks.json').verify(token, NOW);

    const second = await jwksVerifier('/cache-hit/jwks.json').verify(token, NOW);

    expect(second).toEqual(first);
    expect(requests.get('/cache-hit/jwks.json')).toBe(1);
  });

  it('verifies uncached token', async () => {
    await jwksVerifier('/cache-miss/jwks.json').verify(await makeToken(), NOW);

    await jwksVerifier('/cache-miss/jwks.json').verify(await makeToken(), NOW);

    expect(requests.get('/cache-miss/jwks.json')).toBe(2);
  });

  it('skips cache when disabled', async () => {
    const token = await makeToken();
    await jwksVerifier('/cache-off/jwks.json', { maxCacheSeconds: 0 }).verify(token, NOW);

    await jwksVerifier('/cache-off/jwks.json', { maxCacheSeconds: 0 }).verify(token, NOW);

    expect(requests.get('/cache-off/jwks.json')).toBe(2);
  });

  it('keeps entry within maxCacheSeconds', async () => {
    const token = await makeToken();
    await jwksVerifier('/cache-age/jwks.json', { maxCacheSeconds: 60 }).verify(token, NOW);

    await jwksVerifier('/cache-age/jwks.json', { maxCacheSeconds: 60 }).verify(
      token,
      new Date(NOW.getTime() + 59_000),
    );

    expect(requests.get('/cache-age/jwks.json')).toBe(1);
  });

  it('drops entry after maxCacheSeconds', async () => {
    const token = await makeToken();
    await jwksVerifier('/cache-old/jwks.json', { maxCacheSeconds: 60 }).verify(token, NOW);

    await jwksVerifier('/cache-old/jwks.json', { maxCacheSeconds: 60 }).verify(
      token,
      new Date(NOW.getTime() + 61_000),
    );

    expect(requests.get('/cache-old/jwks.json')).toBe(2);
  });

  it('rejects cached token after exp', async () => {
    const verifier = jwksVerifier('/cache-exp/jwks.json');
    const token = await makeToken({ exp: NOW_SECONDS + 120 });
    await verifier.verify(token, NOW);

    const error = await rejectionOf(verifier.verify(token, new Date(NOW.getTime() + 200_000)));

    expect(error.code).toBe('auth.token_expired');
  });

  it('keeps verifiers of other audiences apart', async () => {
    const token = await makeToken();
    await jwksVerifier('/cache-aud/jwks.json').verify(token, NOW);

    const error = await rejectionOf(
      jwksVerifier('/cache-aud/jwks.json', { audience: 'other-api' }).verify(token, NOW),
    );

    expect(error.code).toBe('auth.token_invalid');
  });

  it('protects cache from caller changes', async () => {
    const token = await makeToken();
    const first = await jwksVerifier('/cache-copy/jwks.json').verify(token, NOW);
    first.permissions.push('mtls.write');

    const second = await jwksVerifier('/cache-copy/jwks.json').verify(token, NOW);

    expect(second.permissions).toEqual(['mtls.forward']);
  });
});
