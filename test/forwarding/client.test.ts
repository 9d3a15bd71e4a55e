import { X509Certificate } from 'node:crypto';
import { gunzipSync } from 'node:zlib';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { parseAllowList } from '../../shared/forwarding/address-guard.js';
import { type ClientIdentity, ForwardClient } from '../../shared/forwarding/client.js';
import { createTestPki, type TestIdentity, type TestPki } from '../support/pki.js';
import {
  type EchoedRequest,
  GZIP_SOURCE,
  startTlsServer,
  type TestServer,
} from '../support/tls-servers.js';

let pki: TestPki;
let mtlsServer: TestServer;
let plainServer: TestServer;
let client: ForwardClient;
let alice: TestIdentity;
let bob: TestIdentity;

function identityOf(leaf: TestIdentity, cacheKey: string): ClientIdentity {
  return {
    cacheKey,
    privateKeyPem: leaf.keyPem,
    certificateChainPem: `${leaf.certPem}${pki.intermediate.certPem}`,
  };
}

function fingerprintOf(leaf: TestIdentity): string {
  return new X509Certificate(leaf.certPem).fingerprint256;
}

function echoOf(body: Buffer): EchoedRequest {
  return JSON.parse(body.toString('utf8')) as EchoedRequest;
}

beforeAll(async () => {
  pki = createTestPki();
  alice = pki.issueClient('alice');
  bob = pki.issueClient('bob');
  const server = { keyPem: pki.server.keyPem, certPem: pki.server.certPem };
  mtlsServer = await startTlsServer({ ...server, clientCaPem: pki.root.certPem });
  plainServer = await startTlsServer(server);
  client = new ForwardClient({ allow: parseAllowList('127.0.0.1'), extraCaPem: pki.root.certPem });
});

afterAll(async () => {
  await client.close();
  await mtlsServer.stop();
  await plainServer.stop();
});

describe('ForwardClient mutual TLS', () => {
  it('presents the identity certificate', async () => {
    const response = await client.send({
      url: new URL(`${mtlsServer.origin}/who`),
      method: 'GET',
      headers: {},
      identity: identityOf(alice, 'alice'),
    });

    expect(response.status).toBe(200);
    expect(echoOf(response.body).clientFingerprint).toBe(fingerprintOf(alice));
  });

  it('uses one agent per identity', async () => {
    const before = mtlsServer.handshakes.length;
    const send = (leaf: TestIdentity, key: string) =>
      client.send({
        url: new URL(`${mtlsServer.origin}/who`),
        method: 'GET',
        headers: {},
        identity: identityOf(leaf, key),
      });

    const first = await send(alice, 'alice-2');
    const second = await send(bob, 'bob-2');
    const third = await send(alice, 'alice-2');

    expect(echoOf(first.body).clientFingerprint).toBe(fingerprintOf(alice));
    expect(echoOf(second.body).clientFingerprint).toBe(fingerprintOf(bob));
    expect(echoOf(third.body).clientFingerprint).toBe(fingerprintOf(alice));
    const fingerprints = mtlsServer.handshakes.slice(before).map((h) => h.clientFingerprint);
    expect(fingerprints).toEqual([fingerprintOf(alice), fingerprintOf(bob)]);
  });

  it('sends no certificate without identity', async () => {
    const response = await client.send({
      url: new URL(`${plainServer.origin}/who`),
      method: 'GET',
      headers: {},
    });

    expect(response.status).toBe(200);
    expect(echoOf(response.body).clientFingerprint).toBeNull();
  });

  it('replaces agents after their lifetime', async () => {
    const shortLived = new ForwardClient({
      allow: parseAllowList('127.0.0.1'),
      extraCaPem: pki.root.certPem,
      agentTtlMs: 0,
    });
    const before = plainServer.connections;
    const closedBefore = plainServer.closedConnections;
    const url = new URL(`${plainServer.origin}/ttl`);

    await shortLived.send({ url, method: 'GET', headers: {} });
    await shortLived.send({ url, method: 'GET', headers: {} });
    await waitFor(() => plainServer.closedConnections > closedBefore);
    await shortLived.close();

    expect(plainServer.connections - before).toBe(2);
    expect(plainServer.closedConnections).toBeGreaterThan(closedBefore);
  });

  it('reuses connections within lifetime', async () => {
    const before = plainServer.connections;
    const url = new URL(`${plainServer.origin}/reuse`);

    await client.send({ url, method: 'GET', headers: {} });
    await client.send({ url, method: 'GET', headers: {} });

    expect(plainServer.connections - before).toBeLessThanOrEqual(1);
  });
});

describe('ForwardClient requests', () => {
  const methods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
  it.each(methods)('forwards %s with path and query', async (method) => {
    const response = await client.send({
      url: new URL(`${mtlsServer.origin}/items/7?filter=a%20b&x=1#fragment`),
      method,
      headers: { 'x-request-id': 'r-1' },
      identity: identityOf(alice, 'alice'),
    });
    const echoed = echoOf(response.body);

    expect(echoed.method).toBe(method);
    expect(echoed.path).toBe('/items/7');
    expect(echoed.query).toBe('filter=a%20b&x=1');
    expect(echoed.headers['x-request-id']).toBe('r-1');
  });

  it('forwards JSON body unchanged', async () => {
    const json = JSON.stringify({ name: 'café', values: [1, 2, 3] });
    const response = await client.send({
      url: new URL(`${mtlsServer.origin}/raw`),
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(json),
      identity: identityOf(alice, 'alice'),
    });

    expect(response.headers['content-type']).toBe('application/json');
    expect(response.body.toString('utf8')).toBe(json);
  });

  it('forwards every byte value', async () => {
    const binary = Buffer.from(Array.from({ length: 256 }, (_, index) => index));
    const response = await client.send({
      url: new URL(`${mtlsServer.origin}/raw`),
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream' },
      body: binary,
      identity: identityOf(alice, 'alice'),
    });

    expect(response.body.equals(binary)).toBe(true);
    expect(response.headers['content-length']).toBe('256');
  });

  it('forwards empty body', async () => {
    const response = await client.send({
      url: new URL(`${mtlsServer.origin}/empty`),
      method: 'POST',
      headers: {},
      body: new Uint8Array(0),
      identity: identityOf(alice, 'alice'),
    });
    const echoed = echoOf(response.body);

    expect(echoed.bodyLength).toBe(0);
    expect(echoed.headers['content-length']).toBe('0');
  });

  it('sends recomputed content length', async () => {
    const response = await client.send({
      url: new URL(`${mtlsServer.origin}/length`),
      method: 'POST',
      headers: { 'content-length': '9', host: 'other.test', connection: 'x-hop', 'x-hop': '1' },
      body: Buffer.from('four'),
      identity: identityOf(alice, 'alice'),
    });
    const echoed = echoOf(response.body);

    expect(echoed.headers['content-length']).toBe('4');
    expect(echoed.headers.host).toBe(`127.0.0.1:${mtlsServer.port}`);
    expect(echoed.headers['x-hop']).toBeUndefined();
  });
});

describe('ForwardClient responses', () => {
  it('keeps repeated Set-Cookie headers', async () => {
    const response = await client.send({
      url: new URL(`${plainServer.origin}/set-cookie`),
      method: 'GET',
      headers: {},
    });

    expect(response.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2; Path=/; HttpOnly']);
  });

  it.each([400, 404, 418, 500, 503])('passes status %i through', async (status) => {
    const response = await client.send({
      url: new URL(`${plainServer.origin}/status/${status}`),
      method: 'GET',
      headers: {},
    });

    expect(response.status).toBe(status);
    expect(response.body.toString('utf8')).toBe(`status ${status}`);
  });

  it('returns gzip body undecoded', async () => {
    const response = await client.send({
      url: new URL(`${plainServer.origin}/gzip`),
      method: 'GET',
      headers: { 'accept-encoding': 'gzip' },
    });

    expect(response.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(response.body).toString('utf8')).toBe(GZIP_SOURCE);
    expect(response.headers['content-length']).toBe(String(response.body.length));
  });

  it('returns redirect without following', async () => {
    const before = plainServer.requests.length;
    const response = await client.send({
      url: new URL(`${plainServer.origin}/redirect`),
      method: 'GET',
      headers: {},
    });

    expect(response.status).toBe(302);
    expect(response.headers.location).toBe('/echo');
    expect(plainServer.requests.slice(before)).toEqual(['GET /redirect']);
  });

  it('drops hop-by-hop response headers', async () => {
    const response = await client.send({
      url: new URL(`${plainServer.origin}/hop`),
      method: 'GET',
      headers: {},
    });

    expect(response.headers.connection).toBeUndefined();
    expect(response.headers['keep-alive']).toBeUndefined();
    expect(response.headers['content-type']).toBe('application/json');
  });
});

/** Polls `condition` every 10 ms, at most 200 times, because socket close events are async. */
async function waitFor(condition: () => boolean): Promise<void> {
  for (let attempt = 0; attempt < 200 && !condition(); attempt += 1) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
