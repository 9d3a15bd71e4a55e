import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';

import { SignJWT, type JWTPayload } from 'jose';
import { describe, expect, it } from 'vitest';

import { JwtOptionError, JwtVerifier, type JwtVerifierOptions } from '../../shared/auth/jwt.js';
import { rejectionOf } from '../support/errors.js';

const ISSUER = 'https://issuer.test';
const AUDIENCE = 'mtls-gateway';
const NOW = new Date('2030-01-01T00:00:00Z');
const NOW_SECONDS = NOW.getTime() / 1000;

const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const otherEc = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });

const BASE_CLAIMS: JWTPayload = { sub: 'alice', accounts: ['123'], permissions: ['mtls.read'] };

interface TokenSpec {
  key?: KeyObject;
  alg?: string;
  /** Claims merged over the base claims; undefined removes one. */
  claims?: Record<string, unknown>;
  issuer?: string;
  audience?: string;
  /** Seconds since the Unix epoch; null leaves `exp` out. */
  exp?: number | null;
  nbf?: number;
  /** Seconds since the Unix epoch. @default NOW_SECONDS */
  iat?: number;
}

/** Signs a token with jose; each token gets a unique `jti`, so tests never share cache entries. */
async function makeToken(spec: TokenSpec = {}): Promise<string> {
  const claims = Object.fromEntries(
    Object.entries({ ...BASE_CLAIMS, jti: randomUUID(), ...spec.claims }).filter(
      ([, value]) => value !== undefined,
    ),
  );
  const alg = spec.alg ?? 'ES256';
  let jwt = new SignJWT(claims)
    .setProtectedHeader({ alg, typ: 'JWT' })
    .setIssuer(spec.issuer ?? ISSUER)
    .setAudience(spec.audience ?? AUDIENCE)
    .setIssuedAt(spec.iat ?? NOW_SECONDS);
  if (spec.exp !== null) {
    jwt = jwt.setExpirationTime(spec.exp ?? NOW_SECONDS + 600);
  }
  if (spec.nbf !== undefined) {
    jwt = jwt.setNotBefore(spec.nbf);
  }
  return jwt.sign(spec.key ?? (alg === 'RS256' ? rsa.privateKey : ec.privateKey));
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function localVerifier(options: Partial<JwtVerifierOptions> = {}): JwtVerifier {
  return new JwtVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    localPublicKey: ec.publicKey,
    ...options,
  });
}

describe('JwtVerifier', () => {
  it('accepts ES256 token', async () => {
    const identity = await localVerifier().verify(await makeToken(), NOW);

    expect(identity).toEqual({
      principal: 'alice',
      accounts: ['123'],
      permissions: ['mtls.read'],
      authType: 'jwt',
    });
  });

  it('accepts RS256 token', async () => {
    const verifier = localVerifier({ localPublicKey: rsa.publicKey });

    const identity = await verifier.verify(await makeToken({ alg: 'RS256' }), NOW);

    expect(identity.principal).toBe('alice');
  });

  it('accepts public JWK', async () => {
    const verifier = localVerifier({ localPublicKey: ec.publicKey.export({ format: 'jwk' }) });

    await expect(verifier.verify(await makeToken(), NOW)).resolves.toBeDefined();
  });

  it('rejects expired token', async () => {
    const token = await makeToken({ exp: NOW_SECONDS - 61 });

    const error = await rejectionOf(localVerifier().verify(token, NOW));

    expect(error.code).toBe('auth.token_expired');
    expect(error.status).toBe(401);
    expect(error.headers?.['WWW-Authenticate']).toBe(
      'Bearer realm="mtls-gateway", error="invalid_token", error_description="The token expired"',
    );
  });

  it('accepts expiry within tolerance', async () => {
    const token = await makeToken({ exp: NOW_SECONDS - 59 });

    await expect(localVerifier().verify(token, NOW)).resolves.toBeDefined();
  });

  it('honours zero tolerance', async () => {
    const token = await makeToken({ exp: NOW_SECONDS - 1 });

    const error = await rejectionOf(localVerifier({ clockToleranceSeconds: 0 }).verify(token, NOW));

    expect(error.code).toBe('auth.token_expired');
  });

  it('rejects future nbf', async () => {
    const token = await makeToken({ nbf: NOW_SECONDS + 61 });

    const error = await rejectionOf(localVerifier().verify(token, NOW));

    expect(error.code).toBe('auth.token_invalid');
    expect(String(error.cause)).toContain('nbf');
  });

  it('rejects iat in the future', async () => {
    const token = await makeToken({ iat: NOW_SECONDS + 61 });

    const error = await rejectionOf(localVerifier().verify(token, NOW));

    expect(error.code).toBe('auth.token_invalid');
    expect(String(error.cause)).toContain('iat');
  });

  it('accepts iat within tolerance', async () => {
    const token = await makeToken({ iat: NOW_SECONDS + 59 });

    await expect(localVerifier().verify(token, NOW)).resolves.toBeDefined();
  });

  it('accepts nbf within tolerance', async () => {
    const token = await makeToken({ nbf: NOW_SECONDS + 59 });

    await expect(localVerifier().verify(token, NOW)).resolves.toBeDefined();
  });

  it('rejects wrong issuer', async () => {
    const error = await rejectionOf(
      localVerifier().verify(await makeToken({ issuer: 'https://other.test' }), NOW),
    );

    expect(error.code).toBe('auth.token_invalid');
    expect(String(error.cause)).toContain('iss');
  });

  it('rejects wrong audience', async () => {
    const error = await rejectionOf(
      localVerifier().verify(await makeToken({ audience: 'other-api' }), NOW),
    );

    expect(error.code).toBe('auth.token_invalid');
    expect(String(error.cause)).toContain('aud');
  });

  it('rejects signature of other key', async () => {
    const token = await makeToken({ key: otherEc.privateKey });

    const error = await rejectionOf(localVerifier().verify(token, NOW));

    expect(error.code).toBe('auth.token_invalid');
    expect(error.message).toBe('The token is not valid.');
    expect(error.headers?.['WWW-Authenticate']).toBe(
      'Bearer realm="mtls-gateway", error="invalid_token", error_description="The token is not valid"',
    );
  });

  it('rejects changed payload', async () => {
    const [header, , signature] = (await makeToken()).split('.');
    const forged = `${header}.${base64url({ ...BASE_CLAIMS, accounts: '*', iss: ISSUER, aud: AUDIENCE, exp: NOW_SECONDS + 600 })}.${signature}`;

    const error = await rejectionOf(localVerifier().verify(forged, NOW));

    expect(error.code).toBe('auth.token_invalid');
  });

  it('rejects alg none', async () => {
    const payload = { ...BASE_CLAIMS, iss: ISSUER, aud: AUDIENCE, exp: NOW_SECONDS + 600 };
    const token = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(payload)}.`;

    const error = await rejectionOf(localVerifier().verify(token, NOW));

    expect(error.code).toBe('auth.token_invalid');
  });

  it('rejects HS256 with public key', async () => {
    const secret = new TextEncoder().encode(
      ec.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    );
    const token = await new SignJWT({ ...BASE_CLAIMS })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime(NOW_SECONDS + 600)
      .sign(secret);

    const error = await rejectionOf(localVerifier().verify(token, NOW));

    expect(error.code).toBe('auth.token_invalid');
    expect(String(error.cause)).toContain('ERR_JOSE_ALG_NOT_ALLOWED');
  });

  it('rejects alg outside list', async () => {
    const verifier = localVerifier({ localPublicKey: rsa.publicKey, algorithms: ['ES256'] });

    const error = await rejectionOf(verifier.verify(await makeToken({ alg: 'RS256' }), NOW));

    expect(error.code).toBe('auth.token_invalid');
  });

  it.each(['not-a-jwt', 'a.b.c', 'e30.e30.', '..', 'x'.repeat(20_000)])(
    'rejects malformed token %#',
    async (token) => {
      const error = await rejectionOf(localVerifier().verify(token, NOW));

      expect(error.code).toBe('auth.token_invalid');
    },
  );

  it('rejects missing exp', async () => {
    const error = await rejectionOf(localVerifier().verify(await makeToken({ exp: null }), NOW));

    expect(error.code).toBe('auth.token_invalid');
    expect(String(error.cause)).toContain('"exp"');
  });

  it('rejects empty token', async () => {
    const error = await rejectionOf(localVerifier().verify(' ', NOW));

    expect(error.code).toBe('auth.missing');
  });

  it('keeps token out of errors', async () => {
    const token = await makeToken({ key: otherEc.privateKey });
    const signature = token.split('.')[2] ?? '';

    const error = await rejectionOf(localVerifier().verify(token, NOW));
    const text = `${error.message} ${String(error.cause)} ${JSON.stringify(error.headers)}`;

    expect(signature).not.toBe('');
    expect(text).not.toContain(signature);
  });
});

describe('JwtVerifier claims', () => {
  it('reads "*" accounts', async () => {
    const identity = await localVerifier().verify(
      await makeToken({ claims: { accounts: '*' } }),
      NOW,
    );

    expect(identity.accounts).toBe('*');
  });

  it('reads permissions from scope', async () => {
    const token = await makeToken({
      claims: { permissions: undefined, scope: 'openid mtls.write  mtls.forward' },
    });

    const identity = await localVerifier().verify(token, NOW);

    expect(identity.permissions).toEqual(['mtls.write', 'mtls.forward']);
  });

  it('prefers permissions over scope', async () => {
    const token = await makeToken({
      claims: { permissions: ['mtls.forward'], scope: 'mtls.write' },
    });

    const identity = await localVerifier().verify(token, NOW);

    expect(identity.permissions).toEqual(['mtls.forward']);
  });

  it('ignores unknown permissions', async () => {
    const token = await makeToken({ claims: { permissions: ['admin', 'mtls.read', 'mtls.read'] } });

    const identity = await localVerifier().verify(token, NOW);

    expect(identity.permissions).toEqual(['mtls.read']);
  });

  it('grants nothing without permissions', async () => {
    const identity = await localVerifier().verify(
      await makeToken({ claims: { permissions: undefined } }),
      NOW,
    );

    expect(identity.permissions).toEqual([]);
  });

  it.each([
    ['missing sub', { sub: undefined }, 'sub'],
    ['missing accounts', { accounts: undefined }, 'accounts'],
    ['string accounts', { accounts: '123' }, 'accounts'],
    ['invalid account id', { accounts: ['12 3'] }, 'accounts'],
    ['permissions string', { permissions: 'mtls.read' }, 'permissions'],
    ['numeric scope', { permissions: undefined, scope: 7 }, 'scope'],
  ])('rejects %s', async (_case, claims, claimName) => {
    const error = await rejectionOf(localVerifier().verify(await makeToken({ claims }), NOW));

    expect(error.code).toBe('auth.token_invalid');
    expect(String(error.cause)).toContain(`"${claimName}"`);
  });
});

describe('JwtVerifier options', () => {
  const key = { localPublicKey: ec.publicKey };

  it.each([
    ['HS256 algorithm', { ...key, algorithms: ['HS256'] }],
    ['none algorithm', { ...key, algorithms: ['none'] }],
    ['empty algorithms', { ...key, algorithms: [] }],
    ['tolerance over 60', { ...key, clockToleranceSeconds: 61 }],
    ['negative cache', { ...key, maxCacheSeconds: -1 }],
    ['no key source', {}],
    ['both key sources', { ...key, jwksUrl: 'https://127.0.0.1/jwks' }],
    ['plain http JWKS', { jwksUrl: 'http://keys.test/jwks' }],
    ['private key', { localPublicKey: ec.privateKey }],
    ['private JWK', { localPublicKey: ec.privateKey.export({ format: 'jwk' }) }],
    ['empty issuer', { ...key, issuer: '' }],
  ])('rejects %s', (_case, options) => {
    expect(() => new JwtVerifier({ issuer: ISSUER, audience: AUDIENCE, ...options })).toThrow(
      TypeError,
    );
  });

  it.each<[keyof JwtVerifierOptions, Partial<JwtVerifierOptions>]>([
    ['algorithms', { ...key, algorithms: ['none'] }],
    ['jwksUrl', { jwksUrl: 'notaurl' }],
    ['jwksUrl', { jwksUrl: 'http://keys.test/jwks' }],
  ])('names rejected option %s', (option, options) => {
    let error: unknown;
    try {
      new JwtVerifier({ issuer: ISSUER, audience: AUDIENCE, ...options });
    } catch (caught) {
      error = caught;
    }

    expect(error).toBeInstanceOf(JwtOptionError);
    expect((error as JwtOptionError).option).toBe(option);
  });

  it('rejects relative JWKS URL', () => {
    expect(
      () => new JwtVerifier({ issuer: ISSUER, audience: AUDIENCE, jwksUrl: 'notaurl' }),
    ).toThrow('jwksUrl must be an absolute URL.');
  });
});
