import { X509Certificate } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startLocalGateway } from '../../local/gateway.js';
import { MAX_CERTIFICATES_PER_REQUEST } from '../../shared/certificates/input.js';
import { call, certificateForm, INVALID_PATH_IDS } from '../support/http.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { FIXTURE_PASSWORD, fixtureLeafPem, readFixture } from '../support/fixtures.js';

const ACCOUNT = 'acme';
const BASE = `/mtls/account/${ACCOUNT}/certificates`;
const RSA_LEAF = new X509Certificate(fixtureLeafPem('rsa-default.p12'));
const RSA_FINGERPRINT = RSA_LEAF.fingerprint256.replaceAll(':', '').toLowerCase();

async function secretFileCount(dataDir: string): Promise<number> {
  const folders = await readdir(path.join(dataDir, 'secrets'));
  let count = 0;
  for (const folder of folders) {
    count += (await readdir(path.join(dataDir, 'secrets', folder))).length;
  }
  return count;
}

describe('certificate routes', () => {
  let gateway: TestGateway;
  let counter = 0;

  const uniqueName = (prefix = 'cert') => `${prefix}-${(counter += 1)}`;

  const uploadJson = (name: string, p12: Buffer | number[] | string, password = FIXTURE_PASSWORD) =>
    gateway.request('POST', BASE, {
      json: [{ name, p12: Buffer.isBuffer(p12) ? p12.toString('base64') : p12, password }],
    });

  /** Asserts a problem naming `field`, status 400 unless given, with nothing new stored. */
  async function expectRejected(
    send: () => Promise<{ status: number; body: any; headers: Headers; text: string }>,
    field: string,
    code?: string,
    status = 400,
  ) {
    const rowsBefore = (await gateway.request('GET', BASE)).body.length;
    const secretsBefore = await secretFileCount(gateway.dataDir);

    const response = await send();

    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(response.body.errors.map((error: { field: string }) => error.field)).toContain(field);
    if (code) {
      expect(response.body.code).toBe(code);
    }
    expect((await gateway.request('GET', BASE)).body).toHaveLength(rowsBefore);
    expect(await secretFileCount(gateway.dataDir)).toBe(secretsBefore);
    return response;
  }

  /** Asserts a rejection whose error for `field` reads `message`, without zod's own text. */
  async function expectFieldMessage(
    send: () => Promise<{ status: number; body: any; headers: Headers; text: string }>,
    field: string,
    message: string,
  ) {
    const response = await expectRejected(send, field);
    const error = response.body.errors.find((entry: { field: string }) => entry.field === field);

    expect(error?.message).toBe(message);
    expect(response.text).not.toContain('Invalid input');
  }

  beforeAll(async () => {
    gateway = await startTestGateway();
  });

  afterAll(async () => {
    await gateway.close();
  });

  it('uploads by JSON base64', async () => {
    const response = await uploadJson('json-base64', readFixture('rsa-default.p12'));

    expect(response.status).toBe(201);
    expect(response.body.failedSaveToVaultCertificates).toEqual([]);
    expect(response.body.successfulySavedCertificates[0]).toMatchObject({
      name: 'json-base64',
      displayName: 'json-base64',
      siteId: ACCOUNT,
      deleted: false,
      status: 'Available',
      fingerprintSha256: RSA_FINGERPRINT,
      keyType: 'RSA-2048',
      chainLength: 1,
    });
    expect(response.body.successfulySavedCertificates[0].expirationDate).toBe(
      new Date(RSA_LEAF.validTo).toISOString(),
    );
  });

  it('uploads by JSON byte array', async () => {
    const response = await uploadJson('json-bytes', [...readFixture('rsa-with-chain.p12')]);

    expect(response.status).toBe(201);
    expect(response.body.successfulySavedCertificates[0].chainLength).toBe(3);
  });

  it.each([
    ['a charset', 'application/json; charset=utf-8'],
    ['a +json type', 'application/vnd.acme.certificates+json'],
    ['upper case', 'Application/JSON'],
  ])('uploads JSON with %s', async (_case, contentType) => {
    const response = await gateway.request('POST', BASE, {
      json: [
        {
          name: uniqueName('typed'),
          p12: readFixture('rsa-default.p12').toString('base64'),
          password: FIXTURE_PASSWORD,
        },
      ],
      headers: { 'content-type': contentType },
    });

    expect(response.status).toBe(201);
  });

  it('uploads JSON without Content-Type', async () => {
    const name = uniqueName('untyped');
    const body = JSON.stringify([
      {
        name,
        p12: readFixture('rsa-default.p12').toString('base64'),
        password: FIXTURE_PASSWORD,
      },
    ]);

    // A byte body makes fetch send no Content-Type, unlike a string body (text/plain).
    const response = await gateway.request('POST', BASE, { body: Buffer.from(body) });

    expect(response.status).toBe(201);
    expect(response.body.successfulySavedCertificates[0].name).toBe(name);
  });

  it('uploads by multipart', async () => {
    const response = await gateway.request('POST', `${BASE}/by-file`, {
      body: certificateForm(readFixture('ec-with-chain.p12'), {
        name: 'multipart-ec',
        password: FIXTURE_PASSWORD,
      }),
    });

    expect(response.status).toBe(201);
    expect(response.body.successfulySavedCertificates[0].keyType).toBe('EC-P256');
  });

  it('gets, lists and downloads without the key', async () => {
    const created = await uploadJson(uniqueName('download'), readFixture('rsa-with-chain.p12'));
    const id = created.body.successfulySavedCertificates[0].id;

    const fetched = await gateway.request('GET', `${BASE}/${id}`);
    const listed = await gateway.request('GET', BASE);
    const pem = await gateway.request('GET', `${BASE}/${id}/download`);

    expect(fetched.status).toBe(200);
    expect(fetched.body.id).toBe(id);
    expect(listed.body.map((item: { id: number }) => item.id)).toContain(id);
    expect(pem.status).toBe(200);
    expect(pem.headers.get('content-type')).toBe('application/x-pem-file');
    expect(pem.text.match(/BEGIN CERTIFICATE/g)).toHaveLength(3);
    expect(pem.text).not.toContain('PRIVATE KEY');
  });

  it('keeps ids above 2^32 exact in JSON', async () => {
    const created = await uploadJson(uniqueName('wide-id'), readFixture('rsa-default.p12'));
    const id = created.body.successfulySavedCertificates[0].id;

    expect(id).toBeGreaterThan(2 ** 32);
    expect(Number.isSafeInteger(id)).toBe(true);
  });

  it('saves the good items of a mixed array', async () => {
    const response = await gateway.request('POST', BASE, {
      json: [
        {
          name: 'mixed-good',
          p12: readFixture('rsa-default.p12').toString('base64'),
          password: FIXTURE_PASSWORD,
        },
        {
          name: 'mixed-bad',
          p12: readFixture('rsa-default.p12').toString('base64'),
          password: 'wrong',
        },
      ],
    });

    expect(response.status).toBe(201);
    expect(
      response.body.successfulySavedCertificates.map((item: { name: string }) => item.name),
    ).toEqual(['mixed-good']);
    expect(response.body.failedSaveToVaultCertificates[0]).toMatchObject({
      name: 'mixed-bad',
      code: 'certificate.password_invalid',
    });
  });

  it('rejects an array whose items all fail', async () => {
    const response = await gateway.request('POST', BASE, {
      json: [
        { name: 'all-bad-1', p12: readFixture('not-a-p12.pem').toString('base64'), password: 'x' },
        {
          name: '',
          p12: readFixture('rsa-default.p12').toString('base64'),
          password: FIXTURE_PASSWORD,
        },
      ],
    });

    expect(response.status).toBe(400);
    expect(response.body.errors.map((error: { field: string }) => error.field)).toEqual([
      '[0].p12',
      '[1].name',
    ]);
  });

  it('rejects a duplicate name naming the holder', async () => {
    const first = await uploadJson('duplicate', readFixture('rsa-default.p12'));
    const second = await uploadJson('duplicate', readFixture('rsa-default.p12'));

    expect(second.status).toBe(409);
    expect(second.body.code).toBe('certificate.name_taken');
    expect(second.body.detail).toContain(String(first.body.successfulySavedCertificates[0].id));
  });

  it('updates with a new p12 and renames', async () => {
    const created = await uploadJson(uniqueName('update'), readFixture('rsa-default.p12'));
    const id = created.body.successfulySavedCertificates[0].id;

    const replaced = await gateway.request('PUT', BASE, {
      json: [
        {
          id,
          name: 'updated-ec',
          p12: readFixture('ec-with-chain.p12').toString('base64'),
          password: FIXTURE_PASSWORD,
        },
      ],
    });
    const renamed = await gateway.request('PUT', BASE, { json: [{ id, name: 'renamed-only' }] });
    const fetched = await gateway.request('GET', `${BASE}/${id}`);

    expect(replaced.status).toBe(200);
    expect(replaced.body.successfulySavedCertificates[0].keyType).toBe('EC-P256');
    expect(renamed.status).toBe(200);
    expect(fetched.body).toMatchObject({ name: 'renamed-only', keyType: 'EC-P256' });
  });

  it('updates by multipart', async () => {
    const created = await uploadJson(uniqueName('update-file'), readFixture('rsa-default.p12'));
    const id = created.body.successfulySavedCertificates[0].id;

    const response = await gateway.request('PUT', `${BASE}/by-file`, {
      body: certificateForm(readFixture('java-keytool.p12'), {
        id,
        name: 'keytool',
        password: FIXTURE_PASSWORD,
      }),
    });

    expect(response.status).toBe(200);
    expect(response.body.successfulySavedCertificates[0].subject).toContain(
      'fixture-keytool.example.test',
    );
  });

  it('answers 404 for an unknown id in a lone PUT', async () => {
    const response = await gateway.request('PUT', BASE, { json: [{ id: 999, name: 'ghost' }] });

    expect(response.status).toBe(404);
  });

  it('lists an unknown id of a PUT batch as failed', async () => {
    const created = await uploadJson(uniqueName('batch-put'), readFixture('rsa-default.p12'));
    const id = created.body.successfulySavedCertificates[0].id;

    const response = await gateway.request('PUT', BASE, {
      json: [
        { id, name: 'batch-put-renamed' },
        { id: 999, name: 'ghost' },
      ],
    });

    expect(response.status).toBe(200);
    expect(response.body.failedSaveToVaultCertificates[0]).toMatchObject({
      name: 'ghost',
      code: 'certificate.not_found',
    });
  });

  it('rejects a repeated id in a PUT batch', async () => {
    const created = await uploadJson(uniqueName('repeat'), readFixture('rsa-default.p12'));
    const id = created.body.successfulySavedCertificates[0].id;

    const response = await gateway.request('PUT', BASE, {
      json: [
        { id, name: 'repeat-first' },
        {
          id,
          name: 'repeat-second',
          p12: readFixture('ec-with-chain.p12').toString('base64'),
          password: FIXTURE_PASSWORD,
        },
        { id: String(id), name: 'repeat-third' },
      ],
    });
    const fetched = await gateway.request('GET', `${BASE}/${id}`);
    const saved = response.body.successfulySavedCertificates;
    const failed = response.body.failedSaveToVaultCertificates;

    expect(response.status).toBe(200);
    expect(saved.map((item: { name: string }) => item.name)).toEqual(['repeat-first']);
    expect(failed.map((item: { name: string }) => item.name)).toEqual([
      'repeat-second',
      'repeat-third',
    ]);
    expect(failed.map((item: { code: string }) => item.code)).toEqual([
      'certificate.id_repeated',
      'certificate.id_repeated',
    ]);
    expect(failed[0].reason).toContain(`id ${id} appears more than once in this request`);
    expect(fetched.body).toMatchObject({ name: 'repeat-first', keyType: 'RSA-2048' });
    expect(fetched.body.fingerprintSha256).toBe(RSA_FINGERPRINT);
  });

  it('rejects a batch of one repeated id', async () => {
    const created = await uploadJson(uniqueName('repeat-only'), readFixture('rsa-default.p12'));
    const id = created.body.successfulySavedCertificates[0].id;
    const originalName = created.body.successfulySavedCertificates[0].name;

    const response = await expectRejected(
      () =>
        gateway.request('PUT', BASE, {
          json: [
            { id, name: '' },
            { id, name: 'repeat-only-renamed' },
          ],
        }),
      '[1].id',
      'certificate.all_invalid',
    );
    const fetched = await gateway.request('GET', `${BASE}/${id}`);

    expect(response.body.errors.map((error: { field: string }) => error.field)).toEqual([
      '[0].name',
      '[1].id',
    ]);
    expect(fetched.body.name).toBe(originalName);
  });

  it('deletes, hides and frees the name', async () => {
    const created = await uploadJson('to-delete', readFixture('rsa-default.p12'));
    const id = created.body.successfulySavedCertificates[0].id;
    const secretsBefore = await secretFileCount(gateway.dataDir);

    const deleted = await gateway.request('DELETE', `${BASE}/${id}`);
    const fetched = await gateway.request('GET', `${BASE}/${id}`);
    const listed = await gateway.request('GET', BASE);
    const reused = await uploadJson('to-delete', readFixture('rsa-default.p12'));

    expect(deleted.status).toBe(200);
    expect(fetched.status).toBe(404);
    expect(listed.body.map((item: { id: number }) => item.id)).not.toContain(id);
    expect(await secretFileCount(gateway.dataDir)).toBe(secretsBefore);
    expect(reused.status).toBe(201);
  });

  it('treats another account certificate as not found', async () => {
    const created = await uploadJson(uniqueName('tenant'), readFixture('rsa-default.p12'));
    const id = created.body.successfulySavedCertificates[0].id;
    const other = '/mtls/account/globex/certificates';

    const fetched = await gateway.request('GET', `${other}/${id}`);
    const downloaded = await gateway.request('GET', `${other}/${id}/download`);
    const deleted = await gateway.request('DELETE', `${other}/${id}`);
    const updated = await gateway.request('PUT', other, { json: [{ id, name: 'stolen' }] });

    expect(fetched.status).toBe(404);
    expect(downloaded.status).toBe(404);
    expect(deleted.status).toBe(404);
    expect(updated.status).toBe(404);
    expect((await gateway.request('GET', `${BASE}/${id}`)).status).toBe(200);
  });

  it('answers 404 for an unknown id', async () => {
    const response = await gateway.request('GET', `${BASE}/987654321`);

    expect(response.status).toBe(404);
    expect(response.body.code).toBe('certificate.not_found');
  });

  describe('path ids', () => {
    const badIds = INVALID_PATH_IDS;

    it.each(badIds)('rejects GET of id %s', async (id) => {
      const response = await expectRejected(
        () => gateway.request('GET', `${BASE}/${id}`),
        'certificateId',
        'certificate.id_invalid',
      );

      expect(response.body.errors[0].message).toContain('positive integer');
      expect(response.body.detail).not.toContain('NaN');
    });

    it.each(badIds)('rejects DELETE of id %s', async (id) => {
      await uploadJson(uniqueName('kept'), readFixture('rsa-default.p12'));

      await expectRejected(
        () => gateway.request('DELETE', `${BASE}/${id}`),
        'certificateId',
        'certificate.id_invalid',
      );
    });

    it('rejects download of a bad id', async () => {
      await expectRejected(
        () => gateway.request('GET', `${BASE}/1e3/download`),
        'certificateId',
        'certificate.id_invalid',
      );
    });

    it('accepts the largest safe id as unknown', async () => {
      const response = await gateway.request('GET', `${BASE}/${Number.MAX_SAFE_INTEGER}`);

      expect(response.status).toBe(404);
    });
  });

  describe('bad input', () => {
    it('rejects a wrong password', async () => {
      await expectRejected(
        () => uploadJson(uniqueName(), readFixture('rsa-default.p12'), 'wrong'),
        '[0].password',
        'certificate.password_invalid',
      );
    });

    it('rejects a PEM certificate', async () => {
      await expectRejected(
        () => uploadJson(uniqueName(), readFixture('not-a-p12.pem')),
        '[0].p12',
        'certificate.not_p12',
      );
    });

    it('rejects random bytes', async () => {
      await expectRejected(
        () =>
          uploadJson(
            uniqueName(),
            Buffer.from(Array.from({ length: 512 }, (_, index) => (index * 37) % 256)),
          ),
        '[0].p12',
      );
    });

    it('rejects a truncated file', async () => {
      await expectRejected(
        () => uploadJson(uniqueName(), readFixture('truncated.p12')),
        '[0].p12',
        'certificate.unreadable',
      );
    });

    it('rejects a mismatched key', async () => {
      await expectRejected(
        () => uploadJson(uniqueName(), readFixture('key-mismatch.p12')),
        '[0].p12',
        'certificate.key_mismatch',
      );
    });

    it('rejects a file over the size limit', async () => {
      const response = await expectRejected(
        () => uploadJson(uniqueName(), Buffer.alloc(1024 * 1024 + 1, 0x30)),
        '[0].p12',
        'certificate.too_large',
      );

      expect(response.body.detail).toContain('1048576');
    });

    it.each([
      ['missing name', { p12: 'AAAA', password: 'x' }, '[0].name'],
      ['empty name', { name: '  ', p12: 'AAAA', password: 'x' }, '[0].name'],
      ['long name', { name: 'n'.repeat(256), p12: 'AAAA', password: 'x' }, '[0].name'],
      ['NUL in name', { name: 'a\u0000b', p12: 'AAAA', password: 'x' }, '[0].name'],
      ['escape in name', { name: 'a\u001b[31mb', p12: 'AAAA', password: 'x' }, '[0].name'],
      ['bidi override in name', { name: 'a\u202eb', p12: 'AAAA', password: 'x' }, '[0].name'],
      ['lone surrogate in name', { name: 'a\ud800b', p12: 'AAAA', password: 'x' }, '[0].name'],
      [
        'NUL in displayName',
        { name: 'x', displayName: 'a\u0000b', p12: 'AAAA', password: 'x' },
        '[0].displayName',
      ],
      ['missing password', { name: 'x', p12: 'AAAA' }, '[0].password'],
      ['missing p12', { name: 'x', password: 'x' }, '[0].p12'],
      ['p12 as object', { name: 'x', p12: { a: 1 }, password: 'x' }, '[0].p12'],
      ['p12 bytes over 255', { name: 'x', p12: [1, 256], password: 'x' }, '[0].p12'],
      ['p12 negative bytes', { name: 'x', p12: [-1, 2], password: 'x' }, '[0].p12'],
      ['p12 invalid base64', { name: 'x', p12: 'not base64!', password: 'x' }, '[0].p12'],
    ])('rejects %s', async (_case, item, field) => {
      await expectRejected(() => gateway.request('POST', BASE, { json: [item] }), field);
    });

    describe('field messages', () => {
      const p12 = 'AAAA';
      const createFields = '"name", "p12" and "password" (optional: "displayName")';

      it.each([
        [
          'password as number',
          { name: 'x', p12, password: 123 },
          '[0].password',
          'must be a string, not a number. Send the p12 password as text ("" for none).',
        ],
        [
          'missing password',
          { name: 'x', p12 },
          '[0].password',
          'is missing. Send the p12 password as text ("" for none).',
        ],
        [
          'name as number',
          { name: 5, p12, password: 'x' },
          '[0].name',
          'must be a string, not a number. Give the certificate a name.',
        ],
        [
          'null name',
          { name: null, p12, password: 'x' },
          '[0].name',
          'must be a string, not null. Give the certificate a name.',
        ],
        [
          'displayName as array',
          { name: 'x', displayName: ['a'], p12, password: 'x' },
          '[0].displayName',
          'must be a string, not an array. Send the display name as text, or leave it out to use the name.',
        ],
        [
          'p12 as boolean',
          { name: 'x', p12: true, password: 'x' },
          '[0].p12',
          'must be an array of byte values or a base64 string, not a boolean. Send the p12 file as an array of numbers 0..255 or as base64 text.',
        ],
        [
          'p12 with a string element',
          { name: 'x', p12: [48, '130'], password: 'x' },
          '[0].p12',
          'element 1 is not a byte. Send integers from 0 to 255 (signed Java bytes are not accepted).',
        ],
        ['item as array', [], '[0]', `must be a JSON object with ${createFields}, not an array.`],
        [
          'item as nested array',
          [[]],
          '[0]',
          `must be a JSON object with ${createFields}, not an array.`,
        ],
        ['item as null', null, '[0]', `must be a JSON object with ${createFields}, not null.`],
        [
          'item as string',
          'cert',
          '[0]',
          `must be a JSON object with ${createFields}, not a string.`,
        ],
      ])('explains %s', async (_case, item, field, message) => {
        await expectFieldMessage(
          () => gateway.request('POST', BASE, { json: [item] }),
          field,
          message,
        );
      });

      it.each([
        [
          'id as boolean',
          { id: true, name: 'x' },
          '[0].id',
          'must be a positive integer id, not a boolean. Send the id of the certificate to update.',
        ],
        [
          'missing id',
          { name: 'x' },
          '[0].id',
          'is missing. Send the id of the certificate to update.',
        ],
        [
          'item as array',
          [1],
          '[0]',
          'must be a JSON object with "id" and "name" (optional: "displayName", "p12" and "password"), not an array.',
        ],
      ])('explains update %s', async (_case, item, field, message) => {
        await expectFieldMessage(
          () => gateway.request('PUT', BASE, { json: [item] }),
          field,
          message,
        );
      });

      it.each([
        [
          'POST',
          'array',
          [],
          'certificate',
          'must be a JSON object with "name" and "password" (optional: "displayName"), not an array.',
        ],
        [
          'PUT',
          'array',
          [],
          'certificate',
          'must be a JSON object with "id", "name" and "password" (optional: "displayName"), not an array.',
        ],
        [
          'POST',
          'number password',
          { name: 'x', password: 5 },
          'certificate.password',
          'must be a string, not a number. Send the p12 password as text ("" for none).',
        ],
        [
          'PUT',
          'string id',
          { id: 'seven', name: 'x', password: 'x' },
          'certificate.id',
          'must be a positive integer id from 1 to 9007199254740991, written in decimal digits.',
        ],
      ])('explains multipart %s of %s', async (method, _case, certificate, field, message) => {
        await expectFieldMessage(
          () =>
            gateway.request(method, `${BASE}/by-file`, {
              body: certificateForm(readFixture('rsa-default.p12'), certificate),
            }),
          field,
          message,
        );
      });
    });

    it('rejects a body that is not JSON', async () => {
      await expectRejected(
        () =>
          gateway.request('POST', BASE, {
            body: '{not json',
            headers: { 'content-type': 'application/json' },
          }),
        'body',
        'request.body_invalid_json',
      );
    });

    it('rejects a body that is not an array', async () => {
      await expectRejected(() => gateway.request('POST', BASE, { json: { name: 'x' } }), 'body');
    });

    it('rejects multipart without file', async () => {
      await expectRejected(
        () =>
          gateway.request('POST', `${BASE}/by-file`, {
            body: certificateForm(undefined, { name: 'x', password: 'x' }),
          }),
        'file',
        'certificate.file_missing',
      );
    });

    it('rejects multipart without certificate', async () => {
      await expectRejected(
        () =>
          gateway.request('POST', `${BASE}/by-file`, {
            body: certificateForm(readFixture('rsa-default.p12'), undefined),
          }),
        'certificate',
        'certificate.field_missing',
      );
    });

    it('rejects a cut-off multipart body', async () => {
      const body =
        '--B\r\nContent-Disposition: form-data; name="file"; filename="c.p12"\r\n\r\nabc';

      await expectRejected(
        () =>
          gateway.request('POST', `${BASE}/by-file`, {
            body,
            headers: { 'content-type': 'multipart/form-data; boundary=B' },
          }),
        'body',
        'request.multipart_invalid',
      );
      expect((await gateway.request('GET', BASE)).status).toBe(200);
    });

    it('rejects a repeated file part', async () => {
      const form = certificateForm(readFixture('rsa-default.p12'), {
        name: uniqueName(),
        password: FIXTURE_PASSWORD,
      });
      form.append('file', new Blob([readFixture('ec-with-chain.p12')]), 'second.p12');

      await expectRejected(
        () => gateway.request('POST', `${BASE}/by-file`, { body: form }),
        'file',
        'request.field_repeated',
      );
    });

    it('rejects a repeated certificate part', async () => {
      const form = certificateForm(readFixture('rsa-default.p12'), {
        name: uniqueName(),
        password: FIXTURE_PASSWORD,
      });
      form.append('certificate', JSON.stringify({ name: 'other', password: 'other' }));

      await expectRejected(
        () => gateway.request('POST', `${BASE}/by-file`, { body: form }),
        'certificate',
        'request.field_repeated',
      );
    });

    it('rejects a certificate part that is not JSON', async () => {
      await expectRejected(
        () =>
          gateway.request('POST', `${BASE}/by-file`, {
            body: certificateForm(readFixture('rsa-default.p12'), '{oops'),
          }),
        'certificate',
        'certificate.field_invalid_json',
      );
    });

    it.each([
      ['string past 2^53', '"9999999999999999"'],
      ['number past 2^53', '9999999999999999'],
      ['exponent string', '"1e3"'],
      ['hex string', '"0x10"'],
      ['zero', '0'],
      ['negative', '-1'],
      ['fraction', '1.5'],
      ['boolean', 'true'],
    ])('rejects update id as %s', async (_case, idText) => {
      const response = await expectRejected(
        () =>
          gateway.request('PUT', BASE, {
            body: `[{"id": ${idText}, "name": "renamed"}]`,
            headers: { 'content-type': 'application/json' },
          }),
        '[0].id',
      );

      expect(response.text).not.toContain('10000000000000000');
    });

    it.each([
      ['create', 'POST'],
      ['update', 'PUT'],
    ])('rejects %s over the item cap', async (_case, method) => {
      const items = Array.from({ length: MAX_CERTIFICATES_PER_REQUEST + 1 }, () => ({}));

      const response = await expectRejected(
        () => gateway.request(method, BASE, { json: items }),
        'body',
        'request.body_too_many_items',
      );

      expect(response.body.errors).toHaveLength(1);
      expect(response.body.detail).toContain(String(MAX_CERTIFICATES_PER_REQUEST + 1));
      expect(response.body.detail).toContain(`at most ${MAX_CERTIFICATES_PER_REQUEST}`);
    });

    it('rejects 200000 items before reading them', async () => {
      const items = Array.from({ length: 200_000 }, () => ({}));

      const response = await expectRejected(
        () => gateway.request('POST', BASE, { json: items }),
        'body',
        'request.body_too_many_items',
      );

      expect(response.text.length).toBeLessThan(2000);
    });

    it('validates each item at the cap', async () => {
      const items = Array.from({ length: MAX_CERTIFICATES_PER_REQUEST }, () => ({}));

      const response = await expectRejected(
        () => gateway.request('POST', BASE, { json: items }),
        `[${MAX_CERTIFICATES_PER_REQUEST - 1}].name`,
      );

      expect(response.body.code).not.toBe('request.body_too_many_items');
    });

    it.each([
      'text/plain',
      'text/plain; charset=utf-8',
      'application/x-www-form-urlencoded',
      'application/jsonx',
      'application/xml',
      'multipart/form-data; boundary=B',
    ])('rejects JSON upload sent as %s', async (contentType) => {
      const response = await expectRejected(
        () =>
          gateway.request('POST', BASE, {
            json: [
              {
                name: uniqueName('media'),
                p12: readFixture('rsa-default.p12').toString('base64'),
                password: FIXTURE_PASSWORD,
              },
            ],
            headers: { 'content-type': contentType },
          }),
        'header:Content-Type',
        'request.media_type_unsupported',
        415,
      );

      expect(response.body.detail).toContain('application/json');
    });

    it('rejects JSON update sent as text/plain', async () => {
      const created = await uploadJson(uniqueName('plain'), readFixture('rsa-default.p12'));
      const id = created.body.successfulySavedCertificates[0].id;

      await expectRejected(
        () =>
          gateway.request('PUT', BASE, {
            json: [{ id, name: 'renamed-by-text' }],
            headers: { 'content-type': 'text/plain' },
          }),
        'header:Content-Type',
        'request.media_type_unsupported',
        415,
      );
      expect((await gateway.request('GET', `${BASE}/${id}`)).body.name).not.toBe('renamed-by-text');
    });

    it('rejects an invalid account id', async () => {
      const response = await gateway.request('GET', '/mtls/account/bad%20account/certificates');

      expect(response.status).toBe(400);
      expect(response.body.errors[0].field).toBe('accountId');
    });
  });

  describe('local gateway', () => {
    it('answers 404 for an unknown path', async () => {
      const response = await gateway.request('GET', '/nowhere');

      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
    });

    it('answers 405 with Allow', async () => {
      const response = await gateway.request('PATCH', BASE);

      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toContain('GET');
    });

    it('answers 413 for an oversized body', async () => {
      const small = await startLocalGateway({
        host: '127.0.0.1',
        port: 0,
        maxBodyBytes: 1024,
        rateLimitRps: 0,
      });
      try {
        const response = await call(small.url, 'POST', BASE, { body: 'x'.repeat(2048) });

        expect(response.status).toBe(413);
      } finally {
        await small.close();
      }
    });
  });
});
