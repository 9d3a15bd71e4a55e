import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { parseAllowList } from '../../shared/forwarding/address-guard.js';
import {
  type ClientIdentity,
  type ForwardClientOptions,
  ForwardClient,
  type ForwardRequest,
} from '../../shared/forwarding/client.js';
import { GatewayError } from '../../shared/errors.js';
import { createTestPki, type TestIdentity, type TestPki } from '../support/pki.js';
import { startSilentServer, startTlsServer, type TestServer } from '../support/tls-servers.js';

let pki: TestPki;
let otherPki: TestPki;
let mtlsServer: TestServer;
let plainServer: TestServer;
let untrustedServer: TestServer;
let silentServer: TestServer;
const clients: ForwardClient[] = [];

function createClient(options: Partial<ForwardClientOptions> = {}): ForwardClient {
  const client = new ForwardClient({
    allow: parseAllowList('127.0.0.1'),
    extraCaPem: pki.root.certPem,
    ...options,
  });
  clients.push(client);
  return client;
}

function identityOf(leaf: TestIdentity, intermediate: TestIdentity): ClientIdentity {
  return {
    cacheKey: leaf.certPem,
    privateKeyPem: leaf.keyPem,
    certificateChainPem: `${leaf.certPem}${intermediate.certPem}`,
  };
}

/** Sends the request and returns the GatewayError it fails with. */
async function failureOf(client: ForwardClient, request: ForwardRequest): Promise<GatewayError> {
  const error: unknown = await client.send(request).then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof GatewayError)) {
    throw new Error(`Expected a GatewayError, got ${String(error)}`);
  }
  return error;
}

function get(origin: string, path = '/'): ForwardRequest {
  return { url: new URL(`${origin}${path}`), method: 'GET', headers: {} };
}

beforeAll(async () => {
  pki = createTestPki();
  otherPki = createTestPki();
  const server = { keyPem: pki.server.keyPem, certPem: pki.server.certPem };
  mtlsServer = await startTlsServer({ ...server, clientCaPem: pki.root.certPem });
  plainServer = await startTlsServer(server);
  untrustedServer = await startTlsServer({
    keyPem: otherPki.server.keyPem,
    certPem: otherPki.server.certPem,
  });
  silentServer = await startSilentServer();
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await Promise.all([mtlsServer, plainServer, untrustedServer, silentServer].map((s) => s.stop()));
});

describe('ForwardClient time-outs', () => {
  it('times out silent TLS handshake', async () => {
    const client = createClient({ connectTimeoutMs: 200 });
    const origin = `https://127.0.0.1:${silentServer.port}`;

    const error = await failureOf(client, get(origin, '/secret/path?token=abc'));

    expect(error.status).toBe(504);
    expect(error.code).toBe('forward.connect_timeout');
    expect(error.message).toContain(`https://127.0.0.1:${silentServer.port}`);
    expect(error.message).not.toContain('secret');
    expect(error.message).not.toContain('token');
  });

  it('times out hanging response', async () => {
    const client = createClient({ totalTimeoutMs: 300 });

    const error = await failureOf(client, get(plainServer.origin, '/hang'));

    expect(error.status).toBe(504);
    expect(error.code).toBe('forward.timeout');
    expect(error.message).toContain(`https://127.0.0.1:${plainServer.port}`);
  });
});

describe('ForwardClient size limits', () => {
  it('rejects oversized response', async () => {
    const client = createClient({ maxResponseBytes: 64 * 1024 });

    const error = await failureOf(client, get(plainServer.origin, '/large'));

    expect(error.status).toBe(502);
    expect(error.code).toBe('forward.response_too_large');
  });

  it('accepts response at limit', async () => {
    const client = createClient({ maxResponseBytes: 256 * 1024 });

    const response = await client.send(get(plainServer.origin, '/large'));

    expect(response.body.length).toBe(256 * 1024);
  });

  it('rejects oversized request without connecting', async () => {
    const client = createClient({ maxRequestBytes: 10 });
    const before = plainServer.connections;
    const request = { ...get(plainServer.origin, '/raw'), method: 'POST', body: Buffer.alloc(11) };

    const error = await failureOf(client, request);

    expect(error.status).toBe(413);
    expect(error.code).toBe('forward.request_too_large');
    expect(plainServer.connections).toBe(before);
  });
});

describe('ForwardClient TLS failures', () => {
  it('rejects untrusted target certificate', async () => {
    const client = createClient();

    const error = await failureOf(client, get(untrustedServer.origin, '/'));

    expect(error.status).toBe(502);
    expect(error.code).toBe('forward.tls_failed');
    expect(error.message).toContain(`https://127.0.0.1:${untrustedServer.port}`);
    expect(untrustedServer.requests).toEqual([]);
  });

  it('rejects target without extra CA', async () => {
    const client = createClient({ extraCaPem: undefined });

    const error = await failureOf(client, get(plainServer.origin, '/'));

    expect(error.code).toBe('forward.tls_failed');
  });

  it('reports missing client certificate', async () => {
    const client = createClient();
    const before = mtlsServer.requests.length;

    const error = await failureOf(client, get(mtlsServer.origin, '/'));

    expect(error.status).toBe(502);
    expect(error.code).toBe('forward.tls_failed');
    expect(mtlsServer.requests.length).toBe(before);
  });

  // A Node 24 TLS server that rejects a client certificate closes the connection without a TLS
  // alert, so the client cannot tell this from any other closed connection.
  it('reports client certificate from unknown CA', async () => {
    const client = createClient();
    const stranger = otherPki.issueClient('stranger');
    const identity = identityOf(stranger, otherPki.intermediate);
    const before = mtlsServer.requests.length;

    const error = await failureOf(client, { ...get(mtlsServer.origin, '/'), identity });

    expect(error.status).toBe(502);
    expect(['forward.tls_failed', 'forward.target_unreachable']).toContain(error.code);
    expect(mtlsServer.requests.length).toBe(before);
  });

  it('rejects key that mismatches certificate', async () => {
    const client = createClient();
    const leaf = pki.issueClient('mismatch');
    const other = pki.issueClient('other');
    const identity = { ...identityOf(leaf, pki.intermediate), privateKeyPem: other.keyPem };

    const error = await failureOf(client, { ...get(mtlsServer.origin, '/'), identity });

    expect(error.status).toBe(400);
    expect(error.code).toBe('forward.identity_invalid');
    expect(error.message).not.toContain('PRIVATE KEY');
  });
});

describe('ForwardClient unreachable targets', () => {
  it('reports refused connection', async () => {
    const client = createClient();
    const closed = await startSilentServer();
    await closed.stop();

    const error = await failureOf(client, get(`https://127.0.0.1:${closed.port}`, '/'));

    expect(error.status).toBe(502);
    expect(error.code).toBe('forward.target_unreachable');
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('reports unresolvable host', async () => {
    const resolver = async () => {
      throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
    };
    const client = createClient({ resolver });

    const error = await failureOf(client, get('https://missing.test', '/'));

    expect(error.status).toBe(502);
    expect(error.code).toBe('forward.target_unreachable');
    expect(error.message).toContain('https://missing.test:443');
  });

  it('rejects invalid header value', async () => {
    const client = createClient();
    const before = plainServer.connections;
    const request = { ...get(plainServer.origin, '/'), headers: { 'x-bad': 'a\r\nb: injected' } };

    const error = await failureOf(client, request);

    expect(error.status).toBe(400);
    expect(error.code).toBe('forward.request_invalid');
    expect(error.message).not.toContain('injected');
    expect(plainServer.connections).toBe(before);
  });

  it('rejects http without allowHttp', async () => {
    const client = createClient();

    const error = await failureOf(client, get(`http://127.0.0.1:${plainServer.port}`, '/'));

    expect(error.status).toBe(400);
    expect(error.code).toBe('forward.url_scheme');
  });
});
