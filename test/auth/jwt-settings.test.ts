import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { JwtVerifier } from '../../shared/auth/jwt.js';
import { prepareVerifiers, resetVerifiers } from '../../shared/http/authentication.js';
import {
  closeDependencies,
  openLocalDependencies,
  setDependencies,
} from '../../shared/runtime/dependencies.js';
import { setEnvironment } from '../support/forwarding.js';

let dataDir: string;
let restore: (() => void) | undefined;

/** Returns the message that prepareVerifiers rejects with under `environment`. */
async function failureWith(environment: Record<string, string | undefined>): Promise<string> {
  restore = setEnvironment(environment);
  try {
    await prepareVerifiers();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('Expected prepareVerifiers to reject.');
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'mtls-jwt-settings-'));
  setDependencies(await openLocalDependencies(dataDir));
});

afterAll(async () => {
  await closeDependencies();
  await rm(dataDir, { recursive: true, force: true });
});

afterEach(() => {
  restore?.();
  restore = undefined;
  resetVerifiers();
});

describe('prepareVerifiers settings', () => {
  it.each([
    ['none', 'remove none'],
    ['HS256', 'remove HS256'],
    ['RS256,HS512', 'remove HS512'],
  ])('rejects algorithm %s', async (algorithms, fix) => {
    const message = await failureWith({ MTLS_JWT_ALGORITHMS: algorithms });

    expect(message).toMatch(new RegExp(`^Invalid MTLS_JWT_ALGORITHMS=${algorithms}: `));
    expect(message).toContain(fix);
  });

  it.each(['RS256,', ' , ', 'RS256,,ES256'])('rejects algorithm list "%s"', async (algorithms) => {
    const message = await failureWith({ MTLS_JWT_ALGORITHMS: algorithms });

    expect(message).toContain(`Invalid MTLS_JWT_ALGORITHMS=${algorithms}: expected a comma`);
  });

  it.each(['notaurl', '/jwks.json', 'http://127.0.0.1:9/jwks.json', 'ftp://127.0.0.1/jwks.json'])(
    'rejects JWKS URL %s',
    async (jwksUrl) => {
      const message = await failureWith({ MTLS_JWKS_URL: jwksUrl });

      expect(message).toBe(
        `Invalid MTLS_JWKS_URL=${jwksUrl}: expected an absolute https URL, such as https://idp.example.com/.well-known/jwks.json.`,
      );
    },
  );

  it.each(['MTLS_JWT_ISSUER', 'MTLS_JWT_AUDIENCE'])('rejects empty %s', async (name) => {
    const message = await failureWith({ [name]: ' ' });

    expect(message).toContain(`Invalid ${name}: expected a non-empty value`);
  });

  it('accepts https JWKS URL', async () => {
    // jose fetches the key set on the first token, so no request leaves the process here.
    restore = setEnvironment({
      MTLS_JWKS_URL: 'https://127.0.0.1:9/jwks.json',
      MTLS_JWT_ALGORITHMS: 'RS256, ES256',
    });

    const verifiers = await prepareVerifiers();

    expect(verifiers.jwt).toBeInstanceOf(JwtVerifier);
  });

  it('uses defaults for empty algorithms', async () => {
    restore = setEnvironment({ MTLS_JWKS_URL: undefined, MTLS_JWT_ALGORITHMS: '' });

    const verifiers = await prepareVerifiers();

    expect(verifiers.jwt).toBeInstanceOf(JwtVerifier);
  });

  it('caches built verifiers', async () => {
    restore = setEnvironment({ MTLS_JWKS_URL: undefined, MTLS_JWT_ALGORITHMS: undefined });

    const first = await prepareVerifiers();
    const second = await prepareVerifiers();

    expect(second).toBe(first);
  });
});
