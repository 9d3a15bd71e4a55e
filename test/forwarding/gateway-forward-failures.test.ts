import type { ServerResponse } from 'node:http';
import net from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { MAX_FORWARD_BODY_BYTES } from '../../shared/forwarding/client.js';
import { resetForwardClient } from '../../shared/forwarding/runtime.js';
import { clearRuntimeCaches } from '../../shared/runtime/cache.js';
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
import { makeP12, type P12File } from '../support/p12-files.js';
import { createTestPki, type TestPki } from '../support/pki.js';
import {
  startSilentServer,
  startTlsServer,
  startUntrustedServer,
  type TestServer,
} from '../support/tls-servers.js';

const ACCOUNT = 'acme';

let pki: TestPki;
let setup: ForwardGateway;
let gateway: TestGateway;
/**
 * Requests a client certificate but also serves clients without one, so a forward that fell
 * back to plain TLS would reach it and show up in its request list.
 */
let optionalServer: TestServer;
let mappingCounter = 0;

async function mapUrl(certificateId: number, url: string): Promise<number> {
  mappingCounter += 1;
  const name = `failure-${mappingCounter}`;
  return createMapping(gateway, ACCOUNT, { certificateId, serviceId: 'IDP', url, name });
}

async function uploadAndMap(name: string, file: P12File): Promise<{ id: number; url: string }> {
  const id = await uploadCertificate(gateway, ACCOUNT, name, file);
  const url = `${optionalServer.origin}/${name}`;
  await mapUrl(id, url);
  return { id, url };
}

function forwardTo(url: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  return callForward(gateway, ACCOUNT, { headers: { 'lp-forward-url': url, ...headers } });
}

beforeAll(async () => {
  pki = createTestPki();
  optionalServer = await startTlsServer({
    keyPem: pki.server.keyPem,
    certPem: pki.server.certPem,
    clientCaPem: `${pki.root.certPem}${pki.intermediate.certPem}`,
    clientCertificate: 'optional',
  });
  setup = await startForwardGateway(pki);
  gateway = setup.gateway;
});

afterAll(async () => {
  await setup.close();
  await optionalServer.stop();
});

describe('forward header validation', () => {
  it('rejects missing LP-forward-url', async () => {
    const response = await callForward(gateway, ACCOUNT);
    const problem = jsonOf(response);

    expect(response.status).toBe(400);
    expect(response.headers['lp-mtls-error']).toBe('true');
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(problem.code).toBe('forward.url_missing');
    expect(problem.errors[0].field).toBe('header:LP-forward-url');
  });

  it('rejects relative LP-forward-url', async () => {
    const response = await forwardTo('/relative/path');
    const problem = jsonOf(response);

    expect(response.status).toBe(400);
    expect(response.headers['lp-mtls-error']).toBe('true');
    expect(problem.code).toBe('forward.url_invalid');
    expect(problem.errors[0].field).toBe('header:LP-forward-url');
  });

  it('rejects http LP-forward-url', async () => {
    const response = await forwardTo(`http://127.0.0.1:${optionalServer.port}/plain-http`);
    const problem = jsonOf(response);

    expect(response.status).toBe(400);
    expect(problem.code).toBe('forward.url_scheme');
    expect(problem.errors[0].field).toBe('header:LP-forward-url');
  });

  it('rejects URL with userinfo', async () => {
    const before = optionalServer.connections;

    const response = await forwardTo(
      `https://user:userinfo-secret@127.0.0.1:${optionalServer.port}/userinfo`,
    );
    const problem = jsonOf(response);

    expect(response.status).toBe(400);
    expect(problem.code).toBe('forward.url_userinfo');
    expect(problem.errors[0].field).toBe('header:LP-forward-url');
    expect(response.body.toString('utf8')).not.toContain('userinfo-secret');
    expect(optionalServer.connections).toBe(before);
  });

  it.each([
    ['LP-forward-url', ['{target}/first', '{target}/second']],
    ['LP-forward-url', ['{target}/same', '{target}/same']],
    ['LP-service-name', ['IDP', 'WEBHOOKS']],
    ['LP-authorization-override', ['Bearer first', 'Bearer second']],
  ])('rejects repeated %s', async (name, values) => {
    const target = `${optionalServer.origin}/repeated`;
    const before = optionalServer.requests.length;

    const response = await callForward(gateway, ACCOUNT, {
      headers: {
        'lp-forward-url': target,
        [name.toLowerCase()]: values.map((value) => value.replace('{target}', target)),
      },
    });
    const problem = jsonOf(response);

    expect(response.status).toBe(400);
    expect(response.headers['lp-mtls-error']).toBe('true');
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(problem.code).toBe('request.header_repeated');
    expect(problem.errors[0].field).toBe(`header:${name}`);
    expect(problem.errors[0].message).toContain('more than once');
    expect(optionalServer.requests.length).toBe(before);
  });

  it('rejects unknown LP-service-name', async () => {
    const response = await forwardTo(`${optionalServer.origin}/service`, {
      'lp-service-name': 'BILLING',
    });
    const problem = jsonOf(response);

    expect(response.status).toBe(400);
    expect(response.headers['lp-mtls-error']).toBe('true');
    expect(problem.code).toBe('mapping.service_unknown');
    expect(problem.errors[0].field).toBe('header:LP-service-name');
  });
});

describe('forward unusable certificates', () => {
  it('rejects expired certificate without fallback', async () => {
    const file = makeP12('openssl-default', {
      pki,
      client: pki.issueClient('lapsed.example.test'),
    });
    const { id, url } = await uploadAndMap('lapsed', file);
    const working = await forwardTo(url);
    // Uploads reject expired leaves, so the row's validity moves into the past behind the API.
    // The mapping cache still contains the old dates, so it is cleared as an API write clears it.
    await gateway.dependencies.sql.execute(
      `UPDATE certificates SET not_before = now() - interval '2 days',
         not_after = now() - interval '1 day' WHERE id = :id`,
      { id },
    );
    clearRuntimeCaches();
    const before = optionalServer.requests.length;

    const response = await forwardTo(url);
    const problem = jsonOf(response);

    expect(echoOf(working).clientFingerprint).toBe(fingerprintOf(file.identity.certPem));
    expect(response.status).toBe(409);
    expect(response.headers['lp-mtls-error']).toBe('true');
    expect(problem.code).toBe('forward.certificate_expired');
    expect(problem.detail).toContain(String(id));
    expect(optionalServer.requests.length).toBe(before);
  });

  it('rejects not-yet-valid certificate without fallback', async () => {
    const file = makeP12('not-yet-valid', { pki });
    const { id, url } = await uploadAndMap('future', file);
    const before = optionalServer.requests.length;

    const response = await forwardTo(url);
    const problem = jsonOf(response);

    expect(response.status).toBe(409);
    expect(response.headers['lp-mtls-error']).toBe('true');
    expect(problem.code).toBe('forward.certificate_not_yet_valid');
    expect(problem.detail).toContain(String(id));
    expect(optionalServer.requests.length).toBe(before);
  });

  it('rejects missing secret without fallback', async () => {
    const file = makeP12('openssl-default', { pki, client: pki.issueClient('lost.example.test') });
    const { id, url } = await uploadAndMap('lost', file);
    const [row] = await gateway.dependencies.sql.execute<{ secret_path: string }>(
      'SELECT secret_path FROM certificates WHERE id = :id',
      { id },
    );
    await gateway.dependencies.secrets.destroy(row!.secret_path);
    const before = optionalServer.requests.length;

    const response = await forwardTo(url);
    const problem = jsonOf(response);

    expect(response.status).toBe(409);
    expect(response.headers['lp-mtls-error']).toBe('true');
    expect(problem.code).toBe('forward.certificate_missing');
    expect(problem.detail).toContain(String(id));
    expect(optionalServer.requests.length).toBe(before);
  });
});

describe('forward target failures', () => {
  let untrustedServer: TestServer;
  let silentServer: TestServer;

  beforeAll(async () => {
    untrustedServer = await startUntrustedServer();
    silentServer = await startSilentServer();
  });

  afterAll(async () => {
    await untrustedServer.stop();
    await silentServer.stop();
  });

  it('returns 502 for refused connection', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    const response = await forwardTo(`https://127.0.0.1:${port}/closed`);
    const problem = jsonOf(response);

    expect(response.status).toBe(502);
    expect(response.headers['lp-mtls-error']).toBe('true');
    expect(problem.code).toBe('forward.target_unreachable');
    expect(problem.detail).toContain(`https://127.0.0.1:${port}`);
    expect(problem.detail).not.toContain('/closed');
  });

  it('returns 502 for untrusted target', async () => {
    const response = await forwardTo(`${untrustedServer.origin}/untrusted`);
    const problem = jsonOf(response);

    expect(response.status).toBe(502);
    expect(response.headers['lp-mtls-error']).toBe('true');
    expect(problem.code).toBe('forward.tls_failed');
    expect(untrustedServer.requests).toEqual([]);
  });

  describe('with short time-out', () => {
    let restore: () => void;

    beforeAll(async () => {
      restore = setEnvironment({ MTLS_FORWARD_TIMEOUT_MS: '500' });
      await resetForwardClient();
    });

    afterAll(async () => {
      restore();
      await resetForwardClient();
    });

    it('returns 504 for unanswered request', async () => {
      const response = await forwardTo(`${optionalServer.origin}/hang`);
      const problem = jsonOf(response);

      expect(response.status).toBe(504);
      expect(response.headers['lp-mtls-error']).toBe('true');
      expect(problem.code).toBe('forward.timeout');
      expect(problem.detail).toContain(optionalServer.origin);
    });

    it('returns 504 for silent handshake', async () => {
      const response = await forwardTo(`https://127.0.0.1:${silentServer.port}/silent`);
      const problem = jsonOf(response);

      expect(response.status).toBe(504);
      expect(response.headers['lp-mtls-error']).toBe('true');
      expect(problem.code).toBe('forward.timeout');
    });
  });
});

describe('forward body limits', () => {
  let sizedServer: TestServer;

  beforeAll(async () => {
    const sized = (length: number) => (_request: unknown, response: ServerResponse) => {
      response.writeHead(200, { 'content-type': 'application/octet-stream' });
      response.end(Buffer.alloc(length, 1));
    };
    sizedServer = await startTlsServer({
      keyPem: pki.server.keyPem,
      certPem: pki.server.certPem,
      routes: {
        '/at-limit': sized(MAX_FORWARD_BODY_BYTES),
        '/over-limit': sized(MAX_FORWARD_BODY_BYTES + 1),
      },
    });
  });

  afterAll(async () => {
    await sizedServer.stop();
  });

  it('keeps the limit within Lambda after base64', () => {
    const base64Length = Math.ceil(MAX_FORWARD_BODY_BYTES / 3) * 4;

    expect(base64Length).toBeLessThan(6 * 1024 * 1024);
  });

  it('returns a body at the limit', async () => {
    const response = await forwardTo(`${sizedServer.origin}/at-limit`);

    expect(response.status).toBe(200);
    expect(response.body.length).toBe(MAX_FORWARD_BODY_BYTES);
  });

  it('returns 502 for a body over the limit', async () => {
    const response = await forwardTo(`${sizedServer.origin}/over-limit`);
    const problem = jsonOf(response);

    expect(response.status).toBe(502);
    expect(response.headers['lp-mtls-error']).toBe('true');
    expect(problem.detail).toContain(String(MAX_FORWARD_BODY_BYTES));
  });

  it('rejects a request body over the limit with 413', async () => {
    const response = await callForward(gateway, ACCOUNT, {
      method: 'POST',
      headers: {
        'lp-forward-url': `${sizedServer.origin}/raw`,
        'content-type': 'application/octet-stream',
      },
      body: Buffer.alloc(MAX_FORWARD_BODY_BYTES + 1, 2),
    });

    expect(response.status).toBe(413);
    expect(response.headers['lp-mtls-error']).toBe('true');
    expect(sizedServer.requests).not.toContain('POST /raw');
  });
});

describe('forward without allow-list', () => {
  const spellings = [
    '127.0.0.1',
    '127.1',
    '2130706433',
    '0x7f000001',
    '0177.0.0.1',
    '[::1]',
    '[::ffff:127.0.0.1]',
    'localhost',
    '0.0.0.0',
  ];
  let restore: () => void;

  beforeAll(async () => {
    restore = setEnvironment({ MTLS_FORWARD_ALLOW: undefined });
    await resetForwardClient();
  });

  afterAll(async () => {
    restore();
    await resetForwardClient();
  });

  it.each(spellings)('rejects loopback host %s', async (host) => {
    const url = `https://${host}:${optionalServer.port}/loopback`;
    const before = optionalServer.connections;

    const response = await forwardTo(url);
    const problem = jsonOf(response);

    expect(response.status).toBe(400);
    expect(response.headers['lp-mtls-error']).toBe('true');
    expect(problem.code).toBe('forward.target_refused');
    expect(problem.detail).toContain(new URL(url).hostname);
    expect(optionalServer.connections).toBe(before);
  });

  it('hides resolved address of localhost', async () => {
    const response = await forwardTo(`https://localhost:${optionalServer.port}/loopback`);
    const detail: string = jsonOf(response).detail;

    expect(response.status).toBe(400);
    expect(detail).not.toContain('127.0.0.1');
    expect(detail).not.toContain('::1');
  });

  it('rejects mapped loopback URL', async () => {
    const file = makeP12('openssl-default', {
      pki,
      client: pki.issueClient('closed.example.test'),
    });
    const { url } = await uploadAndMap('refused-mapped', file);
    const before = optionalServer.connections;

    const response = await forwardTo(url);

    expect(response.status).toBe(400);
    expect(jsonOf(response).code).toBe('forward.target_refused');
    expect(optionalServer.connections).toBe(before);
  });
});
