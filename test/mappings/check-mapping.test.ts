import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { FIXTURE_PASSWORD, readFixture } from '../support/fixtures.js';

const ACCOUNT = '123';
const MAPPINGS = `/api/account/${ACCOUNT}/configuration/ac-common/mtls?v=3.0`;

describe('check mapping', () => {
  let gateway: TestGateway;
  let certificateId: number;

  beforeAll(async () => {
    gateway = await startTestGateway();
    const uploaded = await gateway.request('POST', `/mtls/account/${ACCOUNT}/certificates`, {
      json: [{ name: 'idp', p12: [...readFixture('rsa-default.p12')], password: FIXTURE_PASSWORD }],
    });
    certificateId = uploaded.body.successfulySavedCertificates[0].id;

    const created = await gateway.request('POST', MAPPINGS, {
      json: [
        {
          certificationId: certificateId,
          serviceId: '1',
          enable: true,
          url: 'https://idp.example.test/token',
          siteId: ACCOUNT,
          name: 'idp',
        },
        {
          certificationId: certificateId,
          serviceId: '2',
          enable: false,
          url: 'https://hooks.example.test/',
          siteId: ACCOUNT,
          name: 'hooks-off',
        },
      ],
    });
    expect(created.status).toBe(201);
  });

  afterAll(async () => {
    await gateway.close();
  });

  /**
   * Asserts a problem with `status` naming `field`, and that the account's mappings are
   * exactly as before.
   */
  async function expectRejected(
    send: () => Promise<{ status: number; body: any; headers: Headers }>,
    field: string,
    code: string,
    status = 400,
  ) {
    const before = await gateway.request('GET', MAPPINGS);

    const response = await send();
    const after = await gateway.request('GET', MAPPINGS);

    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(response.body.code).toBe(code);
    expect(response.body.errors.map((error: { field: string }) => error.field)).toContain(field);
    expect(after.body).toEqual(before.body);
    return response;
  }

  it('answers v1 with LivePerson keys', async () => {
    const response = await gateway.request('POST', '/mtls/mapping?v=1', {
      json: [
        { serviceName: 'IDP', accountId: ACCOUNT, url: 'https://IDP.example.test:443/token?x=1' },
        { serviceName: 'IDP', accountId: ACCOUNT, url: 'https://idp.example.test/other' },
      ],
    });

    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      "CertificateMappingParamters{serviceName='IDP', accountId='123', url='https://IDP.example.test:443/token?x=1'}": true,
      "CertificateMappingParamters{serviceName='IDP', accountId='123', url='https://idp.example.test/other'}": false,
    });
  });

  it('defaults to v1', async () => {
    const response = await gateway.request('POST', '/mtls/mapping', {
      json: [{ serviceName: '1', accountId: ACCOUNT, url: 'https://idp.example.test/token' }],
    });

    expect(Object.values(response.body)).toEqual([true]);
  });

  it('answers v2 with doExist', async () => {
    const items = [
      { serviceName: 'IDP', accountId: ACCOUNT, url: 'https://idp.example.test/token' },
      { serviceName: 'WEBHOOKS', accountId: ACCOUNT, url: 'https://hooks.example.test/' },
    ];

    const response = await gateway.request('POST', '/mtls/mapping?v=2', { json: items });

    expect(response.body).toEqual([
      { ...items[0], doExist: true },
      { ...items[1], doExist: false },
    ]);
  });

  it('answers the account route', async () => {
    const response = await gateway.request('POST', `/mtls/account/${ACCOUNT}/mapping?v=2`, {
      json: [{ serviceName: 'IDP', url: 'https://idp.example.test/token' }],
    });

    expect(response.status).toBe(200);
    expect(response.body[0].doExist).toBe(true);
  });

  it.each([
    ['the path account', ACCOUNT],
    ['the path account as a number', Number(ACCOUNT)],
  ])('accepts an item naming %s', async (_case, accountId) => {
    const item = { serviceName: 'IDP', accountId, url: 'https://idp.example.test/token' };

    const response = await gateway.request('POST', `/mtls/account/${ACCOUNT}/mapping?v=2`, {
      json: [item],
    });

    expect(response.status).toBe(200);
    expect(response.body).toEqual([{ ...item, doExist: true }]);
  });

  it.each([
    ['another account', 'someone-else'],
    ['an invalid account', 'a b'],
    ['null', null],
  ])('rejects an account route item naming %s', async (_case, accountId) => {
    const response = await expectRejected(
      () =>
        gateway.request('POST', `/mtls/account/${ACCOUNT}/mapping?v=2`, {
          json: [
            { serviceName: 'IDP', url: 'https://idp.example.test/token' },
            { serviceName: 'IDP', accountId, url: 'https://idp.example.test/token' },
          ],
        }),
      '[1].accountId',
      'mapping.check_invalid',
    );

    expect(response.body.errors).toHaveLength(1);
    expect(response.body.errors[0].message).toContain(`path account (${ACCOUNT})`);
  });

  it.each([
    [
      'item as array',
      '/mtls/mapping?v=2',
      [[]],
      '[0]',
      'must be a JSON object with "serviceName", "accountId" and "url", not an array.',
    ],
    [
      'account route item as array',
      `/mtls/account/${ACCOUNT}/mapping?v=2`,
      [['IDP']],
      '[0]',
      'must be a JSON object with "serviceName" and "url" (optional: "accountId"), not an array.',
    ],
    [
      'account route item as null',
      `/mtls/account/${ACCOUNT}/mapping?v=2`,
      [null],
      '[0]',
      'must be a JSON object with "serviceName" and "url" (optional: "accountId"), not null.',
    ],
    [
      'url as number',
      '/mtls/mapping?v=2',
      [{ serviceName: 'IDP', accountId: ACCOUNT, url: 5 }],
      '[0].url',
      'must be a string, not a number. Send the absolute https URL to check.',
    ],
    [
      'missing serviceName',
      '/mtls/mapping?v=2',
      [{ accountId: ACCOUNT, url: 'https://idp.example.test/token' }],
      '[0].serviceName',
      'is missing. Use TEST_SERVICE, IDP or WEBHOOKS.',
    ],
  ])('explains %s', async (_case, path, body, field, message) => {
    const response = await expectRejected(
      () => gateway.request('POST', path, { json: body }),
      field,
      'mapping.check_invalid',
    );

    expect(response.body.errors[0].message).toBe(message);
    expect(JSON.stringify(response.body)).not.toContain('Invalid input');
  });

  it('rejects an account route item of v1', async () => {
    await expectRejected(
      () =>
        gateway.request('POST', `/mtls/account/${ACCOUNT}/mapping?v=1`, {
          json: [{ serviceName: 'IDP', accountId: 'other', url: 'https://idp.example.test/token' }],
        }),
      '[0].accountId',
      'mapping.check_invalid',
    );
  });

  it('accepts a lower-case service name', async () => {
    const response = await gateway.request('POST', '/mtls/mapping?v=2', {
      json: [{ serviceName: 'idp', accountId: ACCOUNT, url: 'https://idp.example.test/token' }],
    });

    expect(response.status).toBe(200);
    expect(response.body[0].doExist).toBe(true);
  });

  it.each([
    ['dotless i', 'ıdp'],
    ['long s', 'teſt_service'],
    ['trailing long s', 'webhookſ'],
  ])('rejects service name with %s', async (_case, serviceName) => {
    await expectRejected(
      () =>
        gateway.request('POST', '/mtls/mapping?v=2', {
          json: [{ serviceName, accountId: ACCOUNT, url: 'https://idp.example.test/token' }],
        }),
      '[0].serviceName',
      'mapping.check_invalid',
    );
  });

  it.each(['text/plain', 'application/x-www-form-urlencoded'])(
    'rejects a check sent as %s',
    async (contentType) => {
      await expectRejected(
        () =>
          gateway.request('POST', '/mtls/mapping?v=2', {
            json: [{ serviceName: 'IDP', accountId: ACCOUNT, url: 'https://idp.example.test/' }],
            headers: { 'content-type': contentType },
          }),
        'header:Content-Type',
        'request.media_type_unsupported',
        415,
      );
    },
  );

  it('checks without Content-Type', async () => {
    const items = [
      { serviceName: 'IDP', accountId: ACCOUNT, url: 'https://idp.example.test/token' },
    ];

    // A byte body makes fetch send no Content-Type, unlike a string body (text/plain).
    const response = await gateway.request('POST', '/mtls/mapping?v=2', {
      body: Buffer.from(JSON.stringify(items)),
    });

    expect(response.status).toBe(200);
    expect(response.body[0].doExist).toBe(true);
  });

  it('reports false for an expired certificate', async () => {
    const { sql } = gateway.dependencies;
    await sql.execute(
      `UPDATE certificates SET not_after = now() - interval '1 day' WHERE id = :id`,
      { id: certificateId },
    );
    await gateway.request('GET', `/mtls/account/${ACCOUNT}/certificates`);

    try {
      // A management write clears the runtime cache, as an expiry job would after its scan.
      await gateway.request('PUT', `/mtls/account/${ACCOUNT}/certificates`, {
        json: [{ id: certificateId, name: 'idp' }],
      });
      const response = await gateway.request('POST', '/mtls/mapping?v=2', {
        json: [{ serviceName: 'IDP', accountId: ACCOUNT, url: 'https://idp.example.test/token' }],
      });

      expect(response.body[0].doExist).toBe(false);
    } finally {
      await sql.execute(
        `UPDATE certificates SET not_after = now() + interval '100 years' WHERE id = :id`,
        { id: certificateId },
      );
      await gateway.request('PUT', `/mtls/account/${ACCOUNT}/certificates`, {
        json: [{ id: certificateId, name: 'idp' }],
      });
    }
  });

  it('checks 1000 items in one request', async () => {
    const items = Array.from({ length: 1000 }, (_, index) => ({
      serviceName: 'IDP',
      accountId: ACCOUNT,
      url: index === 999 ? 'https://idp.example.test/token' : `https://idp.example.test/p/${index}`,
    }));

    const response = await gateway.request('POST', '/mtls/mapping?v=2', { json: items });

    expect(response.status).toBe(200);
    expect(response.body).toHaveLength(1000);
    expect(response.body.filter((item: { doExist: boolean }) => item.doExist)).toHaveLength(1);
  });

  it('rejects 1001 items', async () => {
    const items = Array.from({ length: 1001 }, () => ({
      serviceName: 'IDP',
      accountId: ACCOUNT,
      url: 'https://a.example.test/',
    }));

    const response = await gateway.request('POST', '/mtls/mapping?v=2', { json: items });

    expect(response.status).toBe(400);
    expect(response.body.code).toBe('mapping.check_too_many');
  });

  it.each([
    ['wrong v', '/mtls/mapping?v=3', [], 'v'],
    ['non-array body', '/mtls/mapping?v=2', { serviceName: 'IDP' }, 'body'],
    ['missing url', '/mtls/mapping?v=2', [{ serviceName: 'IDP', accountId: ACCOUNT }], '[0].url'],
    [
      'unknown service',
      '/mtls/mapping?v=2',
      [{ serviceName: 'FAX', accountId: ACCOUNT, url: 'https://a.example.test/' }],
      '[0].serviceName',
    ],
    [
      'relative url',
      '/mtls/mapping?v=2',
      [{ serviceName: 'IDP', accountId: ACCOUNT, url: 'a/b' }],
      '[0].url',
    ],
    [
      'bad account',
      '/mtls/mapping?v=2',
      [{ serviceName: 'IDP', accountId: 'a b', url: 'https://a.example.test/' }],
      '[0].accountId',
    ],
  ])('rejects %s with 400', async (_case, path, body, field) => {
    const response = await gateway.request('POST', path, { json: body });

    expect(response.status).toBe(400);
    expect(response.body.errors.map((error: { field: string }) => error.field)).toContain(field);
  });

  it('rejects a batch naming a forbidden account', async () => {
    const token = await gateway.token([ACCOUNT], ['mtls.forward']);

    const response = await gateway.request('POST', '/mtls/mapping?v=2', {
      json: [
        { serviceName: 'IDP', accountId: ACCOUNT, url: 'https://idp.example.test/token' },
        { serviceName: 'IDP', accountId: 'someone-else', url: 'https://idp.example.test/token' },
      ],
      headers: { authorization: `Bearer ${token}` },
    });

    expect(response.status).toBe(403);
  });
});
