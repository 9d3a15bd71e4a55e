import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import {
  callForward,
  createMapping,
  echoOf,
  fingerprintOf,
  type ForwardGateway,
  jsonOf,
  type RawResponse,
  setEnvironment,
  startForwardGateway,
  uploadCertificate,
} from '../support/forwarding.js';
import type { TestGateway } from '../support/gateway.js';
import { makeP12, type P12File, type P12Kind } from '../support/p12-files.js';
import { createTestPki, type TestPki } from '../support/pki.js';
import {
  GZIP_SOURCE,
  startTlsServer,
  startUntrustedServer,
  type TestServer,
} from '../support/tls-servers.js';
import { captureLogs, forwardLinesOf, type LogCapture } from '../support/log-lines.js';

const ACCOUNT = 'acme';

/** Paths of the mutual TLS server that map to alice's certificate. */
const ALICE_PATHS = ['/alice', '/raw', '/gzip', '/set-cookie', '/status/404', '/status/500'];

const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, index) => index));

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

let pki: TestPki;
let setup: ForwardGateway;
let gateway: TestGateway;
/** Demands a client certificate issued by the test intermediate CA. */
let mtlsServer: TestServer;
/** Requests a client certificate but also serves clients without one. */
let optionalServer: TestServer;
let alice: P12File;
let bob: P12File;
let aliceId: number;
let bobId: number;
let mappingCounter = 0;

async function mapUrl(certificateId: number, serviceId: string, url: string): Promise<number> {
  mappingCounter += 1;
  const name = `forward-${mappingCounter}`;
  return createMapping(gateway, ACCOUNT, { certificateId, serviceId, url, name });
}

function forwardTo(url: string, headers: Record<string, string> = {}) {
  return callForward(gateway, ACCOUNT, { headers: { 'lp-forward-url': url, ...headers } });
}

beforeAll(async () => {
  pki = createTestPki();
  const serverIdentity = { keyPem: pki.server.keyPem, certPem: pki.server.certPem };
  const clientCaPem = `${pki.root.certPem}${pki.intermediate.certPem}`;
  mtlsServer = await startTlsServer({ ...serverIdentity, clientCaPem });
  optionalServer = await startTlsServer({
    ...serverIdentity,
    clientCaPem,
    clientCertificate: 'optional',
  });

  setup = await startForwardGateway(pki);
  gateway = setup.gateway;

  alice = makeP12('openssl-default', { pki, client: pki.issueClient('alice.example.test') });
  bob = makeP12('openssl-default', { pki, client: pki.issueClient('bob.example.test') });
  aliceId = await uploadCertificate(gateway, ACCOUNT, 'alice', alice, 'json');
  bobId = await uploadCertificate(gateway, ACCOUNT, 'bob', bob, 'multipart');

  for (const path of ALICE_PATHS) {
    await mapUrl(aliceId, 'IDP', `${mtlsServer.origin}${path}`);
  }
  await mapUrl(bobId, 'WEBHOOKS', `${mtlsServer.origin}/bob`);
  await mapUrl(aliceId, 'IDP', `${optionalServer.origin}/mapped`);
});

afterAll(async () => {
  await setup.close();
  await mtlsServer.stop();
  await optionalServer.stop();
});

describe('forward client certificates', () => {
  it('presents mapped certificate', async () => {
    const response = await forwardTo(`${mtlsServer.origin}/alice`);

    expect(response.status).toBe(200);
    expect(echoOf(response).clientFingerprint).toBe(fingerprintOf(alice.identity.certPem));
  });

  it('presents each mapping its certificate', async () => {
    const toAlice = await forwardTo(`${mtlsServer.origin}/alice`);
    const toBob = await forwardTo(`${mtlsServer.origin}/bob`);

    expect(toBob.status).toBe(200);
    expect(echoOf(toAlice).clientFingerprint).toBe(fingerprintOf(alice.identity.certPem));
    expect(echoOf(toBob).clientFingerprint).toBe(fingerprintOf(bob.identity.certPem));
  });

  it('sends unmapped URL over plain TLS', async () => {
    const mapped = await forwardTo(`${optionalServer.origin}/mapped`);
    const unmapped = await forwardTo(`${optionalServer.origin}/unmapped`);

    expect(unmapped.status).toBe(200);
    expect(echoOf(unmapped).clientFingerprint).toBeNull();
    expect(echoOf(mapped).clientFingerprint).toBe(fingerprintOf(alice.identity.certPem));
  });

  describe.each<{ kind: P12Kind; name: string }>([
    { kind: 'openssl-default', name: 'rsa' },
    { kind: 'ec-p256', name: 'ec' },
    { kind: 'openssl-legacy', name: 'legacy-rc2' },
  ])('$kind p12', ({ kind, name }) => {
    it('forwards with its certificate', async () => {
      const file = makeP12(kind, { pki, client: pki.issueClient(`${name}.example.test`) });
      const certificateId = await uploadCertificate(gateway, ACCOUNT, name, file);
      await mapUrl(certificateId, 'TEST_SERVICE', `${mtlsServer.origin}/${name}`);

      const response = await forwardTo(`${mtlsServer.origin}/${name}`);

      expect(response.status).toBe(200);
      expect(echoOf(response).clientFingerprint).toBe(fingerprintOf(file.identity.certPem));
    });
  });
});

describe('forward mapping choice', () => {
  let sharedUrl: string;

  beforeAll(async () => {
    sharedUrl = `${mtlsServer.origin}/shared`;
    await mapUrl(aliceId, 'IDP', sharedUrl);
    await mapUrl(bobId, 'WEBHOOKS', sharedUrl);
  });

  it('rejects ambiguous mappings with 409', async () => {
    const before = mtlsServer.requests.length;

    const response = await forwardTo(sharedUrl);

    expect(response.status).toBe(409);
    expect(response.headers['lp-mtls-error']).toBe('true');
    expect(jsonOf(response).code).toBe('forward.mapping_ambiguous');
    expect(jsonOf(response).detail).toContain('LP-service-name');
    expect(mtlsServer.requests.length).toBe(before);
  });

  it('picks mapping by service name', async () => {
    const asIdp = await forwardTo(sharedUrl, { 'lp-service-name': 'IDP' });
    const asWebhooks = await forwardTo(sharedUrl, { 'lp-service-name': '2' });

    expect(asIdp.status).toBe(200);
    expect(asWebhooks.status).toBe(200);
    expect(echoOf(asIdp).clientFingerprint).toBe(fingerprintOf(alice.identity.certPem));
    expect(echoOf(asWebhooks).clientFingerprint).toBe(fingerprintOf(bob.identity.certPem));
  });
});

describe('forward request bodies', () => {
  const bodies = [
    { kind: 'json', body: Buffer.from(JSON.stringify({ name: 'Zoë', values: [1, 2.5, null] })) },
    { kind: 'binary', body: ALL_BYTES },
    { kind: 'empty', body: Buffer.alloc(0) },
  ];
  const cases = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].flatMap((method) =>
    bodies.map(({ kind, body }) => ({ method, kind, body })),
  );

  it.each(cases)('$method sends $kind body', async ({ method, body }) => {
    const response = await callForward(gateway, ACCOUNT, {
      method,
      headers: {
        'lp-forward-url': `${mtlsServer.origin}/alice`,
        'content-type': 'application/octet-stream',
      },
      body,
    });
    const echoed = echoOf(response);

    expect(response.status).toBe(200);
    expect(echoed.method).toBe(method);
    expect(echoed.bodyLength).toBe(body.length);
    expect(echoed.bodySha256).toBe(sha256(body));
    expect(echoed.clientFingerprint).toBe(fingerprintOf(alice.identity.certPem));
  });

  it('passes content type', async () => {
    const contentType = 'application/json; charset=utf-8';

    const response = await callForward(gateway, ACCOUNT, {
      method: 'POST',
      headers: { 'lp-forward-url': `${mtlsServer.origin}/alice`, 'content-type': contentType },
      body: '{"ok":true}',
    });

    expect(echoOf(response).headers['content-type']).toBe(contentType);
  });

  it('passes query string', async () => {
    const query = 'a=1&b=two%20words&a=3&empty=';

    const response = await forwardTo(`${mtlsServer.origin}/alice?${query}`);
    const echoed = echoOf(response);

    expect(echoed.path).toBe('/alice');
    expect(echoed.query).toBe(query);
    expect(echoed.clientFingerprint).toBe(fingerprintOf(alice.identity.certPem));
  });
});

describe('forward request headers', () => {
  it('replaces Authorization with override', async () => {
    const override = 'Basic dGFyZ2V0LXVzZXI6dGFyZ2V0LXBhc3M=';

    const response = await forwardTo(`${mtlsServer.origin}/alice`, {
      'lp-authorization-override': override,
    });
    const echoed = echoOf(response);

    expect(echoed.headers.authorization).toBe(override);
    expect(JSON.stringify(echoed.headers)).not.toContain(gateway.adminToken);
  });

  it('drops caller Authorization without override', async () => {
    const response = await forwardTo(`${mtlsServer.origin}/alice`);
    const echoed = echoOf(response);

    expect(echoed.headers.authorization).toBeUndefined();
    expect(JSON.stringify(echoed.headers)).not.toContain(gateway.adminToken);
  });

  it('drops gateway and hop-by-hop headers', async () => {
    const response = await forwardTo(`${mtlsServer.origin}/alice`, {
      'lp-service-name': 'IDP',
      'lp-custom-flag': 'gateway-only',
      connection: 'close, X-Hop-Marker',
      'x-hop-marker': 'listed-in-connection',
      'keep-alive': 'timeout=5',
      te: 'trailers',
      'proxy-authorization': 'Basic cHJveHk6c2VjcmV0',
      'proxy-connection': 'keep-alive',
      'x-end-to-end': 'kept',
    });
    const headers = echoOf(response).headers;
    const names = Object.keys(headers);

    expect(response.status).toBe(200);
    expect(headers['x-end-to-end']).toBe('kept');
    expect(names.filter((name) => name.startsWith('lp-'))).toEqual([]);
    expect(headers['x-hop-marker']).toBeUndefined();
    expect(headers['keep-alive']).toBeUndefined();
    expect(headers.te).toBeUndefined();
    expect(headers['proxy-authorization']).toBeUndefined();
    expect(headers['proxy-connection']).toBeUndefined();
  });

  it('sets Host to target', async () => {
    const response = await forwardTo(`${mtlsServer.origin}/alice`);

    expect(echoOf(response).headers.host).toBe(`127.0.0.1:${mtlsServer.port}`);
  });
});

describe('forward responses', () => {
  it('returns binary body byte-exact', async () => {
    const body = Buffer.concat(Array.from({ length: 64 }, () => ALL_BYTES));

    const response = await callForward(gateway, ACCOUNT, {
      method: 'POST',
      headers: {
        'lp-forward-url': `${mtlsServer.origin}/raw`,
        'content-type': 'application/octet-stream',
      },
      body,
    });

    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/octet-stream');
    expect(response.body.equals(body)).toBe(true);
  });

  it('returns repeated Set-Cookie headers', async () => {
    const response = await forwardTo(`${mtlsServer.origin}/set-cookie`);

    expect(response.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2; Path=/; HttpOnly']);
  });

  it('returns gzip body undecoded', async () => {
    const response = await forwardTo(`${mtlsServer.origin}/gzip`);

    expect(response.headers['content-encoding']).toBe('gzip');
    expect(response.headers['content-length']).toBe(String(response.body.length));
    expect(response.body.equals(gzipSync(GZIP_SOURCE))).toBe(true);
    expect(gunzipSync(response.body).toString('utf8')).toBe(GZIP_SOURCE);
  });

  it.each([404, 500])('passes target status %i', async (status) => {
    const response = await forwardTo(`${mtlsServer.origin}/status/${status}`);

    expect(response.status).toBe(status);
    expect(response.body.toString('utf8')).toBe(`status ${status}`);
    expect(response.headers['lp-mtls-error']).toBeUndefined();
  });

  it('returns redirect unfollowed', async () => {
    const before = optionalServer.requests.length;

    const response = await forwardTo(`${optionalServer.origin}/redirect`);

    expect(response.status).toBe(302);
    expect(response.headers.location).toBe('/echo');
    expect(response.headers['lp-mtls-error']).toBeUndefined();
    expect(optionalServer.requests.slice(before)).toEqual(['GET /redirect']);
  });
});

describe('forward secret reads', () => {
  let restore: () => void;

  beforeAll(() => {
    // The key material cache is what keeps a warm forward away from the secret store.
    restore = setEnvironment({ MTLS_CACHE_TTL_SECONDS: '300' });
  });

  afterAll(() => {
    restore();
  });

  it('reads no secret when warm', async () => {
    const file = makeP12('openssl-default', { pki, client: pki.issueClient('warm.example.test') });
    const certificateId = await uploadCertificate(gateway, ACCOUNT, 'warm', file);
    await mapUrl(certificateId, 'IDP', `${mtlsServer.origin}/warm`);
    const reads = vi.spyOn(gateway.dependencies.secrets, 'get');

    try {
      const cold = await forwardTo(`${mtlsServer.origin}/warm`);
      const readsWhenCold = reads.mock.calls.length;
      const warm = await forwardTo(`${mtlsServer.origin}/warm`);

      expect(cold.status).toBe(200);
      expect(warm.status).toBe(200);
      expect(readsWhenCold).toBe(1);
      expect(reads.mock.calls.length).toBe(readsWhenCold);
      expect(echoOf(warm).clientFingerprint).toBe(fingerprintOf(file.identity.certPem));
    } finally {
      reads.mockRestore();
    }
  });
});

describe('forward log line', () => {
  let logs: LogCapture;
  /** Serves a certificate from another root CA, so every TLS handshake with it fails. */
  let untrustedServer: TestServer;

  beforeAll(async () => {
    untrustedServer = await startUntrustedServer();
    logs = captureLogs();
  });

  afterAll(async () => {
    logs.stop();
    await untrustedServer.stop();
  });

  const linesOf = (send: () => Promise<RawResponse>) => forwardLinesOf(logs, send);

  it('logs one line per forward', async () => {
    const override = 'Bearer override-credential-in-log-test';
    const body = Buffer.from('{"log":"body"}');
    const mappingId = await mapUrl(aliceId, 'IDP', `${mtlsServer.origin}/log-path-marker`);

    const { response, forwarded, failed, handled } = await linesOf(() =>
      callForward(gateway, ACCOUNT, {
        method: 'POST',
        headers: {
          'lp-forward-url': `${mtlsServer.origin}/log-path-marker?secret-query=query-value`,
          'lp-authorization-override': override,
          'content-type': 'application/json',
        },
        body,
      }),
    );
    const line = forwarded[0] ?? {};

    expect(response.status).toBe(200);
    expect(forwarded).toHaveLength(1);
    expect(failed).toHaveLength(0);
    expect(line).toMatchObject({
      accountId: ACCOUNT,
      serviceId: 1,
      mappingId,
      certificateId: aliceId,
      targetOrigin: mtlsServer.origin,
      mtls: true,
      status: 200,
      requestBytes: body.length,
      responseBytes: response.body.length,
    });
    expect(typeof line.durationMs).toBe('number');
    expect(line.requestId).toBe(handled[0]?.requestId);
    expect(JSON.stringify(line)).not.toContain('log-path-marker');
    expect(JSON.stringify(line)).not.toContain('query-value');
    expect(JSON.stringify(line)).not.toContain(override);
    expect(logs.text()).not.toContain(gateway.adminToken);
  });

  it('logs plain TLS forward', async () => {
    const { response, forwarded } = await linesOf(() =>
      forwardTo(`${optionalServer.origin}/plain-log`),
    );

    expect(response.status).toBe(200);
    expect(forwarded).toHaveLength(1);
    expect(forwarded[0]).toMatchObject({ mtls: false, status: 200 });
    expect(forwarded[0]?.mappingId).toBeUndefined();
    expect(forwarded[0]?.certificateId).toBeUndefined();
  });

  it('logs one line per failed forward', async () => {
    const override = 'Bearer override-credential-in-failure-log';
    const body = Buffer.from('{"failed":"forward"}');
    const url = `${untrustedServer.origin}/failed-path-marker`;
    const mappingId = await mapUrl(aliceId, 'IDP', url);

    const { response, forwarded, failed, handled } = await linesOf(() =>
      callForward(gateway, ACCOUNT, {
        method: 'PUT',
        headers: {
          'lp-forward-url': `${url}?failed-query=failed-value`,
          'lp-authorization-override': override,
          'content-type': 'application/json',
        },
        body,
      }),
    );
    const line = failed[0] ?? {};

    expect(response.status).toBe(502);
    expect(failed).toHaveLength(1);
    expect(forwarded).toHaveLength(0);
    expect(line).toMatchObject({
      level: 'WARN',
      accountId: ACCOUNT,
      serviceId: 1,
      mappingId,
      certificateId: aliceId,
      targetOrigin: untrustedServer.origin,
      mtls: true,
      code: 'forward.tls_failed',
      status: 502,
      requestBytes: body.length,
      responseBytes: 0,
    });
    expect(typeof line.durationMs).toBe('number');
    expect(line.requestId).toBe(handled[0]?.requestId);
    expect(JSON.stringify(line)).not.toContain('failed-path-marker');
    expect(JSON.stringify(line)).not.toContain('failed-value');
    expect(JSON.stringify(line)).not.toContain(override);
  });

  it('logs failure before sending', async () => {
    const sharedUrl = `${untrustedServer.origin}/ambiguous-log`;
    await mapUrl(aliceId, 'IDP', sharedUrl);
    await mapUrl(bobId, 'WEBHOOKS', sharedUrl);

    const { response, failed } = await linesOf(() => forwardTo(sharedUrl));

    expect(response.status).toBe(409);
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({
      code: 'forward.mapping_ambiguous',
      status: 409,
      targetOrigin: untrustedServer.origin,
    });
    expect(untrustedServer.requests).toEqual([]);
  });

  it('logs plain TLS failure', async () => {
    const { response, failed } = await linesOf(() =>
      forwardTo(`${untrustedServer.origin}/unmapped-failure`),
    );

    expect(response.status).toBe(502);
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ mtls: false, code: 'forward.tls_failed' });
    expect(failed[0]?.mappingId).toBeUndefined();
    expect(failed[0]?.certificateId).toBeUndefined();
  });
});
