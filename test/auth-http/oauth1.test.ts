import { createHash, randomBytes } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Permission } from '../../shared/auth/identity.js';
import { SecretAppKeyStore } from '../../shared/secrets/app-keys.js';
import { LocalSecretStore } from '../../shared/secrets/local.js';
import { captureLogs } from '../support/log-lines.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { call, type RequestOptions, type TestResponse } from '../support/http.js';
import {
  encodeOAuthValue,
  signOAuthRequest,
  type OAuthCredentials,
  type OAuthSignOptions,
} from '../support/oauth-signer.js';
import { createTestPki } from '../support/pki.js';
import type { EchoedRequest } from '../support/tls-servers.js';
import { startForwardTarget, type ForwardTarget } from './forward-target.js';

const ACCOUNT = 'acme';
const OTHER = 'globex';
const MAPPINGS = `/api/account/${ACCOUNT}/configuration/ac-common/mtls`;
const FORM = 'application/x-www-form-urlencoded';

let gateway: TestGateway;
let target: ForwardTarget;
let appKey: OAuthCredentials;

async function createAppKey(
  accounts: string[],
  permissions: Permission[] = ['mtls.read', 'mtls.write', 'mtls.forward'],
): Promise<OAuthCredentials> {
  const store = new SecretAppKeyStore(gateway.dependencies.secrets);
  const { consumerKey, consumerSecret, token, tokenSecret } = await store.create({
    accounts,
    permissions,
  });
  return { consumerKey, consumerSecret, token, tokenSecret };
}

interface OAuthCall {
  method: string;
  path: string;
  credentials?: OAuthCredentials;
  options?: RequestOptions;
  /** Signing options beyond method, URL and credentials. */
  sign?: Partial<OAuthSignOptions>;
}

/** Signs the request with the app key and sends it to the gateway. */
function sendSigned(request: OAuthCall): Promise<TestResponse> {
  const options = request.options ?? {};
  const { authorization } = signOAuthRequest({
    method: request.method,
    url: `${gateway.url}${request.path}`,
    credentials: request.credentials ?? appKey,
    ...request.sign,
  });
  return call(gateway.url, request.method, request.path, {
    ...options,
    headers: { ...options.headers, authorization },
  });
}

beforeAll(async () => {
  gateway = await startTestGateway();
  target = await startForwardTarget(createTestPki());
  appKey = await createAppKey([ACCOUNT]);
});

afterAll(async () => {
  await target?.stop();
  await gateway?.close();
});

describe('OAuth 1.0a test signer', () => {
  it('matches RFC 5849 base string', () => {
    // The request of RFC 5849 section 3.4.1.1, whose section 3.4.1.3.2 lists the normalized parameters.
    const signed = signOAuthRequest({
      method: 'POST',
      url: 'http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b',
      formBody: 'c2&a3=2+q',
      credentials: {
        consumerKey: '9djdj82h48djs9d2',
        consumerSecret: 'j49sk3j29djd',
        token: 'kkk9d7dh3k39sjv7',
        tokenSecret: 'dh893hdasih9',
      },
      timestamp: 137131201,
      nonce: '7d8f3e4a',
      oauthVersion: null,
    });
    const normalized =
      'a2=r%20b&a3=2%20q&a3=a&b5=%3D%253D&c%40=&c2=&oauth_consumer_key=9djdj82h48djs9d2' +
      '&oauth_nonce=7d8f3e4a&oauth_signature_method=HMAC-SHA1&oauth_timestamp=137131201' +
      '&oauth_token=kkk9d7dh3k39sjv7';

    expect(signed.baseString).toBe(
      `POST&http%3A%2F%2Fexample.com%2Frequest&${encodeOAuthValue(normalized)}`,
    );
  });
});

describe('OAuth 1.0a over HTTP', () => {
  it('accepts signed query parameters', async () => {
    const response = await sendSigned({
      method: 'GET',
      path: `${MAPPINGS}?v=3.0&note=a+b%2Bc%21&x=2&x=1&flag&empty=`,
    });

    expect(response.status, response.text).toBe(200);
    expect(Array.isArray(response.body)).toBe(true);
  });

  it('accepts JSON body', async () => {
    const response = await sendSigned({
      method: 'POST',
      path: `/mtls/account/${ACCOUNT}/mapping?v=2`,
      options: { json: [{ serviceName: 'IDP', url: 'https://idp.example.test/token' }] },
    });

    expect(response.status, response.text).toBe(200);
    expect(response.body[0].doExist).toBe(false);
  });

  it('forwards signed form body', async () => {
    const body = 'note=hello+world&symbols=%21%2A%27%28%29&note=again&empty=';
    const response = await sendSigned({
      method: 'POST',
      path: `/mtls/account/${ACCOUNT}`,
      options: {
        body,
        headers: { 'content-type': FORM, 'lp-forward-url': `${target.server.origin}/echo` },
      },
      sign: { formBody: body },
    });
    const echoed = response.body as EchoedRequest;

    expect(response.status, response.text).toBe(200);
    expect(echoed.bodySha256).toBe(createHash('sha256').update(body).digest('hex'));
    expect(echoed.headers.authorization).toBeUndefined();
  });

  it('rejects form body changed after signing', async () => {
    const forwardedBefore = target.server.requests.length;

    const response = await sendSigned({
      method: 'POST',
      path: `/mtls/account/${ACCOUNT}`,
      options: {
        body: 'amount=1000',
        headers: { 'content-type': FORM, 'lp-forward-url': `${target.server.origin}/echo` },
      },
      sign: { formBody: 'amount=1' },
    });

    expect(response.status).toBe(401);
    expect(response.body.code).toBe('auth.oauth_signature_invalid');
    expect(target.server.requests).toHaveLength(forwardedBefore);
  });

  it('rejects query changed after signing', async () => {
    const { authorization } = signOAuthRequest({
      method: 'GET',
      url: `${gateway.url}${MAPPINGS}?v=3.0`,
      credentials: appKey,
    });

    const response = await call(gateway.url, 'GET', `${MAPPINGS}?v=3.0&extra=1`, {
      headers: { authorization },
    });

    expect(response.status).toBe(401);
    expect(response.body.code).toBe('auth.oauth_signature_invalid');
  });

  const rejected: [string, Partial<OAuthSignOptions>, string, string][] = [
    [
      'missing nonce',
      { omit: ['oauth_nonce'] },
      'auth.oauth_parameter_missing',
      'parameter_absent',
    ],
    [
      'missing token',
      { omit: ['oauth_token'] },
      'auth.oauth_parameter_missing',
      'parameter_absent',
    ],
    [
      'HMAC-SHA256 method',
      { signatureMethod: 'HMAC-SHA256' },
      'auth.oauth_signature_method',
      'signature_method_rejected',
    ],
    [
      'timestamp 6 minutes old',
      { timestamp: Math.floor(Date.now() / 1000) - 360 },
      'auth.oauth_timestamp',
      'timestamp_refused',
    ],
    [
      'timestamp 6 minutes ahead',
      { timestamp: Math.floor(Date.now() / 1000) + 360 },
      'auth.oauth_timestamp',
      'timestamp_refused',
    ],
  ];

  it.each(rejected)('rejects %s', async (_name, sign, code, problem) => {
    const response = await sendSigned({ method: 'GET', path: `${MAPPINGS}?v=3.0`, sign });

    expect(response.status).toBe(401);
    expect(response.body.code).toBe(code);
    expect(response.headers.get('www-authenticate')).toBe(
      `OAuth realm="mtls-gateway", oauth_problem="${problem}"`,
    );
  });

  it('rejects unknown consumer key', async () => {
    const response = await sendSigned({
      method: 'GET',
      path: `${MAPPINGS}?v=3.0`,
      credentials: { ...appKey, consumerKey: 'f00dfeedf00dfeedf00dfeedf00dfeed' },
    });

    expect(response.status).toBe(401);
    expect(response.body.code).toBe('auth.oauth_consumer_unknown');
  });

  it('rejects wrong consumer secret', async () => {
    const response = await sendSigned({
      method: 'GET',
      path: `${MAPPINGS}?v=3.0`,
      credentials: { ...appKey, consumerSecret: `${appKey.consumerSecret}x` },
    });

    expect(response.status).toBe(401);
    expect(response.body.code).toBe('auth.oauth_signature_invalid');
    expect(response.headers.get('www-authenticate')).toContain('oauth_problem="signature_invalid"');
  });

  it('rejects token of another key', async () => {
    const other = await createAppKey([ACCOUNT]);

    const response = await sendSigned({
      method: 'GET',
      path: `${MAPPINGS}?v=3.0`,
      credentials: { ...appKey, token: other.token, tokenSecret: other.tokenSecret },
    });

    expect(response.status).toBe(401);
    expect(response.body.code).toBe('auth.oauth_signature_invalid');
  });

  it('rejects replayed nonce', async () => {
    const { authorization } = signOAuthRequest({
      method: 'GET',
      url: `${gateway.url}${MAPPINGS}?v=3.0`,
      credentials: appKey,
    });
    const send = () =>
      call(gateway.url, 'GET', `${MAPPINGS}?v=3.0`, { headers: { authorization } });

    const first = await send();
    const second = await send();

    expect(first.status).toBe(200);
    expect(second.status).toBe(401);
    expect(second.body.code).toBe('auth.oauth_nonce_replayed');
  });

  it('forbids another account', async () => {
    const foreign = await createAppKey([OTHER]);

    const response = await sendSigned({
      method: 'GET',
      path: `${MAPPINGS}?v=3.0`,
      credentials: foreign,
    });

    expect(response.status).toBe(403);
    expect(response.body.code).toBe('auth.account_forbidden');
  });

  it('forbids missing permission', async () => {
    const readOnly = await createAppKey([ACCOUNT], ['mtls.read']);

    const response = await sendSigned({
      method: 'POST',
      path: `/mtls/account/${ACCOUNT}/mapping?v=2`,
      credentials: readOnly,
      options: { json: [{ serviceName: 'IDP', url: 'https://idp.example.test/token' }] },
    });

    expect(response.status).toBe(403);
    expect(response.body.code).toBe('auth.permission_missing');
  });
});

describe('OAuth 1.0a parameter placement', () => {
  it.each([
    ['oauth_token', (key: OAuthCredentials) => `oauth_token=${key.token}`],
    ['oauth_nonce', () => 'oauth_nonce=second-nonce'],
    ['oauth_signature', () => 'oauth_signature=c2lnbmF0dXJl'],
    ['percent-encoded name', (key: OAuthCredentials) => `oauth%5Ftoken=${key.token}`],
  ])('rejects %s in query', async (_case, parameter) => {
    const response = await sendSigned({
      method: 'GET',
      path: `${MAPPINGS}?v=3.0&${parameter(appKey)}`,
    });

    expect(response.status).toBe(401);
    expect(response.body.code).toBe('auth.oauth_parameters_duplicated');
    expect(response.body.detail).toContain('query string');
    expect(response.headers.get('www-authenticate')).toBe(
      'OAuth realm="mtls-gateway", oauth_problem="parameter_rejected"',
    );
  });

  it('rejects oauth_ parameter in form body', async () => {
    const body = `note=hello&oauth_consumer_key=${appKey.consumerKey}`;
    const forwardedBefore = target.server.requests.length;

    const response = await sendSigned({
      method: 'POST',
      path: `/mtls/account/${ACCOUNT}`,
      options: {
        body,
        headers: { 'content-type': FORM, 'lp-forward-url': `${target.server.origin}/echo` },
      },
      sign: { formBody: body },
    });

    expect(response.status).toBe(401);
    expect(response.body.code).toBe('auth.oauth_parameters_duplicated');
    expect(response.body.detail).toContain('form body');
    expect(target.server.requests).toHaveLength(forwardedBefore);
  });

  it('accepts oauth-like names without underscore', async () => {
    const response = await sendSigned({
      method: 'GET',
      path: `${MAPPINGS}?v=3.0&oauth=1&oauthx=2`,
    });

    expect(response.status, response.text).toBe(200);
  });
});

describe('OAuth 1.0a app key store', () => {
  it('answers 503 for an unreadable app key', async () => {
    // Sealed with another MTLS_LOCAL_SECRET_KEY, so the gateway's store cannot decrypt it.
    const foreignStore = await LocalSecretStore.open(
      gateway.dataDir,
      randomBytes(32).toString('base64'),
    );
    const foreign = await new SecretAppKeyStore(foreignStore).create({
      accounts: [ACCOUNT],
      permissions: ['mtls.read'],
    });
    const logs = captureLogs();

    let response: TestResponse;
    try {
      response = await sendSigned({
        method: 'GET',
        path: `${MAPPINGS}?v=3.0`,
        credentials: foreign,
      });
    } finally {
      logs.stop();
    }
    const failures = logs.withMessage('Failed to read app key from the secret store');

    expect(response.status).toBe(503);
    expect(response.body.code).toBe('auth.appkey_store_unavailable');
    expect(response.body.detail).toBe(
      "The app key store could not be read; retry later or check the gateway's secret key.",
    );
    expect(failures).toHaveLength(1);
    expect(failures[0]?.consumerKey).toBe(foreign.consumerKey);
    expect(logs.text()).not.toContain(foreign.consumerSecret);
    expect(logs.text()).not.toContain(foreign.tokenSecret);
  });

  it('still answers 401 for a missing app key', async () => {
    const response = await sendSigned({
      method: 'GET',
      path: `${MAPPINGS}?v=3.0`,
      credentials: { ...appKey, consumerKey: 'abad1deaabad1deaabad1deaabad1dea' },
    });

    expect(response.status).toBe(401);
    expect(response.body.code).toBe('auth.oauth_consumer_unknown');
  });
});
