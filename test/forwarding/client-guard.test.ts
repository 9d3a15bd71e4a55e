import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { parseAllowList, type Resolver } from '../../shared/forwarding/address-guard.js';
import { ForwardClient, type ForwardClientOptions } from '../../shared/forwarding/client.js';
import { GatewayError } from '../../shared/errors.js';
import { createTestPki, issueCertificate, type TestPki } from '../support/pki.js';
import { startTlsServer, type TestServer } from '../support/tls-servers.js';

let pki: TestPki;
let server: TestServer;
const clients: ForwardClient[] = [];

/** Resolves `localhost` and `target.test` to 127.0.0.1 without DNS and counts its calls. */
function stubResolver(answers: string[][] = [['127.0.0.1']]) {
  const calls: string[] = [];
  const resolver: Resolver = async (host) => {
    if (host !== 'localhost' && host !== 'target.test') {
      throw Object.assign(new Error(`${host} not found`), { code: 'ENOTFOUND' });
    }
    calls.push(host);
    const answer = answers[Math.min(calls.length, answers.length) - 1] ?? [];
    return answer.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return { resolver, calls };
}

function createClient(options: Partial<ForwardClientOptions> = {}): ForwardClient {
  const client = new ForwardClient({
    allow: parseAllowList(''),
    extraCaPem: pki.root.certPem,
    resolver: stubResolver().resolver,
    ...options,
  });
  clients.push(client);
  return client;
}

async function failureOf(client: ForwardClient, url: string): Promise<GatewayError> {
  const error: unknown = await client.send({ url: new URL(url), method: 'GET', headers: {} }).then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof GatewayError)) {
    throw new Error(`Expected a GatewayError, got ${String(error)}`);
  }
  return error;
}

beforeAll(async () => {
  pki = createTestPki();
  // The IPv4-mapped SAN lets `[::ffff:127.0.0.1]` pass hostname verification once allowed.
  const serverIdentity = issueCertificate({
    commonName: 'localhost',
    issuer: pki.root,
    serverAuth: true,
    dnsNames: ['localhost', 'target.test'],
    ipAddresses: ['127.0.0.1', '::ffff:7f00:1'],
  });
  server = await startTlsServer({ keyPem: serverIdentity.keyPem, certPem: serverIdentity.certPem });
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await server.stop();
});

const IPV4_SPELLINGS = ['127.0.0.1', '2130706433', '0x7f000001', '0177.0.0.1', '127.1'];
const MAPPED_SPELLINGS = ['[::ffff:127.0.0.1]', '[::ffff:7f00:1]'];
const IPV6_SPELLINGS = ['[::1]', '[0:0:0:0:0:0:0:1]'];
const ALL_SPELLINGS = [...IPV4_SPELLINGS, ...MAPPED_SPELLINGS, ...IPV6_SPELLINGS, 'localhost'];

describe('ForwardClient address guard', () => {
  it.each(ALL_SPELLINGS)('refuses %s without connecting', async (host) => {
    const client = createClient();
    const before = server.connections;

    const error = await failureOf(client, `https://${host}:${server.port}/`);

    expect(error.status).toBe(400);
    expect(error.code).toBe('forward.target_refused');
    expect(server.connections).toBe(before);
  });

  it('hides resolved address in refusal', async () => {
    const client = createClient();

    const error = await failureOf(client, `https://localhost:${server.port}/`);

    expect(error.message).toContain('localhost');
    expect(error.message).not.toContain('127.0.0.1');
  });

  const reachable = [...IPV4_SPELLINGS, ...MAPPED_SPELLINGS, 'localhost'];
  it.each(reachable)('accepts allowed %s', async (host) => {
    const client = createClient({ allow: parseAllowList('127.0.0.0/8') });
    const url = new URL(`https://${host}:${server.port}/allowed`);

    const response = await client.send({ url, method: 'GET', headers: {} });

    expect(response.status).toBe(200);
  });

  // The test servers listen on 127.0.0.1 only, so an allowed [::1] reaches a closed port.
  it.each(IPV6_SPELLINGS)('passes allowed %s to the network', async (host) => {
    const client = createClient({ allow: parseAllowList('::1') });

    const error = await failureOf(client, `https://${host}:${server.port}/`);

    expect(error.code).toBe('forward.target_unreachable');
  });

  it('accepts allow-listed host name', async () => {
    const client = createClient({ allow: parseAllowList('target.test') });
    const url = new URL(`https://target.test:${server.port}/named`);

    const response = await client.send({ url, method: 'GET', headers: {} });

    expect(response.status).toBe(200);
  });

  it('refuses when any address is refused', async () => {
    const { resolver } = stubResolver([['127.0.0.1', '127.0.0.2']]);
    const client = createClient({ allow: parseAllowList('127.0.0.1'), resolver });
    const before = server.connections;

    const error = await failureOf(client, `https://target.test:${server.port}/`);

    expect(error.code).toBe('forward.target_refused');
    expect(server.connections).toBe(before);
  });
});

describe('ForwardClient DNS pinning', () => {
  it('connects to the checked address', async () => {
    const { resolver, calls } = stubResolver([['127.0.0.1'], ['127.0.0.2']]);
    const client = createClient({ allow: parseAllowList('127.0.0.1'), resolver });
    const before = server.requests.length;

    const response = await client.send({
      url: new URL(`https://target.test:${server.port}/pinned`),
      method: 'GET',
      headers: {},
    });

    expect(response.status).toBe(200);
    expect(calls).toEqual(['target.test']);
    expect(server.requests.slice(before)).toEqual(['GET /pinned']);
  });

  it('checks every new connection', async () => {
    const { resolver, calls } = stubResolver([['127.0.0.1'], ['127.0.0.2']]);
    const allow = parseAllowList('127.0.0.1');
    const client = createClient({ allow, resolver, agentTtlMs: 0 });
    const url = `https://target.test:${server.port}/rebind`;

    await client.send({ url: new URL(url), method: 'GET', headers: {} });
    const error = await failureOf(client, url);

    expect(calls).toEqual(['target.test', 'target.test']);
    expect(error.code).toBe('forward.target_refused');
  });
});

describe('ForwardClient server name indication', () => {
  it('omits SNI for IP literal', async () => {
    const client = createClient({ allow: parseAllowList('127.0.0.1') });
    const before = server.handshakes.length;

    await client.send({ url: new URL(`${server.origin}/sni`), method: 'GET', headers: {} });

    expect(server.handshakes.slice(before).map((h) => h.servername)).toEqual([null]);
  });

  it('sends SNI for host name', async () => {
    const client = createClient({ allow: parseAllowList('127.0.0.1') });
    const before = server.handshakes.length;
    const url = new URL(`https://localhost:${server.port}/sni`);

    await client.send({ url, method: 'GET', headers: {} });

    expect(server.handshakes.slice(before).map((h) => h.servername)).toEqual(['localhost']);
  });
});

describe('ForwardClient plain http', () => {
  let httpServer: http.Server;
  let port: number;

  beforeAll(async () => {
    httpServer = http.createServer((_request, response) => response.end('plain'));
    await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
    port = (httpServer.address() as AddressInfo).port;
  });

  afterAll(async () => {
    httpServer.closeAllConnections();
    await new Promise((resolve) => httpServer.close(resolve));
  });

  it('guards http host names', async () => {
    const client = createClient({ allowHttp: true });

    const error = await failureOf(client, `http://localhost:${port}/`);

    expect(error.code).toBe('forward.target_refused');
  });

  it('sends allowed http request', async () => {
    const client = createClient({ allowHttp: true, allow: parseAllowList('127.0.0.1') });

    const response = await client.send({
      url: new URL(`http://localhost:${port}/`),
      method: 'GET',
      headers: {},
    });

    expect(response.body.toString('utf8')).toBe('plain');
  });
});
