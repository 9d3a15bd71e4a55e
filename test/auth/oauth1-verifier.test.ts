import { createHmac, randomUUID } from 'node:crypto';

import { beforeEach, describe, expect, it } from 'vitest';

import {
  OAuth1Verifier,
  type AppKey,
  type AppKeyLookup,
  type NonceStore,
  type OAuthRequest,
} from '../../shared/auth/oauth1.js';
import { rejectionOf } from '../support/errors.js';

const NOW = new Date('2030-01-01T00:00:00Z');
const NOW_SECONDS = NOW.getTime() / 1000;

const APP_KEY: AppKey = {
  consumerKey: 'consumer-1',
  consumerSecret: 'consumer secret/+=',
  token: 'token-1',
  tokenSecret: 'token&secret',
  accounts: ['123', 'acme_prod'],
  permissions: ['mtls.read', 'mtls.forward'],
};

class MemoryAppKeys implements AppKeyLookup {
  readonly #keys: Map<string, AppKey>;

  constructor(keys: AppKey[]) {
    this.#keys = new Map(keys.map((key) => [key.consumerKey, key]));
  }

  async find(consumerKey: string): Promise<AppKey | undefined> {
    return this.#keys.get(consumerKey);
  }
}

interface RememberedNonce {
  consumerKey: string;
  nonce: string;
  timestamp: number;
  expiresAt: Date;
}

class MemoryNonceStore implements NonceStore {
  readonly remembered: RememberedNonce[] = [];

  async remember(
    consumerKey: string,
    nonce: string,
    timestamp: number,
    expiresAt: Date,
  ): Promise<boolean> {
    const used = this.remembered.some(
      (entry) => entry.consumerKey === consumerKey && entry.nonce === nonce,
    );
    if (used) {
      return false;
    }
    this.remembered.push({ consumerKey, nonce, timestamp, expiresAt });
    return true;
  }
}

/** Percent-encodes as RFC 5849 section 3.6 requires, written apart from the code under test. */
function encode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** Orders encoded pairs by name, then by value, in byte order. */
function byNameThenValue(a: string[], b: string[]): number {
  const left = `${a[0]}\u0000${a[1]}`;
  const right = `${b[0]}\u0000${b[1]}`;
  if (left === right) {
    return 0;
  }
  return left < right ? -1 : 1;
}

interface SignSpec {
  method?: string;
  url?: string;
  contentType?: string;
  body?: string;
  /** Protocol parameter overrides; undefined removes a parameter, including oauth_signature. */
  oauth?: Record<string, string | undefined>;
  consumerSecret?: string;
  tokenSecret?: string;
  /** Signs this body instead of `body`, to model a body changed in transit. */
  signedBody?: string;
}

/** Signs a request the way a client following RFC 5849 would. */
function signRequest(spec: SignSpec = {}): OAuthRequest {
  const method = spec.method ?? 'GET';
  const url = spec.url ?? 'https://127.0.0.1:8443/mtls/account/123/certificates';
  const protocol: Record<string, string | undefined> = {
    oauth_consumer_key: APP_KEY.consumerKey,
    oauth_token: APP_KEY.token,
    oauth_signature_method: 'HMAC-SHA1',
    oauth_timestamp: String(NOW_SECONDS),
    oauth_nonce: randomUUID(),
    oauth_version: '1.0',
    ...spec.oauth,
  };

  const parsed = new URL(url);
  const baseUri = `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  const isForm = spec.contentType?.startsWith('application/x-www-form-urlencoded') ?? false;
  const bodyText = spec.signedBody ?? spec.body ?? '';
  const pairs: [string, string][] = [
    ...parsed.searchParams,
    ...(isForm ? [...new URLSearchParams(bodyText)] : []),
    ...Object.entries(protocol).filter(
      (entry): entry is [string, string] =>
        entry[1] !== undefined && entry[0] !== 'oauth_signature',
    ),
  ];
  const normalized = pairs
    .map(([name, value]) => [encode(name), encode(value)])
    .sort(byNameThenValue)
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  const baseString = [method, baseUri, normalized].map(encode).join('&');
  const key = `${encode(spec.consumerSecret ?? APP_KEY.consumerSecret)}&${encode(spec.tokenSecret ?? APP_KEY.tokenSecret)}`;
  const signature = createHmac('sha1', key).update(baseString).digest('base64');

  const headerParams = { oauth_signature: signature, ...protocol };
  const header = Object.entries(headerParams)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, value]) => `${encode(name)}="${encode(value)}"`)
    .join(', ');

  return {
    method,
    url,
    authorizationHeader: `OAuth realm="mtls-gateway", ${header}`,
    contentType: spec.contentType,
    body: spec.body,
  };
}

describe('OAuth1Verifier', () => {
  let nonces: MemoryNonceStore;
  let verifier: OAuth1Verifier;

  beforeEach(() => {
    nonces = new MemoryNonceStore();
    verifier = new OAuth1Verifier({ appKeys: new MemoryAppKeys([APP_KEY]), nonces });
  });

  it('accepts signed GET request', async () => {
    const identity = await verifier.verify(signRequest(), NOW);

    expect(identity).toEqual({
      principal: 'appkey:consumer-1',
      accounts: ['123', 'acme_prod'],
      permissions: ['mtls.read', 'mtls.forward'],
      authType: 'oauth1',
    });
  });

  it('uses app key principal', async () => {
    const named = { ...APP_KEY, principal: 'deploy-pipeline' };
    const namedVerifier = new OAuth1Verifier({ appKeys: new MemoryAppKeys([named]), nonces });

    const identity = await namedVerifier.verify(signRequest(), NOW);

    expect(identity.principal).toBe('deploy-pipeline');
  });

  it('accepts signed query parameters', async () => {
    const url = 'https://127.0.0.1:8443/mtls/mapping?v=2&name=a+b%21&name=c&empty=&flag';

    await expect(verifier.verify(signRequest({ method: 'POST', url }), NOW)).resolves.toBeDefined();
  });

  it('rejects changed query parameter', async () => {
    const request = signRequest({ url: 'https://127.0.0.1:8443/mtls/mapping?v=1' });

    const error = await rejectionOf(
      verifier.verify({ ...request, url: 'https://127.0.0.1:8443/mtls/mapping?v=2' }, NOW),
    );

    expect(error.code).toBe('auth.oauth_signature_invalid');
  });

  it('accepts signed form body', async () => {
    const request = signRequest({
      method: 'POST',
      url: 'https://127.0.0.1:8443/p?q=1',
      contentType: 'application/x-www-form-urlencoded; charset=utf-8',
      body: 'a=1&b=two+words&c=%E2%98%83',
    });

    await expect(verifier.verify(request, NOW)).resolves.toBeDefined();
  });

  it('rejects changed form body', async () => {
    const request = signRequest({
      method: 'POST',
      contentType: 'application/x-www-form-urlencoded',
      signedBody: 'amount=1',
      body: 'amount=1000',
    });

    const error = await rejectionOf(verifier.verify(request, NOW));

    expect(error.code).toBe('auth.oauth_signature_invalid');
  });

  it('leaves JSON body unsigned', async () => {
    const request = signRequest({
      method: 'POST',
      contentType: 'application/json',
      signedBody: '{"a":1}',
      body: '{"a":2}',
    });

    await expect(verifier.verify(request, NOW)).resolves.toBeDefined();
  });

  it('normalizes host case and default port', async () => {
    const request = signRequest({ url: 'https://LocalHost:443/mtls/account/123/certificates' });

    await expect(verifier.verify(request, NOW)).resolves.toBeDefined();
  });

  it('rejects changed path', async () => {
    const request = signRequest();

    const error = await rejectionOf(verifier.verify({ ...request, url: `${request.url}/7` }, NOW));

    expect(error.code).toBe('auth.oauth_signature_invalid');
  });

  it('rejects changed method', async () => {
    const request = signRequest();

    const error = await rejectionOf(verifier.verify({ ...request, method: 'DELETE' }, NOW));

    expect(error.code).toBe('auth.oauth_signature_invalid');
  });

  it('rejects wrong consumer secret', async () => {
    const request = signRequest({ consumerSecret: 'not the secret' });

    const error = await rejectionOf(verifier.verify(request, NOW));

    expect(error.code).toBe('auth.oauth_signature_invalid');
    expect(error.status).toBe(401);
    expect(error.headers?.['WWW-Authenticate']).toBe(
      'OAuth realm="mtls-gateway", oauth_problem="signature_invalid"',
    );
    expect(error.message).toBe('The OAuth signature is not valid.');
  });

  it('rejects wrong token secret', async () => {
    const error = await rejectionOf(verifier.verify(signRequest({ tokenSecret: 'other' }), NOW));

    expect(error.code).toBe('auth.oauth_signature_invalid');
  });

  it('rejects token of other app', async () => {
    const request = signRequest({ oauth: { oauth_token: 'token-2' } });

    const error = await rejectionOf(verifier.verify(request, NOW));

    expect(error.code).toBe('auth.oauth_signature_invalid');
  });

  it('keeps secrets out of errors', async () => {
    const request = signRequest({ consumerSecret: 'wrong' });
    const sentSignature = /oauth_signature="([^"]+)"/.exec(request.authorizationHeader)?.[1] ?? '';

    const error = await rejectionOf(verifier.verify(request, NOW));
    const text = `${error.message} ${String(error.cause)} ${JSON.stringify(error.headers)}`;

    expect(sentSignature).not.toBe('');
    expect(text).not.toContain(decodeURIComponent(sentSignature));
    expect(text).not.toContain(APP_KEY.consumerSecret);
    expect(text).not.toContain(APP_KEY.tokenSecret);
    expect(text).not.toContain(APP_KEY.token);
  });

  it('rejects tampered signature', async () => {
    const request = signRequest({ oauth: { oauth_signature: 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' } });

    const error = await rejectionOf(verifier.verify(request, NOW));

    expect(error.code).toBe('auth.oauth_signature_invalid');
  });

  it('accepts timestamp at skew limit', async () => {
    const past = signRequest({ oauth: { oauth_timestamp: String(NOW_SECONDS - 300) } });
    const future = signRequest({ oauth: { oauth_timestamp: String(NOW_SECONDS + 300) } });

    await expect(verifier.verify(past, NOW)).resolves.toBeDefined();
    await expect(verifier.verify(future, NOW)).resolves.toBeDefined();
  });

  it('rejects stale timestamp', async () => {
    const request = signRequest({ oauth: { oauth_timestamp: String(NOW_SECONDS - 301) } });

    const error = await rejectionOf(verifier.verify(request, NOW));

    expect(error.code).toBe('auth.oauth_timestamp');
    expect(error.headers?.['WWW-Authenticate']).toContain('oauth_problem="timestamp_refused"');
  });

  it('rejects future timestamp', async () => {
    const request = signRequest({ oauth: { oauth_timestamp: String(NOW_SECONDS + 301) } });

    const error = await rejectionOf(verifier.verify(request, NOW));

    expect(error.code).toBe('auth.oauth_timestamp');
  });

  it('honours configured skew', async () => {
    const strict = new OAuth1Verifier({
      appKeys: new MemoryAppKeys([APP_KEY]),
      nonces,
      maxSkewSeconds: 30,
    });
    const request = signRequest({ oauth: { oauth_timestamp: String(NOW_SECONDS - 31) } });

    const error = await rejectionOf(strict.verify(request, NOW));

    expect(error.code).toBe('auth.oauth_timestamp');
  });

  it.each(['soon', '-5', '1.5', '1e9'])('rejects timestamp %s', async (timestamp) => {
    const request = signRequest({ oauth: { oauth_timestamp: timestamp } });

    const error = await rejectionOf(verifier.verify(request, NOW));

    expect(error.code).toBe('auth.oauth_timestamp');
  });

  it('rejects replayed nonce', async () => {
    const request = signRequest();
    await verifier.verify(request, NOW);

    const error = await rejectionOf(verifier.verify(request, NOW));

    expect(error.code).toBe('auth.oauth_nonce_replayed');
    expect(error.status).toBe(401);
    expect(error.headers?.['WWW-Authenticate']).toContain('oauth_problem="nonce_used"');
  });

  it('remembers nonce until window ends', async () => {
    const request = signRequest({
      oauth: { oauth_nonce: 'n-1', oauth_timestamp: String(NOW_SECONDS - 10) },
    });

    await verifier.verify(request, NOW);

    expect(nonces.remembered).toEqual([
      {
        consumerKey: 'consumer-1',
        nonce: 'n-1',
        timestamp: NOW_SECONDS - 10,
        expiresAt: new Date((NOW_SECONDS - 10 + 300) * 1000),
      },
    ]);
  });

  it('skips nonce of bad signature', async () => {
    await rejectionOf(verifier.verify(signRequest({ consumerSecret: 'wrong' }), NOW));

    expect(nonces.remembered).toHaveLength(0);
  });

  it.each([
    'oauth_consumer_key',
    'oauth_token',
    'oauth_signature_method',
    'oauth_timestamp',
    'oauth_nonce',
    'oauth_signature',
  ])('rejects missing %s', async (name) => {
    const request = signRequest({ oauth: { [name]: undefined } });

    const error = await rejectionOf(verifier.verify(request, NOW));

    expect(error.code).toBe('auth.oauth_parameter_missing');
    expect(error.status).toBe(401);
    expect(error.message).toContain(name);
    expect(error.headers?.['WWW-Authenticate']).toContain('oauth_problem="parameter_absent"');
  });

  it('rejects empty oauth_token', async () => {
    const error = await rejectionOf(
      verifier.verify(signRequest({ oauth: { oauth_token: '' } }), NOW),
    );

    expect(error.code).toBe('auth.oauth_parameter_missing');
  });

  it('accepts missing oauth_version', async () => {
    const request = signRequest({ oauth: { oauth_version: undefined } });

    await expect(verifier.verify(request, NOW)).resolves.toBeDefined();
  });

  it('rejects oauth_version 2.0', async () => {
    const error = await rejectionOf(
      verifier.verify(signRequest({ oauth: { oauth_version: '2.0' } }), NOW),
    );

    expect(error.code).toBe('auth.oauth_header_invalid');
    expect(error.message).toContain('oauth_version');
  });

  it('rejects PLAINTEXT method', async () => {
    const request = signRequest({ oauth: { oauth_signature_method: 'PLAINTEXT' } });

    const error = await rejectionOf(verifier.verify(request, NOW));

    expect(error.code).toBe('auth.oauth_signature_method');
    expect(error.message).toContain('PLAINTEXT');
    expect(error.headers?.['WWW-Authenticate']).toContain(
      'oauth_problem="signature_method_rejected"',
    );
  });

  it('rejects RSA-SHA1 method', async () => {
    const request = signRequest({ oauth: { oauth_signature_method: 'RSA-SHA1' } });

    const error = await rejectionOf(verifier.verify(request, NOW));

    expect(error.code).toBe('auth.oauth_signature_method');
  });

  it('rejects unknown consumer key', async () => {
    const request = signRequest({ oauth: { oauth_consumer_key: 'consumer-9' } });

    const error = await rejectionOf(verifier.verify(request, NOW));

    expect(error.code).toBe('auth.oauth_consumer_unknown');
    expect(error.headers?.['WWW-Authenticate']).toContain('oauth_problem="consumer_key_unknown"');
  });

  it('rejects missing header', async () => {
    const error = await rejectionOf(
      verifier.verify({ ...signRequest(), authorizationHeader: '  ' }, NOW),
    );

    expect(error.code).toBe('auth.missing');
    expect(error.headers?.['WWW-Authenticate']).toBe(
      'Bearer realm="mtls-gateway", OAuth realm="mtls-gateway"',
    );
  });

  it('rejects Basic scheme', async () => {
    const request = { ...signRequest(), authorizationHeader: 'Basic dXNlcjpwYXNz' };

    const error = await rejectionOf(verifier.verify(request, NOW));

    expect(error.code).toBe('auth.scheme_unsupported');
    expect(error.message).not.toContain('dXNlcjpwYXNz');
  });

  it('accepts lower-case scheme name', async () => {
    const request = signRequest();
    const lower = {
      ...request,
      authorizationHeader: request.authorizationHeader.replace(/^OAuth/, 'oauth'),
    };

    await expect(verifier.verify(lower, NOW)).resolves.toBeDefined();
  });

  it('rejects duplicate parameter', async () => {
    const request = signRequest();
    const duplicated = {
      ...request,
      authorizationHeader: `${request.authorizationHeader}, oauth_nonce="x"`,
    };

    const error = await rejectionOf(verifier.verify(duplicated, NOW));

    expect(error.code).toBe('auth.oauth_header_invalid');
    expect(error.message).toContain('oauth_nonce');
  });

  it.each([
    'OAuth oauth_consumer_key=consumer-1',
    'OAuth oauth_consumer_key="consumer-1" oauth_token="t"x',
    'OAuth oauth_consumer_key="%E0%A4%A"',
  ])('rejects malformed header %s', async (header) => {
    const error = await rejectionOf(
      verifier.verify({ ...signRequest(), authorizationHeader: header }, NOW),
    );

    expect(error.code).toBe('auth.oauth_header_invalid');
  });

  it('rejects oversized nonce', async () => {
    const request = signRequest({ oauth: { oauth_nonce: 'n'.repeat(257) } });

    const error = await rejectionOf(verifier.verify(request, NOW));

    expect(error.code).toBe('auth.oauth_header_invalid');
  });

  it('rejects undecodable query', async () => {
    const request = signRequest({ url: 'https://127.0.0.1/p?a=1' });

    const error = await rejectionOf(
      verifier.verify({ ...request, url: 'https://127.0.0.1/p?a=%FF' }, NOW),
    );

    expect(error.code).toBe('auth.oauth_signature_invalid');
    expect(error.message).toContain('percent-encoded');
  });
});

describe('OAuth1Verifier parameter placement', () => {
  let nonces: MemoryNonceStore;
  let verifier: OAuth1Verifier;

  beforeEach(() => {
    nonces = new MemoryNonceStore();
    verifier = new OAuth1Verifier({ appKeys: new MemoryAppKeys([APP_KEY]), nonces });
  });

  it('rejects oauth_token in query', async () => {
    const request = signRequest({
      url: 'https://127.0.0.1:8443/mtls/account/123/certificates?oauth_token=token-1',
    });

    const error = await rejectionOf(verifier.verify(request, NOW));

    expect(error.code).toBe('auth.oauth_parameters_duplicated');
    expect(error.status).toBe(401);
    expect(error.message).toContain('oauth_token');
    expect(nonces.remembered).toHaveLength(0);
  });

  it('rejects oauth_ name in form body', async () => {
    const request = signRequest({
      method: 'POST',
      contentType: 'application/x-www-form-urlencoded',
      body: 'a=1&oauth_callback=oob',
    });

    const error = await rejectionOf(verifier.verify(request, NOW));

    expect(error.code).toBe('auth.oauth_parameters_duplicated');
    expect(error.message).toContain('form body');
  });

  it('leaves JSON body with oauth_ key alone', async () => {
    const request = signRequest({
      method: 'POST',
      contentType: 'application/json',
      body: 'oauth_token=in-json-body',
    });

    await expect(verifier.verify(request, NOW)).resolves.toBeDefined();
  });
});

describe('OAuth1Verifier with RFC 5849 example', () => {
  it('accepts RFC example request', async () => {
    const appKey: AppKey = {
      consumerKey: '9djdj82h48djs9d2',
      consumerSecret: 'j49sk3j29djd',
      token: 'kkk9d7dh3k39sjv7',
      tokenSecret: 'dh893hdasih9',
      accounts: ['123'],
      permissions: ['mtls.read'],
    };
    const verifier = new OAuth1Verifier({
      appKeys: new MemoryAppKeys([appKey]),
      nonces: new MemoryNonceStore(),
    });
    const request: OAuthRequest = {
      method: 'POST',
      // The host is only hashed into the signature, never contacted.
      url: 'http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b',
      contentType: 'application/x-www-form-urlencoded',
      body: 'c2&a3=2+q',
      authorizationHeader: [
        'OAuth realm="Example"',
        'oauth_consumer_key="9djdj82h48djs9d2"',
        'oauth_token="kkk9d7dh3k39sjv7"',
        'oauth_signature_method="HMAC-SHA1"',
        'oauth_timestamp="137131201"',
        'oauth_nonce="7d8f3e4a"',
        'oauth_signature="r6%2FTJjbCOr97%2F%2BUU0NsvSne7s5g%3D"',
      ].join(',\n '),
    };

    const identity = await verifier.verify(request, new Date(137131201 * 1000));

    expect(identity.principal).toBe('appkey:9djdj82h48djs9d2');
  });
});

describe('OAuth1Verifier options', () => {
  it.each([0, -1, 1.5])('rejects maxSkewSeconds %s', (maxSkewSeconds) => {
    const create = () =>
      new OAuth1Verifier({
        appKeys: new MemoryAppKeys([]),
        nonces: new MemoryNonceStore(),
        maxSkewSeconds,
      });

    expect(create).toThrow(TypeError);
  });
});
