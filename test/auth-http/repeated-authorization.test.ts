import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { callGateway, jsonOf } from '../support/forwarding.js';
import { captureLogs, type LogCapture } from '../support/log-lines.js';

const PATH = '/mtls/account/acme/certificates';

let gateway: TestGateway;
let logs: LogCapture;

beforeAll(async () => {
  gateway = await startTestGateway();
  logs = captureLogs();
});

afterAll(async () => {
  logs.stop();
  await gateway.close();
});

/** Sends GET on the certificate list with one Authorization header line per value. */
function listWith(authorization: string[]) {
  return callGateway(gateway, PATH, { headers: { authorization } });
}

describe('repeated Authorization header', () => {
  it('accepts a single header', async () => {
    const response = await listWith([`Bearer ${gateway.adminToken}`]);

    expect(response.status).toBe(200);
  });

  it('rejects two valid tokens', async () => {
    const response = await listWith([
      `Bearer ${gateway.adminToken}`,
      `Bearer ${await gateway.token(['acme'], ['mtls.read'])}`,
    ]);
    const problem = jsonOf(response);

    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(problem.code).toBe('request.header_repeated');
    expect(problem.errors).toEqual([
      { field: 'header:Authorization', message: 'is sent more than once (2 times). Send it once.' },
    ]);
  });

  it('rejects invalid token before valid', async () => {
    const response = await listWith(['Bearer not-a-token', `Bearer ${gateway.adminToken}`]);

    expect(response.status).toBe(400);
    expect(jsonOf(response).code).toBe('request.header_repeated');
  });

  it('rejects valid token before invalid', async () => {
    const response = await listWith([`Bearer ${gateway.adminToken}`, 'Bearer not-a-token']);

    expect(response.status).toBe(400);
    expect(jsonOf(response).code).toBe('request.header_repeated');
  });

  it('counts three headers', async () => {
    const token = `Bearer ${gateway.adminToken}`;
    const response = await listWith([token, token, token]);

    expect(response.status).toBe(400);
    expect(jsonOf(response).detail).toContain('(3 times)');
  });

  it('rejects repeat before verifying', async () => {
    const before = logs.entries().length;

    await listWith(['Bearer not-a-token', 'Bearer also-not-a-token']);
    const written = logs.entries().slice(before);

    expect(written.filter((entry) => entry.message === 'Authentication failed')).toEqual([]);
    expect(written.filter((entry) => entry.message === 'Request handled')).toHaveLength(1);
  });
});
