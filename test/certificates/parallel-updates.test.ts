import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { FIXTURE_PASSWORD, readFixture } from '../support/fixtures.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

const BASE = '/mtls/account/acme/certificates';
const UPDATE_COUNT = 12;

describe('parallel certificate updates', () => {
  let gateway: TestGateway;
  let id: number;

  beforeAll(async () => {
    gateway = await startTestGateway();
    const created = await gateway.request('POST', BASE, {
      json: [
        {
          name: 'parallel',
          p12: readFixture('rsa-default.p12').toString('base64'),
          password: FIXTURE_PASSWORD,
        },
      ],
    });
    id = created.body.successfulySavedCertificates[0].id;
  });

  afterAll(async () => {
    await gateway.close();
  });

  it('answers every PUT with 200', async () => {
    const p12 = readFixture('ec-with-chain.p12').toString('base64');

    const responses = await Promise.all(
      Array.from({ length: UPDATE_COUNT }, () =>
        gateway.request('PUT', BASE, {
          json: [{ id, name: 'parallel', p12, password: FIXTURE_PASSWORD }],
        }),
      ),
    );
    const download = await gateway.request('GET', `${BASE}/${id}/download`);
    const fetched = await gateway.request('GET', `${BASE}/${id}`);

    expect(responses.map((response) => response.status)).toEqual(
      Array.from({ length: UPDATE_COUNT }, () => 200),
    );
    expect(download.status).toBe(200);
    expect(fetched.body.keyType).toBe('EC-P256');
  });
});
