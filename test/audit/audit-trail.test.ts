import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { AuditEvent } from '../../shared/audit/trail.js';
import { signDevToken } from '../../shared/auth/jwt.js';
import { tokenSettings } from '../../shared/http/authentication.js';
import { SecretAppKeyStore } from '../../shared/secrets/app-keys.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { call, certificateForm, type RequestOptions, type TestResponse } from '../support/http.js';
import { signOAuthRequest } from '../support/oauth-signer.js';
import { FIXTURE_PASSWORD, readFixture } from '../support/fixtures.js';
import { certificateItem, mappingItem, uniqueName } from '../support/objects.js';

const ACCOUNT = 'acme';
const OTHER = 'globex';
const PRINCIPAL = 'alice@example.test';
const CERTIFICATES = `/mtls/account/${ACCOUNT}/certificates`;
const MAPPINGS = `/api/account/${ACCOUNT}/configuration/ac-common/mtls`;

const p12 = readFixture('rsa-default.p12');

let gateway: TestGateway;
let aliceToken: string;

/** Sends a request as alice, who may write to ACCOUNT only. */
function asAlice(
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<TestResponse> {
  return gateway.request(method, path, {
    ...options,
    headers: { ...options.headers, authorization: `Bearer ${aliceToken}` },
  });
}

async function listAudit(account: string, query = ''): Promise<TestResponse> {
  return gateway.request('GET', `/mtls/account/${account}/audit${query}`);
}

/** Reads every event of the account, newest first, following `nextCursor`. */
async function allEvents(account: string): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  let cursor: number | null = null;
  do {
    const response = await listAudit(account, `?limit=200${cursor ? `&cursor=${cursor}` : ''}`);
    expect(response.status).toBe(200);
    events.push(...response.body.events);
    cursor = response.body.nextCursor;
  } while (cursor !== null);
  return events;
}

/** Runs `action` and returns its response with the events it added to the account, oldest first. */
async function recorded(
  action: () => Promise<TestResponse>,
  account = ACCOUNT,
): Promise<{ response: TestResponse; events: AuditEvent[] }> {
  const before = new Set((await allEvents(account)).map((event) => event.id));
  const response = await action();
  const events = (await allEvents(account)).filter((event) => !before.has(event.id)).reverse();
  return { response, events };
}

async function createCertificate(): Promise<number> {
  const response = await asAlice('POST', CERTIFICATES, {
    json: [certificateItem()],
  });
  expect(response.status).toBe(201);
  return response.body.successfulySavedCertificates[0].id;
}

async function createMapping(): Promise<{ id: number; revision: number; entity: object }> {
  const response = await asAlice('POST', `${MAPPINGS}?v=3.0`, {
    json: [mappingItem(ACCOUNT, await createCertificate(), '2')],
  });
  expect(response.status).toBe(201);
  const [entity] = response.body;
  return { id: entity.id, revision: entity.revision, entity };
}

/** A management write, the status it returns, and the object id its event names. */
interface ManagementAction {
  name: string;
  action: string;
  perform(): Promise<{ response: TestResponse; events: AuditEvent[]; objectId: number }>;
  status: number;
}

const managementActions: ManagementAction[] = [
  {
    name: 'certificate create JSON',
    action: 'certificate.create',
    status: 201,
    perform: async () => {
      const result = await recorded(() =>
        asAlice('POST', CERTIFICATES, {
          json: [{ name: uniqueName('json'), p12: [...p12], password: FIXTURE_PASSWORD }],
        }),
      );
      return { ...result, objectId: result.response.body.successfulySavedCertificates?.[0]?.id };
    },
  },
  {
    name: 'certificate create multipart',
    action: 'certificate.create',
    status: 201,
    perform: async () => {
      const result = await recorded(() =>
        asAlice('POST', `${CERTIFICATES}/by-file`, {
          body: certificateForm(p12, { name: uniqueName('file'), password: FIXTURE_PASSWORD }),
        }),
      );
      return { ...result, objectId: result.response.body.successfulySavedCertificates?.[0]?.id };
    },
  },
  {
    name: 'certificate update JSON',
    action: 'certificate.update',
    status: 200,
    perform: async () => {
      const id = await createCertificate();
      const result = await recorded(() =>
        asAlice('PUT', CERTIFICATES, { json: [{ id, name: uniqueName('renamed') }] }),
      );
      return { ...result, objectId: id };
    },
  },
  {
    name: 'certificate update multipart',
    action: 'certificate.update',
    status: 200,
    perform: async () => {
      const id = await createCertificate();
      const result = await recorded(() =>
        asAlice('PUT', `${CERTIFICATES}/by-file`, {
          body: certificateForm(p12, {
            id,
            name: uniqueName('replaced'),
            password: FIXTURE_PASSWORD,
          }),
        }),
      );
      return { ...result, objectId: id };
    },
  },
  {
    name: 'certificate delete',
    action: 'certificate.delete',
    status: 200,
    perform: async () => {
      const id = await createCertificate();
      const result = await recorded(() => asAlice('DELETE', `${CERTIFICATES}/${id}`));
      return { ...result, objectId: id };
    },
  },
  {
    name: 'mapping create',
    action: 'mapping.create',
    status: 201,
    perform: async () => {
      const certificateId = await createCertificate();
      const result = await recorded(() =>
        asAlice('POST', `${MAPPINGS}?v=3.0`, { json: [mappingItem(ACCOUNT, certificateId)] }),
      );
      return { ...result, objectId: result.response.body[0]?.id };
    },
  },
  {
    name: 'mapping update',
    action: 'mapping.update',
    status: 200,
    perform: async () => {
      const mapping = await createMapping();
      const result = await recorded(() =>
        asAlice('PUT', `${MAPPINGS}/${mapping.id}?v=3.0`, {
          json: { ...mapping.entity, enable: false },
          headers: { 'if-match': String(mapping.revision) },
        }),
      );
      return { ...result, objectId: mapping.id };
    },
  },
  {
    name: 'mapping delete',
    action: 'mapping.delete',
    status: 200,
    perform: async () => {
      const mapping = await createMapping();
      const result = await recorded(() => asAlice('DELETE', `${MAPPINGS}/${mapping.id}?v=3.0`));
      return { ...result, objectId: mapping.id };
    },
  },
];

beforeAll(async () => {
  gateway = await startTestGateway();
  aliceToken = await signDevToken({
    dataDir: gateway.dataDir,
    account: [ACCOUNT],
    permissions: ['mtls.read', 'mtls.write'],
    subject: PRINCIPAL,
    ...tokenSettings(),
  });
});

afterAll(async () => {
  await gateway?.close();
});

describe.each(managementActions)('audit of $name', (management) => {
  let outcome: Awaited<ReturnType<ManagementAction['perform']>>;

  beforeAll(async () => {
    outcome = await management.perform();
  });

  it('returns success status', () => {
    expect(outcome.response.status, outcome.response.text).toBe(management.status);
  });

  it('writes one event', () => {
    expect(outcome.events).toHaveLength(1);
  });

  it('records who did what', () => {
    expect(outcome.events[0]).toMatchObject({
      accountId: ACCOUNT,
      principal: PRINCIPAL,
      authType: 'jwt',
      action: management.action,
      objectId: outcome.objectId,
      outcome: 'success',
      detail: null,
    });
  });

  it('records a valid time', () => {
    const occurredAt = outcome.events[0]?.occurredAt ?? '';

    expect(new Date(occurredAt).toISOString()).toBe(occurredAt);
  });
});

describe('audit of failures', () => {
  it('records failed multipart upload', async () => {
    const { response, events } = await recorded(() =>
      asAlice('POST', `${CERTIFICATES}/by-file`, {
        body: certificateForm(p12, { name: uniqueName('bad'), password: 'not-the-password' }),
      }),
    );

    expect(response.status).toBe(400);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      action: 'certificate.create',
      objectId: null,
      outcome: 'failure',
      detail: 'certificate.password_invalid',
    });
  });

  it('records each batch item', async () => {
    const { response, events } = await recorded(() =>
      asAlice('POST', CERTIFICATES, {
        json: [
          { name: uniqueName('good'), p12: p12.toString('base64'), password: FIXTURE_PASSWORD },
          { name: uniqueName('bad'), p12: p12.toString('base64'), password: 'not-the-password' },
        ],
      }),
    );
    const savedId = response.body.successfulySavedCertificates[0].id;

    expect(response.status).toBe(201);
    expect(events.map((event) => [event.objectId, event.outcome, event.detail])).toEqual([
      [savedId, 'success', null],
      [null, 'failure', 'certificate.password_invalid (item 1)'],
    ]);
  });

  it('records the id of a failed update', async () => {
    const id = await createCertificate();

    const { response, events } = await recorded(() =>
      asAlice('PUT', CERTIFICATES, {
        json: [{ id, name: uniqueName('bad'), p12: p12.toString('base64') }],
      }),
    );

    expect(response.status).toBe(400);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      action: 'certificate.update',
      objectId: id,
      outcome: 'failure',
    });
  });

  it('records failed mapping delete', async () => {
    const missingId = 4_294_967_296 + 999_999;

    const { response, events } = await recorded(() =>
      asAlice('DELETE', `${MAPPINGS}/${missingId}?v=3.0`),
    );

    expect(response.status).toBe(404);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      action: 'mapping.delete',
      objectId: missingId,
      outcome: 'failure',
      detail: 'mapping.not_found',
    });
  });

  it('records nothing for reads', async () => {
    const id = await createCertificate();

    const { events } = await recorded(async () => {
      await asAlice('GET', CERTIFICATES);
      return asAlice('GET', `${CERTIFICATES}/${id}`);
    });

    expect(events).toEqual([]);
  });

  it('records nothing for forbidden write', async () => {
    const outsider = await gateway.token([OTHER], ['mtls.write']);

    const { response, events } = await recorded(() =>
      gateway.request('POST', CERTIFICATES, {
        json: [{ name: uniqueName('intruder'), p12: [...p12], password: FIXTURE_PASSWORD }],
        headers: { authorization: `Bearer ${outsider}` },
      }),
    );

    expect(response.status).toBe(403);
    expect(events).toEqual([]);
  });
});

describe('audit of OAuth callers', () => {
  it('records app key principal', async () => {
    const appKey = await new SecretAppKeyStore(gateway.dependencies.secrets).create({
      accounts: [ACCOUNT],
      permissions: ['mtls.write'],
    });
    const id = await createCertificate();
    const path = `${CERTIFICATES}/${id}`;
    const { authorization } = signOAuthRequest({
      method: 'DELETE',
      url: `${gateway.url}${path}`,
      credentials: appKey,
    });

    const { response, events } = await recorded(() =>
      call(gateway.url, 'DELETE', path, { headers: { authorization } }),
    );

    expect(response.status).toBe(200);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      principal: `appkey:${appKey.consumerKey}`,
      authType: 'oauth1',
      action: 'certificate.delete',
      objectId: id,
      outcome: 'success',
    });
  });
});

describe('audit list', () => {
  let everything: AuditEvent[];

  beforeAll(async () => {
    for (let index = 0; index < 5; index += 1) {
      await createCertificate();
    }
    everything = await allEvents(ACCOUNT);
  });

  it('lists newest first', () => {
    const ids = everything.map((event) => event.id);
    const times = everything.map((event) => Date.parse(event.occurredAt));

    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  it('pages with limit and cursor', async () => {
    const first = await listAudit(ACCOUNT, '?limit=2');
    const second = await listAudit(ACCOUNT, `?limit=2&cursor=${first.body.nextCursor}`);

    expect(first.body.events.map((event: AuditEvent) => event.id)).toEqual(
      everything.slice(0, 2).map((event) => event.id),
    );
    expect(first.body.nextCursor).toBe(everything[1]!.id);
    expect(second.body.events.map((event: AuditEvent) => event.id)).toEqual(
      everything.slice(2, 4).map((event) => event.id),
    );
  });

  it('ends with null cursor', async () => {
    const oldest = everything[everything.length - 2]!;

    const last = await listAudit(ACCOUNT, `?limit=5&cursor=${oldest.id}`);

    expect(last.body.events.map((event: AuditEvent) => event.id)).toEqual([
      everything[everything.length - 1]!.id,
    ]);
    expect(last.body.nextCursor).toBeNull();
  });

  it.each([
    ['limit', '?limit=0'],
    ['limit', '?limit=201'],
    ['limit', '?limit=ten'],
    ['cursor', '?cursor=-1'],
    ['cursor', '?cursor=1.5'],
  ])('rejects invalid %s %s', async (field, query) => {
    const response = await listAudit(ACCOUNT, query);

    expect(response.status).toBe(400);
    expect(response.body.errors.map((error: { field: string }) => error.field)).toEqual([field]);
  });

  it('forbids another account', async () => {
    const response = await asAlice('GET', `/mtls/account/${OTHER}/audit`);

    expect(response.status).toBe(403);
    expect(response.body.code).toBe('auth.account_forbidden');
  });

  it('keeps accounts apart', async () => {
    const upload = await gateway.request('POST', `/mtls/account/${OTHER}/certificates`, {
      json: [{ name: 'other-cert', p12: p12.toString('base64'), password: FIXTURE_PASSWORD }],
    });
    const ownIds = new Set((await allEvents(ACCOUNT)).map((event) => event.id));

    const otherEvents = await allEvents(OTHER);

    expect(upload.status).toBe(201);
    expect(otherEvents.map((event) => event.accountId)).toEqual([OTHER]);
    expect(otherEvents.filter((event) => ownIds.has(event.id))).toEqual([]);
  });
});
