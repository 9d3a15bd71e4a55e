import { createHash, createPublicKey, KeyObject, type JsonWebKey } from 'node:crypto';

import {
  createRemoteJWKSet,
  errors,
  jwtVerify,
  type JWK,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';

import { GatewayError } from '../errors.js';
import { logger } from '../logger.js';
import { bearerFailure, credentialsMissing } from './errors.js';
import type { Identity } from './identity.js';
import { identityFromClaims } from './jwt-claims.js';
import { sharedTokenCache, type VerifiedTokenCache } from './token-cache.js';

export { loadOrCreateLocalSigningKey, signDevToken, type DevTokenOptions } from './local-key.js';

export interface JwtVerifierOptions {
  /** Required `iss` claim. */
  issuer: string;
  /** Required `aud` claim. */
  audience: string;
  /**
   * Accepted `alg` header values; only asymmetric signature algorithms.
   * @default ['RS256', 'ES256', 'EdDSA']
   */
  algorithms?: string[];
  /** Leeway for `exp` and `nbf` in seconds, at most 60. @default 60 */
  clockToleranceSeconds?: number;
  /** JWKS endpoint, `https` or `http` on a loopback host. Give this or `localPublicKey`. */
  jwksUrl?: string;
  /** Public key for locally signed tokens. Give this or `jwksUrl`, not both. */
  localPublicKey?: KeyObject | JWK;
  /** Lifetime of a verified token in the process cache, in seconds; 0 disables it. @default 300 */
  maxCacheSeconds?: number;
}

const DEFAULT_ALGORITHMS = ['RS256', 'ES256', 'EdDSA'];
const ASYMMETRIC_ALGORITHMS = new Set([
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
]);
const MAX_CLOCK_TOLERANCE_SECONDS = 60;
/** Time-out of one JWKS request, in milliseconds. */
const JWKS_TIMEOUT_MS = 5000;
/** Upper bound of a token's length; real tokens are a few kilobytes at most. */
const MAX_TOKEN_LENGTH = 16 * 1024;
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Invalid JwtVerifier option, naming the option so that a caller can name its own setting. */
export class JwtOptionError extends TypeError {
  override readonly name = 'JwtOptionError';

  constructor(
    readonly option: keyof JwtVerifierOptions,
    message: string,
  ) {
    super(message);
  }
}

/** Marks a failure to obtain the JWKS, which is the gateway's problem, not the caller's. */
class KeySetUnavailableError extends Error {
  override readonly name = 'KeySetUnavailableError';
}

/**
 * Verifies JWT Bearer tokens with jose against a JWKS endpoint or a local public key. The
 * identity comes from the `sub`, `accounts` and `permissions` (or `scope`) claims, whose forms
 * `identityFromClaims` documents. `iss`, `aud` and `exp` are required.
 *
 * Verified tokens are cached per process until `exp`, at most `maxCacheSeconds`, so a key
 * removed from the JWKS stops older tokens only after that delay.
 */
export class JwtVerifier {
  readonly #issuer: string;
  readonly #audience: string;
  readonly #algorithms: string[];
  readonly #clockToleranceSeconds: number;
  readonly #maxCacheSeconds: number;
  readonly #key: KeyObject | JWTVerifyGetKey;
  readonly #cache: VerifiedTokenCache | undefined;

  constructor(options: JwtVerifierOptions) {
    if (!options.issuer || !options.audience) {
      throw new TypeError('JwtVerifier needs a non-empty issuer and audience.');
    }

    this.#issuer = options.issuer;
    this.#audience = options.audience;
    this.#algorithms = checkAlgorithms(options.algorithms ?? DEFAULT_ALGORITHMS);
    this.#clockToleranceSeconds = checkSeconds(
      'clockToleranceSeconds',
      options.clockToleranceSeconds ?? 60,
    );
    if (this.#clockToleranceSeconds > MAX_CLOCK_TOLERANCE_SECONDS) {
      throw new TypeError(`clockToleranceSeconds must be at most ${MAX_CLOCK_TOLERANCE_SECONDS}.`);
    }
    this.#maxCacheSeconds = checkSeconds('maxCacheSeconds', options.maxCacheSeconds ?? 300);

    const { key, keySource } = resolveKey(options);
    this.#key = key;

    const configuration = [
      this.#issuer,
      this.#audience,
      this.#algorithms,
      this.#clockToleranceSeconds,
      keySource,
    ];
    this.#cache =
      this.#maxCacheSeconds > 0 ? sharedTokenCache(JSON.stringify(configuration)) : undefined;
  }

  /**
   * Verifies a compact JWT (without the `Bearer ` prefix) and returns its identity. Throws a 401
   * GatewayError for a rejected token and a 503 when the JWKS cannot be fetched.
   */
  async verify(token: string, now: Date = new Date()): Promise<Identity> {
    const compact = token.trim();
    if (compact === '') {
      throw credentialsMissing();
    }

    if (compact.length > MAX_TOKEN_LENGTH) {
      throw bearerFailure(
        'auth.token_invalid',
        'The token is not valid.',
        new Error('The token is too long.'),
      );
    }

    const cached = this.#cache?.get(compact, now.getTime());
    if (cached) {
      return cached;
    }

    const payload = await this.#verifyToken(compact, now);
    const identity = readIdentity(payload);

    const expiresAt = Math.min(
      (payload.exp ?? 0) * 1000,
      now.getTime() + this.#maxCacheSeconds * 1000,
    );
    this.#cache?.set(compact, identity, now.getTime(), expiresAt);
    return identity;
  }

  async #verifyToken(token: string, now: Date): Promise<JWTPayload> {
    try {
      const options = {
        issuer: this.#issuer,
        audience: this.#audience,
        algorithms: this.#algorithms,
        clockTolerance: this.#clockToleranceSeconds,
        currentDate: now,
        requiredClaims: ['exp'],
      };
      const { payload } = await jwtVerify(token, this.#key, options);
      // jose checks `iat` only together with a maximum token age, which would cap lifetimes.
      const latestIssue = now.getTime() / 1000 + this.#clockToleranceSeconds;
      if (typeof payload.iat === 'number' && payload.iat > latestIssue) {
        const cause = new Error(`iat ${payload.iat} is in the future`);
        throw bearerFailure('auth.token_invalid', 'The token is not valid.', cause);
      }
      return payload;
    } catch (error) {
      throw toGatewayError(error);
    }
  }
}

function readIdentity(payload: JWTPayload): Identity {
  try {
    return identityFromClaims(payload);
  } catch (cause) {
    throw bearerFailure('auth.token_invalid', 'The token is not valid.', cause);
  }
}

function checkAlgorithms(algorithms: string[]): string[] {
  if (algorithms.length === 0) {
    throw new JwtOptionError('algorithms', 'algorithms must name at least one algorithm.');
  }

  const rejected = algorithms.filter((algorithm) => !ASYMMETRIC_ALGORITHMS.has(algorithm));
  if (rejected.length > 0) {
    throw new JwtOptionError(
      'algorithms',
      `algorithms may only name asymmetric signature algorithms; remove ${rejected.join(', ')}.`,
    );
  }
  return [...algorithms];
}

function checkSeconds(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new TypeError(`${name} must be a non-negative integer number of seconds, got ${value}.`);
  }
  return value;
}

/** Returns the key or key resolver for jose, and a non-secret string that identifies it. */
function resolveKey(options: JwtVerifierOptions): {
  key: KeyObject | JWTVerifyGetKey;
  keySource: string;
} {
  const { jwksUrl, localPublicKey } = options;
  if ((jwksUrl === undefined) === (localPublicKey === undefined)) {
    throw new TypeError('JwtVerifier needs exactly one of jwksUrl and localPublicKey.');
  }

  if (jwksUrl !== undefined) {
    return { key: createKeySetResolver(checkJwksUrl(jwksUrl)), keySource: `jwks:${jwksUrl}` };
  }

  const publicKey = toPublicKey(localPublicKey as KeyObject | JWK);
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  return { key: publicKey, keySource: `key:${createHash('sha256').update(spki).digest('hex')}` };
}

function checkJwksUrl(jwksUrl: string): URL {
  if (!URL.canParse(jwksUrl)) {
    throw new JwtOptionError('jwksUrl', 'jwksUrl must be an absolute URL.');
  }

  const url = new URL(jwksUrl);
  const isLoopbackHttp = url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
  if (url.protocol !== 'https:' && !isLoopbackHttp) {
    throw new JwtOptionError('jwksUrl', 'jwksUrl must use https, or http on a loopback host.');
  }
  return url;
}

function toPublicKey(key: KeyObject | JWK): KeyObject {
  if (!(key instanceof KeyObject) && ('d' in key || 'k' in key)) {
    throw new TypeError(
      'localPublicKey must be a public JWK; it contains private or secret key members.',
    );
  }

  const publicKey =
    key instanceof KeyObject ? key : createPublicKey({ key: key as JsonWebKey, format: 'jwk' });
  if (publicKey.type !== 'public') {
    throw new TypeError(`localPublicKey must be a public key, got a ${publicKey.type} key.`);
  }
  return publicKey;
}

/**
 * Wraps jose's remote JWKS, which caches the key set and refetches it on an unknown `kid` at
 * most every 30 seconds (jose 6.2 defaults). Fetch failures become KeySetUnavailableError.
 */
function createKeySetResolver(url: URL): JWTVerifyGetKey {
  const remote = createRemoteJWKSet(url, { timeoutDuration: JWKS_TIMEOUT_MS });
  return async (header, token) => {
    try {
      return await remote(header, token);
    } catch (error) {
      if (!isKeySetFailure(error)) {
        throw error;
      }
      logger.error('Failed to fetch the JWKS', { jwksUrl: url.href, error });
      throw new KeySetUnavailableError('The JWKS could not be fetched.', { cause: error });
    }
  };
}

/** Tells a failed JWKS fetch (network, time-out, status, body) from a key that does not match. */
function isKeySetFailure(error: unknown): boolean {
  if (!(error instanceof errors.JOSEError)) {
    return true;
  }
  return (
    error instanceof errors.JWKSTimeout ||
    error instanceof errors.JWKSInvalid ||
    error.code === errors.JOSEError.code
  );
}

function toGatewayError(error: unknown): unknown {
  if (error instanceof KeySetUnavailableError) {
    return new GatewayError(
      'auth.jwks_unavailable',
      503,
      'The keys that verify tokens are unavailable; retry later.',
      { cause: error },
    );
  }

  if (!(error instanceof errors.JOSEError)) {
    return error;
  }

  // jose messages name the failed check, never the token, so they can go to the logs.
  const cause = new Error(`${error.code}: ${error.message}`);
  if (error instanceof errors.JWTExpired) {
    return bearerFailure('auth.token_expired', 'The token expired; request a new one.', cause);
  }
  return bearerFailure('auth.token_invalid', 'The token is not valid.', cause);
}
