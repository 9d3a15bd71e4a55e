import { request } from 'node:http';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { parseRequestTarget } from '../../local/events.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

interface RawResponse {
  status: number;
  body: Record<string, unknown>;
}

/**
 * Sends `target` unchanged as the request target. fetch() and new URL() would normalize
 * it first, and this test needs the bytes a raw client sends.
 */
function sendRaw(gateway: TestGateway, target: string): Promise<RawResponse> {
  const { hostname, port } = new URL(gateway.url);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        host: hostname,
        port,
        method: 'GET',
        path: target,
        headers: { authorization: `Bearer ${gateway.adminToken}` },
        timeout: 10_000,
      },
      (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('end', () =>
          resolve({
            status: incoming.statusCode ?? 0,
            body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
          }),
        );
        incoming.on('error', reject);
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error(`No response to GET ${target}.`)));
    outgoing.on('error', reject);
    outgoing.end();
  });
}

describe('parseRequestTarget', () => {
  it('keeps a leading double slash', () => {
    expect(parseRequestTarget('//mtls/account/1/certificates').pathname).toBe(
      '//mtls/account/1/certificates',
    );
  });

  it('keeps dot segments', () => {
    expect(parseRequestTarget('/mtls/account/1/../2/certificates').pathname).toBe(
      '/mtls/account/1/../2/certificates',
    );
  });

  it('splits at the first question mark', () => {
    const target = parseRequestTarget('/mtls/a?b=1?c&b=2');

    expect(target.pathname).toBe('/mtls/a');
    expect(target.searchParams.getAll('b')).toEqual(['1?c', '2']);
  });

  it('decodes query values', () => {
    expect(parseRequestTarget('/x?name=a%20b+c').searchParams.get('name')).toBe('a b c');
  });

  it('returns empty query without mark', () => {
    expect([...parseRequestTarget('/x').searchParams]).toEqual([]);
  });
});

describe('local gateway request target', () => {
  let gateway: TestGateway;

  beforeAll(async () => {
    gateway = await startTestGateway();
  });

  afterAll(async () => {
    await gateway.close();
  });

  it('names double-slash path in 404', async () => {
    const response = await sendRaw(gateway, '//mtls/account/123/certificates');

    expect(response.status).toBe(404);
    expect(response.body.code).toBe('request.route_not_found');
    expect(response.body.detail).toBe('No route matches GET //mtls/account/123/certificates.');
    expect(response.body.instance).toBe('//mtls/account/123/certificates');
  });

  it('serves the route with a query', async () => {
    const response = await sendRaw(gateway, '/mtls/account/123/certificates?unused=1');

    expect(response.status).toBe(200);
  });
});
