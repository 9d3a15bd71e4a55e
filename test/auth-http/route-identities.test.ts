import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { PERMISSIONS, type Permission } from '../../shared/auth/identity.js';
import { loadOrCreateLocalSigningKey } from '../../shared/auth/jwt.js';
import { tokenSettings } from '../../shared/http/authentication.js';
import { type HttpMethod, type RouteDefinition, routes } from '../../shared/routes.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { certificateForm, type RequestOptions } from '../support/http.js';
import { createTestPki } from '../support/pki.js';
import { FIXTURE_PASSWORD, readFixture } from '../support/fixtures.js';
import { startForwardTarget, type ForwardTarget } from './forward-target.js';
import { certificateItem, mappingItem, uniqueName } from '../support/objects.js';

const ACCOUNT = 'acme';
const OTHER = 'globex';
const CERTIFICATES = `/mtls/account/${ACCOUNT}/certificates`;
const MAPPINGS = `/api/account/${ACCOUNT}/configuration/ac-common/mtls`;

/** One request that the route's handler accepts, and the status it returns. */
interface RouteRequest {
  path: string;
  options: RequestOptions;
  expectedStatus: number;
}

type RequestBuilder = (method: HttpMethod) => Promise<RouteRequest>;

/** How the caller presents itself, and the status every route must return. */
interface IdentityCase {
  name: string;
  authorization: (route: RouteDefinition) => Promise<string>;
  /** The denial status, or undefined when the request must reach the handler. */
  deniedStatus?: 401 | 403;
}

let gateway: TestGateway;
let target: ForwardTarget;

const p12 = readFixture('rsa-default.p12');

async function createCertificate(): Promise<number> {
  const response = await gateway.request('POST', CERTIFICATES, {
    json: [certificateItem()],
  });
  expect(response.status).toBe(201);
  return response.body.successfulySavedCertificates[0].id;
}

async function createMapping(): Promise<{ id: number; revision: number; entity: object }> {
  const response = await gateway.request('POST', `${MAPPINGS}?v=3.0`, {
    json: [mappingItem(ACCOUNT, await createCertificate(), '1')],
  });
  expect(response.status).toBe(201);
  return { id: response.body[0].id, revision: response.body[0].revision, entity: response.body[0] };
}

function p12TestForm(): FormData {
  const form = new FormData();
  form.append('file', new Blob([p12]), 'client.p12');
  form.append('password', FIXTURE_PASSWORD);
  return form;
}

/** A valid request for every route id. A route missing here fails its tests. */
const builders: Record<string, RequestBuilder> = {
  'certificates-create': async () => ({
    path: CERTIFICATES,
    options: {
      json: [{ name: uniqueName('cert'), p12: [...p12], password: FIXTURE_PASSWORD }],
    },
    expectedStatus: 201,
  }),
  'certificates-create-by-file': async () => ({
    path: `${CERTIFICATES}/by-file`,
    options: {
      body: certificateForm(p12, { name: uniqueName('file'), password: FIXTURE_PASSWORD }),
    },
    expectedStatus: 201,
  }),
  'certificates-update': async () => ({
    path: CERTIFICATES,
    options: { json: [{ id: await createCertificate(), name: uniqueName('renamed') }] },
    expectedStatus: 200,
  }),
  'certificates-update-by-file': async () => ({
    path: `${CERTIFICATES}/by-file`,
    options: {
      body: certificateForm(p12, {
        id: await createCertificate(),
        name: uniqueName('replaced'),
        password: FIXTURE_PASSWORD,
      }),
    },
    expectedStatus: 200,
  }),
  'certificates-list': async () => ({ path: CERTIFICATES, options: {}, expectedStatus: 200 }),
  'certificates-get': async () => ({
    path: `${CERTIFICATES}/${await createCertificate()}`,
    options: {},
    expectedStatus: 200,
  }),
  'certificates-delete': async () => ({
    path: `${CERTIFICATES}/${await createCertificate()}`,
    options: {},
    expectedStatus: 200,
  }),
  'certificates-download': async () => ({
    path: `${CERTIFICATES}/${await createCertificate()}/download`,
    options: {},
    expectedStatus: 200,
  }),
  'mappings-create': async () => ({
    path: `${MAPPINGS}?v=3.0`,
    options: { json: [mappingItem(ACCOUNT, await createCertificate(), '1')] },
    expectedStatus: 201,
  }),
  'mappings-list': async () => ({ path: `${MAPPINGS}?v=3.0`, options: {}, expectedStatus: 200 }),
  'mappings-get': async () => ({
    path: `${MAPPINGS}/${(await createMapping()).id}?v=3.0`,
    options: {},
    expectedStatus: 200,
  }),
  'mappings-update': async () => {
    const mapping = await createMapping();
    return {
      path: `${MAPPINGS}/${mapping.id}?v=3.0`,
      options: {
        json: { ...mapping.entity, enable: false },
        headers: { 'if-match': String(mapping.revision) },
      },
      expectedStatus: 200,
    };
  },
  'mappings-delete': async () => ({
    path: `${MAPPINGS}/${(await createMapping()).id}?v=3.0`,
    options: {},
    expectedStatus: 200,
  }),
  'runtime-check-mapping': async () => ({
    path: '/mtls/mapping?v=2',
    options: {
      json: [{ serviceName: 'IDP', accountId: ACCOUNT, url: 'https://idp.example.test/token' }],
    },
    expectedStatus: 200,
  }),
  'runtime-forward': async (method) => ({
    path: `/mtls/account/${ACCOUNT}`,
    options: {
      headers: { 'lp-forward-url': `${target.server.origin}/echo` },
      ...(method === 'GET' || method === 'DELETE' ? {} : { json: { hello: 'target' } }),
    },
    expectedStatus: 200,
  }),
  'runtime-p12-test': async () => ({
    path: `/mtls/account/${ACCOUNT}/p12-test/multipart`,
    options: { body: p12TestForm() },
    expectedStatus: 200,
  }),
  'audit-list': async () => ({
    path: `/mtls/account/${ACCOUNT}/audit`,
    options: {},
    expectedStatus: 200,
  }),
  'runtime-check-account-mapping': async () => ({
    path: `/mtls/account/${ACCOUNT}/mapping?v=2`,
    options: { json: [{ serviceName: 'IDP', url: 'https://idp.example.test/token' }] },
    expectedStatus: 200,
  }),
};

/** Signs a token with the gateway's local key that expired two minutes ago, past the leeway. */
async function expiredToken(): Promise<string> {
  const { privateKey, kid } = await loadOrCreateLocalSigningKey(gateway.dataDir);
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ accounts: [ACCOUNT], permissions: [...PERMISSIONS] })
    .setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' })
    .setIssuer(tokenSettings().issuer)
    .setAudience(tokenSettings().audience)
    .setSubject('expired-caller')
    .setIssuedAt(now - 3600)
    .setExpirationTime(now - 120)
    .sign(privateKey);
}

function allBut(permission: Permission): Permission[] {
  return PERMISSIONS.filter((candidate) => candidate !== permission);
}

const identities: IdentityCase[] = [
  { name: 'no credentials', authorization: async () => '', deniedStatus: 401 },
  {
    name: 'malformed bearer',
    authorization: async () => 'Bearer not-a-jwt',
    deniedStatus: 401,
  },
  {
    name: 'expired token',
    authorization: async () => `Bearer ${await expiredToken()}`,
    deniedStatus: 401,
  },
  {
    name: 'other account',
    authorization: async () => `Bearer ${await gateway.token([OTHER])}`,
    deniedStatus: 403,
  },
  {
    name: 'missing permission',
    authorization: async (route) =>
      `Bearer ${await gateway.token([ACCOUNT], allBut(route.permission))}`,
    deniedStatus: 403,
  },
  {
    name: 'right identity',
    authorization: async (route) => `Bearer ${await gateway.token([ACCOUNT], [route.permission])}`,
  },
];

const routeMethods = routes.flatMap((route) => route.methods.map((method) => ({ route, method })));

beforeAll(async () => {
  gateway = await startTestGateway();
  target = await startForwardTarget(createTestPki());
});

afterAll(async () => {
  await target?.stop();
  await gateway?.close();
});

describe('route table', () => {
  it('has a request for each route', () => {
    const missing = routes.map((route) => route.id).filter((id) => !(id in builders));

    expect(missing).toEqual([]);
  });
});

describe.each(routeMethods)('$route.id $method', ({ route, method }) => {
  it.each(identities)('$name', async (identity) => {
    const build = builders[route.id];
    if (build === undefined) {
      throw new Error(`No request is defined for route ${route.id}.`);
    }
    const request = await build(method);
    const authorization = await identity.authorization(route);

    const response = await gateway.request(method, request.path, {
      ...request.options,
      headers: { ...request.options.headers, authorization },
    });

    if (identity.deniedStatus === undefined) {
      expect(response.status, response.text).toBe(request.expectedStatus);
      return;
    }
    expect(response.status, response.text).toBe(identity.deniedStatus);
    if (identity.deniedStatus === 401) {
      expect(response.headers.get('www-authenticate')).toMatch(/realm="mtls-gateway"/);
    }
  });
});

describe('check-mapping tenancy by item accounts', () => {
  const item = (accountId: string) => ({
    serviceName: 'IDP',
    accountId,
    url: 'https://idp.example.test/token',
  });

  it.each([
    ['v1 own account', '1', [ACCOUNT], [item(ACCOUNT)], 200],
    ['v1 other account', '1', [ACCOUNT], [item(OTHER)], 403],
    ['v2 mixed accounts', '2', [ACCOUNT], [item(ACCOUNT), item(OTHER)], 403],
    ['v2 both accounts', '2', [ACCOUNT, OTHER], [item(ACCOUNT), item(OTHER)], 200],
    ['v2 every account', '2', '*', [item(ACCOUNT), item(OTHER)], 200],
  ] as const)('%s', async (_case, version, accounts, items, expectedStatus) => {
    const token = await gateway.token(accounts === '*' ? '*' : [...accounts], ['mtls.forward']);

    const response = await gateway.request('POST', `/mtls/mapping?v=${version}`, {
      json: items,
      headers: { authorization: `Bearer ${token}` },
    });

    expect(response.status, response.text).toBe(expectedStatus);
  });
});
