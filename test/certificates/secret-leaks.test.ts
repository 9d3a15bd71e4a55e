import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { logger } from '../../shared/logger.js';
import { certificateForm } from '../support/http.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { FIXTURE_PASSWORD, readFixture } from '../support/fixtures.js';

const BASE = '/mtls/account/acme/certificates';

describe('secrets in responses and logs', () => {
  let gateway: TestGateway;
  const output: string[] = [];

  beforeAll(async () => {
    gateway = await startTestGateway();
    logger.setLogLevel('DEBUG');
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      output.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    });
  });

  afterAll(async () => {
    vi.restoreAllMocks();
    logger.setLogLevel('SILENT');
    await gateway.close();
  });

  it('never shows the password, p12 or key', async () => {
    const p12 = readFixture('rsa-default.p12');
    const responses: string[] = [];
    const send = async (
      method: string,
      path: string,
      options: Parameters<TestGateway['request']>[2],
    ) => {
      const response = await gateway.request(method, path, options);
      responses.push(response.text, JSON.stringify([...response.headers]));
      return response;
    };

    const created = await send('POST', BASE, {
      json: [{ name: 'leak-json', p12: p12.toString('base64'), password: FIXTURE_PASSWORD }],
    });
    await send('POST', BASE, {
      json: [{ name: 'leak-bytes', p12: [...p12], password: 'wrong-but-secret-password' }],
    });
    await send('POST', `${BASE}/by-file`, {
      body: certificateForm(p12, { name: 'leak-file', password: FIXTURE_PASSWORD }),
    });
    await send('POST', `${BASE}/by-file`, {
      body: certificateForm(p12, { name: 'leak-file-2', password: 'another-secret-password' }),
    });
    const id = created.body.successfulySavedCertificates[0].id;
    await send('GET', `${BASE}/${id}`, {});
    await send('GET', `${BASE}/${id}/download`, {});
    await send('GET', BASE, {});
    await send('POST', '/mtls/account/acme/p12-test/multipart', {
      body: (() => {
        const form = new FormData();
        form.append('file', new Blob([p12]), 'client.p12');
        form.append('password', FIXTURE_PASSWORD);
        return form;
      })(),
    });

    const everything = [...responses, ...output].join('\n');
    expect(output.length).toBeGreaterThan(0);
    expect(everything).not.toContain(FIXTURE_PASSWORD);
    expect(everything).not.toContain('wrong-but-secret-password');
    expect(everything).not.toContain('another-secret-password');
    expect(everything).not.toContain('PRIVATE KEY');
    expect(everything).not.toContain(p12.toString('base64').slice(0, 64));
    expect(everything).not.toContain(gateway.adminToken);
  });
});
