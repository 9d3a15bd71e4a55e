import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { MAX_MAPPINGS_PER_REQUEST } from '../../shared/mappings/input.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { FIXTURE_PASSWORD, readFixture } from '../support/fixtures.js';
import { INVALID_PATH_IDS } from '../support/http.js';

const ACCOUNT = 'acme';
const OTHER = 'globex';
const BASE = `/api/account/${ACCOUNT}/configuration/ac-common/mtls`;

describe('mapping routes', () => {
  let gateway: TestGateway;
  let certificateId: number;
  let otherCertificateId: number;

  async function upload(account: string, name: string): Promise<number> {
    const response = await gateway.request('POST', `/mtls/account/${account}/certificates`, {
      json: [
        {
          name,
          p12: readFixture('rsa-default.p12').toString('base64'),
          password: FIXTURE_PASSWORD,
        },
      ],
    });
    expect(response.status).toBe(201);
    return response.body.successfulySavedCertificates[0].id;
  }

  function mapping(overrides: Record<string, unknown> = {}) {
    return {
      certificationId: certificateId,
      serviceId: '1',
      enable: true,
      url: 'https://idp.example.test/token',
      siteId: ACCOUNT,
      name: `m-${Math.random().toString(36).slice(2)}`,
      deleted: false,
      ...overrides,
    };
  }

  async function listNames(): Promise<string[]> {
    const listed = await gateway.request('GET', `${BASE}?v=3.0`);
    return listed.body.map((item: { name: string }) => item.name);
  }

  /** Creates one mapping with a URL of its own unless `overrides` names one. */
  async function createOne(overrides: Record<string, unknown> = {}) {
    const url = `https://one-${Math.random().toString(36).slice(2)}.example.test/`;
    const created = await gateway.request('POST', `${BASE}?v=3.0`, {
      json: [mapping({ url, ...overrides })],
    });
    expect(created.status).toBe(201);
    return created.body[0];
  }

  /**
   * Asserts a problem with `status` naming `field`, and that the account's mappings are
   * exactly as before.
   */
  async function expectRejected(
    send: () => Promise<{ status: number; body: any; headers: Headers; text: string }>,
    field: string,
    code: string,
    status = 400,
  ) {
    const before = await gateway.request('GET', `${BASE}?v=3.0`);

    const response = await send();
    const after = await gateway.request('GET', `${BASE}?v=3.0`);

    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(response.body.code).toBe(code);
    expect(response.body.errors.map((error: { field: string }) => error.field)).toContain(field);
    expect(after.body).toEqual(before.body);
    return response;
  }

  beforeAll(async () => {
    gateway = await startTestGateway();
    certificateId = await upload(ACCOUNT, 'idp-client');
    otherCertificateId = await upload(OTHER, 'other-client');
  });

  afterAll(async () => {
    await gateway.close();
  });

  it('creates and lists mappings', async () => {
    const created = await gateway.request('POST', `${BASE}?v=3.0`, {
      json: [mapping({ url: 'https://list.example.test/a', name: 'list-a' })],
    });
    const listed = await gateway.request('GET', `${BASE}?v=3.0`);

    expect(created.status).toBe(201);
    expect(created.body[0]).toMatchObject({
      certificationId: certificateId,
      serviceId: '1',
      enable: true,
      siteId: ACCOUNT,
      name: 'list-a',
      deleted: false,
      revision: 1,
    });
    expect(created.body[0].id).toBeGreaterThan(2 ** 32);
    expect(listed.body.map((item: { name: string }) => item.name)).toContain('list-a');
  });

  it('returns the revision as ETag', async () => {
    const created = await gateway.request('POST', `${BASE}?v=3.0`, {
      json: [mapping({ url: 'https://etag.example.test/' })],
    });
    const id = created.body[0].id;

    const fetched = await gateway.request('GET', `${BASE}/${id}?v=3.0`);

    expect(fetched.status).toBe(200);
    expect(fetched.headers.get('etag')).toBe('"1"');
  });

  it('updates with If-Match and rejects a stale revision', async () => {
    const created = await gateway.request('POST', `${BASE}?v=3.0`, {
      json: [mapping({ url: 'https://put.example.test/' })],
    });
    const entity = created.body[0];

    const disabled = await gateway.request('PUT', `${BASE}/${entity.id}?v=3.0`, {
      json: { ...entity, enable: false },
      headers: { 'if-match': '1' },
    });
    const stale = await gateway.request('PUT', `${BASE}/${entity.id}?v=3.0`, {
      json: { ...entity, enable: true },
      headers: { 'if-match': '1' },
    });
    const missing = await gateway.request('PUT', `${BASE}/${entity.id}?v=3.0`, { json: entity });

    expect(disabled.status).toBe(200);
    expect(disabled.body.enable).toBe(false);
    expect(disabled.body.revision).toBe(2);
    expect(stale.status).toBe(409);
    expect(stale.body.code).toBe('mapping.revision_stale');
    expect(missing.status).toBe(428);
  });

  it('deletes a mapping and then 404s', async () => {
    const created = await gateway.request('POST', `${BASE}?v=3.0`, {
      json: [mapping({ url: 'https://del.example.test/' })],
    });
    const id = created.body[0].id;

    const deleted = await gateway.request('DELETE', `${BASE}/${id}?v=3.0`);
    const again = await gateway.request('GET', `${BASE}/${id}?v=3.0`);

    expect(deleted.status).toBe(200);
    expect(again.status).toBe(404);
  });

  it('hides another account mapping as not found', async () => {
    const created = await gateway.request('POST', `${BASE}?v=3.0`, {
      json: [mapping({ url: 'https://own.example.test/' })],
    });
    const id = created.body[0].id;

    const foreign = await gateway.request(
      'GET',
      `/api/account/${OTHER}/configuration/ac-common/mtls/${id}?v=3.0`,
    );

    expect(foreign.status).toBe(404);
  });

  it('rejects a duplicate key naming the existing mapping', async () => {
    const first = await gateway.request('POST', `${BASE}?v=3.0`, {
      json: [mapping({ url: 'https://dup.example.test/x' })],
    });
    const clash = await gateway.request('POST', `${BASE}?v=3.0`, {
      json: [mapping({ url: 'HTTPS://DUP.example.test:443/x?query=ignored' })],
    });

    expect(clash.status).toBe(409);
    expect(clash.body.code).toBe('mapping.duplicate');
    expect(clash.body.detail).toContain(String(first.body[0].id));
  });

  it('rejects a duplicate name', async () => {
    await gateway.request('POST', `${BASE}?v=3.0`, {
      json: [mapping({ name: 'same-name', url: 'https://n1.example.test/' })],
    });
    const clash = await gateway.request('POST', `${BASE}?v=3.0`, {
      json: [mapping({ name: 'same-name', url: 'https://n2.example.test/' })],
    });

    expect(clash.status).toBe(409);
  });

  it('creates all or nothing', async () => {
    const response = await gateway.request('POST', `${BASE}?v=3.0`, {
      json: [
        mapping({ url: 'https://batch.example.test/ok', name: 'batch-ok' }),
        mapping({ url: 'http://batch.example.test/' }),
      ],
    });
    const listed = await gateway.request('GET', `${BASE}?v=3.0`);

    expect(response.status).toBe(400);
    expect(response.body.errors.map((error: { field: string }) => error.field)).toEqual([
      '[1].url',
    ]);
    expect(listed.body.map((item: { name: string }) => item.name)).not.toContain('batch-ok');
  });

  // Bodies are built inside the test because the certificate id exists only after beforeAll.
  it.each([
    ['missing v', `${BASE}`, (): unknown => [mapping()], 'v'],
    ['wrong v', `${BASE}?v=2.0`, () => [mapping()], 'v'],
    ['non-array body', `${BASE}?v=3.0`, () => mapping(), 'body'],
    ['missing url', `${BASE}?v=3.0`, () => [{ ...mapping(), url: undefined }], '[0].url'],
    ['unknown service', `${BASE}?v=3.0`, () => [mapping({ serviceId: '7' })], '[0].serviceId'],
    ['relative url', `${BASE}?v=3.0`, () => [mapping({ url: '/token' })], '[0].url'],
    ['http url', `${BASE}?v=3.0`, () => [mapping({ url: 'http://idp.example.test/' })], '[0].url'],
    [
      'userinfo url',
      `${BASE}?v=3.0`,
      () => [mapping({ url: 'https://user:pass@idp.example.test/' })],
      '[0].url',
    ],
    ['deleted true', `${BASE}?v=3.0`, () => [mapping({ deleted: true })], '[0].deleted'],
    ['NUL in name', `${BASE}?v=3.0`, () => [mapping({ name: 'a\u0000b' })], '[0].name'],
    ['line break in name', `${BASE}?v=3.0`, () => [mapping({ name: 'a\nb' })], '[0].name'],
    [
      'NUL in url',
      `${BASE}?v=3.0`,
      () => [mapping({ url: 'https://idp.example.test/a\u0000b' })],
      '[0].url',
    ],
    [
      'port 0 url',
      `${BASE}?v=3.0`,
      () => [mapping({ url: 'https://idp.example.test:0/' })],
      '[0].url',
    ],
    ['other siteId', `${BASE}?v=3.0`, () => [mapping({ siteId: OTHER })], '[0].siteId'],
  ])('rejects %s with 400', async (_case, path, body, field) => {
    const before = await gateway.request('GET', `${BASE}?v=3.0`);

    const response = await gateway.request('POST', path, { json: body() });
    const after = await gateway.request('GET', `${BASE}?v=3.0`);

    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(response.body.errors.map((error: { field: string }) => error.field)).toContain(field);
    expect(after.body).toHaveLength(before.body.length);
  });

  it('does not leak the userinfo password', async () => {
    const response = await gateway.request('POST', `${BASE}?v=3.0`, {
      json: [mapping({ url: 'https://user:s3cret-pass@idp.example.test/' })],
    });

    expect(response.text).not.toContain('s3cret-pass');
  });

  it('rejects another account certificate', async () => {
    const response = await gateway.request('POST', `${BASE}?v=3.0`, {
      json: [
        mapping({ certificationId: otherCertificateId, url: 'https://foreign-cert.example.test/' }),
      ],
    });

    expect(response.status).toBe(400);
    expect(response.body.errors[0].field).toBe('[0].certificationId');
  });

  it('accepts service names and numbers', async () => {
    const response = await gateway.request('POST', `${BASE}?v=3.0`, {
      json: [
        mapping({ serviceId: 'WEBHOOKS', url: 'https://svc.example.test/a' }),
        mapping({ serviceId: 0, url: 'https://svc.example.test/b' }),
      ],
    });

    expect(response.status).toBe(201);
    expect(response.body.map((item: { serviceId: string }) => item.serviceId)).toEqual(['2', '0']);
  });

  it('blocks deleting a certificate in use', async () => {
    const inUse = await upload(ACCOUNT, 'in-use');
    const created = await gateway.request('POST', `${BASE}?v=3.0`, {
      json: [mapping({ certificationId: inUse, url: 'https://inuse.example.test/' })],
    });

    const rejected = await gateway.request(
      'DELETE',
      `/mtls/account/${ACCOUNT}/certificates/${inUse}`,
    );
    await gateway.request('DELETE', `${BASE}/${created.body[0].id}?v=3.0`);
    const allowed = await gateway.request(
      'DELETE',
      `/mtls/account/${ACCOUNT}/certificates/${inUse}`,
    );

    expect(rejected.status).toBe(409);
    expect(rejected.body.code).toBe('certificate.in_use');
    expect(rejected.body.mappings[0].id).toBe(created.body[0].id);
    expect(allowed.status).toBe(200);
  });

  describe('path ids', () => {
    const badIds = INVALID_PATH_IDS;

    it.each(badIds)('rejects GET of id %s', async (id) => {
      const response = await expectRejected(
        () => gateway.request('GET', `${BASE}/${id}?v=3.0`),
        'mappingId',
        'mapping.id_invalid',
      );

      expect(response.body.errors[0].message).toContain('positive integer');
      expect(response.body.detail).not.toContain('NaN');
    });

    it.each(badIds)('rejects PUT of id %s', async (id) => {
      const entity = await createOne();

      await expectRejected(
        () =>
          gateway.request('PUT', `${BASE}/${id}?v=3.0`, {
            json: { ...entity, enable: false },
            headers: { 'if-match': '*' },
          }),
        'mappingId',
        'mapping.id_invalid',
      );
    });

    it.each(badIds)('rejects DELETE of id %s', async (id) => {
      await createOne();

      await expectRejected(
        () => gateway.request('DELETE', `${BASE}/${id}?v=3.0`),
        'mappingId',
        'mapping.id_invalid',
      );
    });

    it('answers 404 for an unknown id', async () => {
      const response = await gateway.request('GET', `${BASE}/${Number.MAX_SAFE_INTEGER}?v=3.0`);

      expect(response.status).toBe(404);
      expect(response.body.code).toBe('mapping.not_found');
    });
  });

  describe('certificationId', () => {
    it.each([
      ['string past 2^53', '"9999999999999999"'],
      ['number past 2^53', '9999999999999999'],
      ['number 2^53 + 1', '9007199254740993'],
      ['exponent string', '"1e3"'],
      ['hex string', '"0x10"'],
      ['zero', '0'],
      ['negative', '-1'],
      ['fraction', '1.5'],
    ])('rejects %s', async (_case, idText) => {
      const item = JSON.stringify(mapping({ url: 'https://id.example.test/' }));
      const body = `[${item.replace(/"certificationId":\d+/, `"certificationId":${idText}`)}]`;

      const response = await expectRejected(
        () =>
          gateway.request('POST', `${BASE}?v=3.0`, {
            body,
            headers: { 'content-type': 'application/json' },
          }),
        '[0].certificationId',
        'mapping.invalid',
      );

      expect(response.body.errors[0].message).toContain('positive integer');
      expect(response.text).not.toContain('10000000000000000');
    });

    it('accepts a string id', async () => {
      const created = await createOne({
        certificationId: String(certificateId),
        url: 'https://string-id.example.test/',
      });

      expect(created.certificationId).toBe(certificateId);
    });
  });

  describe('item cap', () => {
    it('rejects one item over the cap', async () => {
      const items = Array.from({ length: MAX_MAPPINGS_PER_REQUEST + 1 }, () => ({}));

      const response = await expectRejected(
        () => gateway.request('POST', `${BASE}?v=3.0`, { json: items }),
        'body',
        'request.body_too_many_items',
      );

      expect(response.body.errors).toHaveLength(1);
      expect(response.body.detail).toContain(String(MAX_MAPPINGS_PER_REQUEST + 1));
      expect(response.body.detail).toContain(`at most ${MAX_MAPPINGS_PER_REQUEST}`);
    });

    it('rejects 200000 items before reading them', async () => {
      const items = Array.from({ length: 200_000 }, () => ({}));

      const response = await expectRejected(
        () => gateway.request('POST', `${BASE}?v=3.0`, { json: items }),
        'body',
        'request.body_too_many_items',
      );

      expect(response.text.length).toBeLessThan(2000);
    });

    it('validates each item at the cap', async () => {
      const items = Array.from({ length: MAX_MAPPINGS_PER_REQUEST }, () => ({}));

      await expectRejected(
        () => gateway.request('POST', `${BASE}?v=3.0`, { json: items }),
        `[${MAX_MAPPINGS_PER_REQUEST - 1}].url`,
        'mapping.invalid',
      );
    });
  });

  describe('Content-Type', () => {
    it.each(['text/plain', 'application/x-www-form-urlencoded', 'application/jsonx'])(
      'rejects create sent as %s',
      async (contentType) => {
        const name = `typed-${contentType.replace(/\W/g, '-')}`;

        await expectRejected(
          () =>
            gateway.request('POST', `${BASE}?v=3.0`, {
              json: [mapping({ name, url: `https://typed.example.test/${name}` })],
              headers: { 'content-type': contentType },
            }),
          'header:Content-Type',
          'request.media_type_unsupported',
          415,
        );
      },
    );

    it('rejects update sent as text/plain', async () => {
      const entity = await createOne();

      await expectRejected(
        () =>
          gateway.request('PUT', `${BASE}/${entity.id}?v=3.0`, {
            json: { ...entity, enable: false },
            headers: { 'if-match': '1', 'content-type': 'text/plain' },
          }),
        'header:Content-Type',
        'request.media_type_unsupported',
        415,
      );
    });

    it('creates with a +json type', async () => {
      const response = await gateway.request('POST', `${BASE}?v=3.0`, {
        json: [mapping({ url: 'https://plus-json.example.test/' })],
        headers: { 'content-type': 'application/vnd.acme+json; charset=utf-8' },
      });

      expect(response.status).toBe(201);
    });

    it('creates without Content-Type', async () => {
      const name = 'untyped-create';

      // A byte body makes fetch send no Content-Type, unlike a string body (text/plain).
      const response = await gateway.request('POST', `${BASE}?v=3.0`, {
        body: Buffer.from(
          JSON.stringify([mapping({ name, url: 'https://untyped.example.test/' })]),
        ),
      });

      expect(response.status).toBe(201);
      expect(await listNames()).toContain(name);
    });
  });

  describe('If-Match', () => {
    it('updates any current revision with *', async () => {
      const entity = await createOne();
      await gateway.request('PUT', `${BASE}/${entity.id}?v=3.0`, {
        json: { ...entity, enable: false },
        headers: { 'if-match': '1' },
      });

      const response = await gateway.request('PUT', `${BASE}/${entity.id}?v=3.0`, {
        json: { ...entity, name: 'star-updated' },
        headers: { 'if-match': '*' },
      });

      expect(response.status).toBe(200);
      expect(response.body.revision).toBe(3);
      expect(response.body.name).toBe('star-updated');
      expect(response.headers.get('etag')).toBe('"3"');
    });

    it('answers 404 for * on an unknown mapping', async () => {
      const response = await gateway.request('PUT', `${BASE}/${Number.MAX_SAFE_INTEGER}?v=3.0`, {
        json: mapping({ url: 'https://star-unknown.example.test/' }),
        headers: { 'if-match': '*' },
      });

      expect(response.status).toBe(404);
      expect(response.body.code).toBe('mapping.not_found');
    });

    it('answers 404 for * on a deleted mapping', async () => {
      const entity = await createOne();
      await gateway.request('DELETE', `${BASE}/${entity.id}?v=3.0`);

      const response = await gateway.request('PUT', `${BASE}/${entity.id}?v=3.0`, {
        json: entity,
        headers: { 'if-match': '*' },
      });

      expect(response.status).toBe(404);
    });

    it.each(['W/"1"', '"1"', '1'])('updates revision 1 with %s', async (ifMatch) => {
      const entity = await createOne();

      const response = await gateway.request('PUT', `${BASE}/${entity.id}?v=3.0`, {
        json: { ...entity, enable: false },
        headers: { 'if-match': ifMatch },
      });

      expect(response.status).toBe(200);
      expect(response.body.revision).toBe(2);
    });

    it.each(['**', '*, "1"', 'W/*', 'abc'])('rejects If-Match %s', async (ifMatch) => {
      const entity = await createOne();

      await expectRejected(
        () =>
          gateway.request('PUT', `${BASE}/${entity.id}?v=3.0`, {
            json: { ...entity, enable: false },
            headers: { 'if-match': ifMatch },
          }),
        'header:If-Match',
        'mapping.revision_invalid',
      );
    });
  });

  it.each([
    ['dotless i', 'ıdp'],
    ['long s', 'teſt_service'],
    ['trailing long s', 'WEBHOOKſ'],
  ])('rejects service name with %s', async (_case, serviceId) => {
    await expectRejected(
      () =>
        gateway.request('POST', `${BASE}?v=3.0`, {
          json: [mapping({ serviceId, url: 'https://unicode-service.example.test/' })],
        }),
      '[0].serviceId',
      'mapping.invalid',
    );
  });

  it('accepts a lower-case service name', async () => {
    const created = await createOne({ serviceId: 'webhooks', url: 'https://lower.example.test/' });

    expect(created.serviceId).toBe('2');
  });

  describe('update deleted', () => {
    it('rejects deleted true on PUT', async () => {
      const entity = await createOne();

      const response = await expectRejected(
        () =>
          gateway.request('PUT', `${BASE}/${entity.id}?v=3.0`, {
            json: { ...entity, deleted: true },
            headers: { 'if-match': String(entity.revision) },
          }),
        'deleted',
        'mapping.invalid',
      );
      const fetched = await gateway.request('GET', `${BASE}/${entity.id}?v=3.0`);

      expect(response.body.errors[0].message).toContain('Use DELETE to delete a mapping.');
      expect(fetched.status).toBe(200);
      expect(fetched.body.deleted).toBe(false);
      expect(fetched.body.revision).toBe(entity.revision);
    });

    it('accepts deleted false on PUT', async () => {
      const entity = await createOne();

      const response = await gateway.request('PUT', `${BASE}/${entity.id}?v=3.0`, {
        json: { ...entity, deleted: false, enable: false },
        headers: { 'if-match': String(entity.revision) },
      });

      expect(response.status).toBe(200);
      expect(response.body.enable).toBe(false);
    });
  });

  describe('field messages', () => {
    const fields =
      '"certificationId", "serviceId", "enable", "url", "siteId" and "name" (optional: "deleted", "id" and "revision")';

    it.each([
      [
        'enable as string',
        { enable: 'yes' },
        '[0].enable',
        'must be true or false, not a string. Send true to use the mapping or false to disable it.',
      ],
      [
        'missing enable',
        { enable: undefined },
        '[0].enable',
        'is missing. Send true to use the mapping or false to disable it.',
      ],
      [
        'url as number',
        { url: 5 },
        '[0].url',
        'must be a string, not a number. Send the absolute https URL of the target.',
      ],
      [
        'serviceId as boolean',
        { serviceId: true },
        '[0].serviceId',
        'must be a service name or digit, not a boolean. Use "0" (TEST_SERVICE), "1" (IDP) or "2" (WEBHOOKS).',
      ],
      [
        'siteId as object',
        { siteId: {} },
        '[0].siteId',
        'must be a string or number, not an object. Send the account id of the path.',
      ],
      [
        'certificationId as boolean',
        { certificationId: true },
        '[0].certificationId',
        'must be a positive integer id, not a boolean. Send the id of a certificate of this account.',
      ],
      [
        'missing certificationId',
        { certificationId: undefined },
        '[0].certificationId',
        'is missing. Send the id of a certificate of this account.',
      ],
      [
        'name as array',
        { name: ['a'] },
        '[0].name',
        'must be a string, not an array. Give the mapping a name.',
      ],
      [
        'deleted as string',
        { deleted: 'no' },
        '[0].deleted',
        'must be true or false, not a string. Send false or leave it out.',
      ],
      [
        'id as boolean',
        { id: true },
        '[0].id',
        'must be a number or string, not a boolean. Send the mapping id or leave it out.',
      ],
    ])('explains %s', async (_case, overrides, field, message) => {
      const item = mapping({ url: 'https://messages.example.test/', ...overrides });

      const response = await expectRejected(
        () => gateway.request('POST', `${BASE}?v=3.0`, { json: [item] }),
        field,
        'mapping.invalid',
      );
      const error = response.body.errors.find((entry: { field: string }) => entry.field === field);

      expect(error?.message).toBe(message);
      expect(response.text).not.toContain('Invalid input');
    });

    it.each([
      ['array', [[]], 'an array'],
      ['nested array', [[[1]]], 'an array'],
      ['null', [null], 'null'],
    ])('explains item as %s', async (_case, body, type) => {
      const response = await expectRejected(
        () => gateway.request('POST', `${BASE}?v=3.0`, { json: body }),
        '[0]',
        'mapping.invalid',
      );

      expect(response.body.errors[0].message).toBe(
        `must be a JSON object with ${fields}, not ${type}.`,
      );
      expect(response.text).not.toContain('Invalid input');
    });

    it('explains PUT body as array', async () => {
      const entity = await createOne();

      const response = await expectRejected(
        () =>
          gateway.request('PUT', `${BASE}/${entity.id}?v=3.0`, {
            json: [entity],
            headers: { 'if-match': String(entity.revision) },
          }),
        'body',
        'mapping.invalid',
      );

      expect(response.body.errors[0].message).toBe(
        `must be a JSON object with ${fields}, not an array.`,
      );
      expect(response.text).not.toContain('Invalid input');
    });

    it('explains PUT enable as string', async () => {
      const entity = await createOne();

      const response = await expectRejected(
        () =>
          gateway.request('PUT', `${BASE}/${entity.id}?v=3.0`, {
            json: { ...entity, enable: 'yes' },
            headers: { 'if-match': String(entity.revision) },
          }),
        'enable',
        'mapping.invalid',
      );

      expect(response.body.errors[0].message).toContain('must be true or false, not a string.');
    });
  });

  it('lets one of 20 concurrent creates win', async () => {
    const body = [mapping({ url: 'https://race.example.test/', name: 'race' })];

    const responses = await Promise.all(
      Array.from({ length: 20 }, () => gateway.request('POST', `${BASE}?v=3.0`, { json: body })),
    );
    const listed = await gateway.request('GET', `${BASE}?v=3.0`);

    expect(responses.filter((response) => response.status === 201)).toHaveLength(1);
    expect(responses.filter((response) => response.status === 409)).toHaveLength(19);
    expect(listed.body.filter((item: { name: string }) => item.name === 'race')).toHaveLength(1);
  });
});
