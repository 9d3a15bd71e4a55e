import { createHash, X509Certificate } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  callGateway,
  fingerprintOf,
  type ForwardGateway,
  jsonOf,
  type RawResponse,
  startForwardGateway,
} from '../support/forwarding.js';
import type { TestGateway } from '../support/gateway.js';
import type { TestResponse } from '../support/http.js';
import { makeP12, type P12File } from '../support/p12-files.js';
import { createTestPki, type TestPki } from '../support/pki.js';
import {
  type EchoedRequest,
  startTlsServer,
  startUntrustedServer,
  type TestServer,
} from '../support/tls-servers.js';
import { captureLogs, forwardLinesOf, type LogCapture } from '../support/log-lines.js';

const ACCOUNT = 'acme';
const TESTER = `/mtls/account/${ACCOUNT}/p12-test/multipart`;

let pki: TestPki;
let setup: ForwardGateway;
let gateway: TestGateway;
let mtlsServer: TestServer;
let file: P12File;

/** Builds the tester's multipart body, with a `body` part only when `body` is given. */
function testerForm(p12: P12File, password: string, body?: string): FormData {
  const form = new FormData();
  form.append('file', new Blob([p12.bytes], { type: 'application/x-pkcs12' }), 'client.p12');
  form.append('password', password);
  if (body !== undefined) {
    form.append('body', body);
  }
  return form;
}

function postTester(form: FormData, headers: Record<string, string> = {}): Promise<TestResponse> {
  return gateway.request('POST', TESTER, { body: form, headers });
}

/**
 * Posts the tester form with node:http, which sends one header line per array item, where
 * fetch would join repeated values into one line.
 */
async function postTesterRaw(
  form: FormData,
  headers: Record<string, string | string[]>,
): Promise<RawResponse> {
  const encoded = new Response(form);
  const body = Buffer.from(await encoded.arrayBuffer());
  return callGateway(gateway, TESTER, {
    method: 'POST',
    headers: { 'content-type': encoded.headers.get('content-type')!, ...headers },
    body,
  });
}

beforeAll(async () => {
  pki = createTestPki();
  mtlsServer = await startTlsServer({
    keyPem: pki.server.keyPem,
    certPem: pki.server.certPem,
    clientCaPem: `${pki.root.certPem}${pki.intermediate.certPem}`,
  });
  setup = await startForwardGateway(pki);
  gateway = setup.gateway;
  file = makeP12('openssl-default', { pki, client: pki.issueClient('tester.example.test') });
});

afterAll(async () => {
  await setup.close();
  await mtlsServer.stop();
});

describe('p12 tester', () => {
  it('returns details without forward URL', async () => {
    const leaf = new X509Certificate(file.identity.certPem);
    const hexFingerprint = leaf.fingerprint256.replaceAll(':', '').toLowerCase();

    const response = await postTester(testerForm(file, file.password));

    expect(response.status).toBe(200);
    expect(response.body.valid).toBe(true);
    expect(response.body.fingerprintSha256).toBe(hexFingerprint);
    expect(response.body.keyType).toBe('RSA-2048');
    expect(response.body.subject).toContain('tester.example.test');
    expect(response.body.expirationDate).toBe(new Date(leaf.validTo).toISOString());
  });

  it('forwards with overrides and body', async () => {
    const body = 'tester body with ünïcode';

    const response = await postTester(testerForm(file, file.password, body), {
      'lp-forward-url': `${mtlsServer.origin}/tester?source=p12-test`,
      'lp-method-override': 'PUT',
      'lp-content-type-override': 'text/plain; charset=utf-8',
      'lp-authorization-override': 'Bearer tester-override',
    });
    const echoed = response.body as EchoedRequest;

    expect(response.status).toBe(200);
    expect(echoed.clientFingerprint).toBe(fingerprintOf(file.identity.certPem));
    expect(echoed.method).toBe('PUT');
    expect(echoed.query).toBe('source=p12-test');
    expect(echoed.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(echoed.headers.authorization).toBe('Bearer tester-override');
    expect(echoed.bodySha256).toBe(createHash('sha256').update(body, 'utf8').digest('hex'));
    expect(JSON.stringify(echoed.headers)).not.toContain(gateway.adminToken);
  });

  it('defaults to POST JSON with body', async () => {
    const response = await postTester(testerForm(file, file.password, '{"default":true}'), {
      'lp-forward-url': `${mtlsServer.origin}/tester-default`,
    });
    const echoed = response.body as EchoedRequest;

    expect(response.status).toBe(200);
    expect(echoed.method).toBe('POST');
    expect(echoed.headers['content-type']).toBe('application/json');
    expect(echoed.headers.authorization).toBeUndefined();
  });

  it('rejects unknown method override', async () => {
    const before = mtlsServer.requests.length;

    const response = await postTester(testerForm(file, file.password), {
      'lp-forward-url': `${mtlsServer.origin}/tester-method`,
      'lp-method-override': 'TRACE',
    });

    expect(response.status).toBe(400);
    expect(response.body.errors[0].field).toBe('header:LP-method-override');
    expect(mtlsServer.requests.length).toBe(before);
  });

  it.each([
    ['LP-forward-url', ['{target}/first', '{target}/second']],
    ['LP-method-override', ['GET', 'DELETE']],
    ['LP-content-type-override', ['text/plain', 'application/json']],
    ['LP-authorization-override', ['Bearer first', 'Bearer second']],
  ])('rejects repeated %s', async (name, values) => {
    const target = `${mtlsServer.origin}/tester-repeated`;
    const before = mtlsServer.requests.length;

    const response = await postTesterRaw(testerForm(file, file.password, 'body'), {
      'lp-forward-url': target,
      [name.toLowerCase()]: values.map((value) => value.replace('{target}', target)),
    });
    const problem = jsonOf(response);
    const listed = await gateway.request('GET', `/mtls/account/${ACCOUNT}/certificates`);

    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(problem.code).toBe('request.header_repeated');
    expect(problem.errors[0].field).toBe(`header:${name}`);
    expect(mtlsServer.requests.length).toBe(before);
    expect(listed.body).toEqual([]);
  });

  it('rejects the same LP-forward-url twice', async () => {
    const target = `${mtlsServer.origin}/tester-repeated-get`;
    const before = mtlsServer.requests.length;

    const response = await postTesterRaw(testerForm(file, file.password), {
      'lp-forward-url': [target, target],
    });

    expect(response.status).toBe(400);
    expect(jsonOf(response).errors[0].field).toBe('header:LP-forward-url');
    expect(mtlsServer.requests.length).toBe(before);
  });

  it('rejects wrong password', async () => {
    const before = mtlsServer.requests.length;

    const response = await postTester(testerForm(file, 'not-the-password'), {
      'lp-forward-url': `${mtlsServer.origin}/tester-password`,
    });

    expect(response.status).toBe(400);
    expect(response.headers.get('lp-mtls-error')).toBe('true');
    expect(response.body.code).toBe('certificate.password_invalid');
    expect(response.body.errors[0].field).toBe('password');
    expect(mtlsServer.requests.length).toBe(before);
  });

  it('stores no certificate', async () => {
    const validated = await postTester(testerForm(file, file.password));
    const forwarded = await postTester(testerForm(file, file.password), {
      'lp-forward-url': `${mtlsServer.origin}/tester-store`,
    });
    const listed = await gateway.request('GET', `/mtls/account/${ACCOUNT}/certificates`);
    const secretFolders = await readdir(path.join(gateway.dataDir, 'secrets'));

    expect(validated.status).toBe(200);
    expect(forwarded.status).toBe(200);
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual([]);
    expect(secretFolders).toEqual([]);
  });
});

describe('p12 tester log line', () => {
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

  const linesOf = (send: () => Promise<TestResponse>) => forwardLinesOf(logs, send);

  it('logs one line per forward', async () => {
    const body = '{"tester":"log body"}';
    const leaf = new X509Certificate(file.identity.certPem);

    const { response, forwarded, failed, handled } = await linesOf(() =>
      postTester(testerForm(file, file.password, body), {
        'lp-forward-url': `${mtlsServer.origin}/tester-log-marker?tester-query=query-value`,
        'lp-authorization-override': 'Bearer tester-log-override',
      }),
    );
    const line = forwarded[0] ?? {};

    expect(response.status).toBe(200);
    expect(forwarded).toHaveLength(1);
    expect(failed).toHaveLength(0);
    expect(line).toMatchObject({
      accountId: ACCOUNT,
      fingerprintSha256: leaf.fingerprint256.replaceAll(':', '').toLowerCase(),
      targetOrigin: mtlsServer.origin,
      mtls: true,
      status: 200,
      requestBytes: Buffer.byteLength(body),
      responseBytes: Buffer.byteLength(response.text),
    });
    expect(typeof line.durationMs).toBe('number');
    expect(line.requestId).toBe(handled[0]?.requestId);
    expect(JSON.stringify(line)).not.toContain('tester-log-marker');
    expect(JSON.stringify(line)).not.toContain('query-value');
    expect(JSON.stringify(line)).not.toContain('tester-log-override');
  });

  it('logs one line per failed forward', async () => {
    const { response, forwarded, failed, handled } = await linesOf(() =>
      postTester(testerForm(file, file.password, 'failure body'), {
        'lp-forward-url': `${untrustedServer.origin}/tester-failed-marker`,
      }),
    );
    const line = failed[0] ?? {};

    expect(response.status).toBe(502);
    expect(failed).toHaveLength(1);
    expect(forwarded).toHaveLength(0);
    expect(line).toMatchObject({
      level: 'WARN',
      accountId: ACCOUNT,
      targetOrigin: untrustedServer.origin,
      mtls: true,
      code: 'forward.tls_failed',
      status: 502,
      requestBytes: Buffer.byteLength('failure body'),
      responseBytes: 0,
    });
    expect(typeof line.durationMs).toBe('number');
    expect(line.requestId).toBe(handled[0]?.requestId);
    expect(JSON.stringify(line)).not.toContain('tester-failed-marker');
  });

  it('logs nothing without forward URL', async () => {
    const { response, forwarded, failed } = await linesOf(() =>
      postTester(testerForm(file, file.password)),
    );

    expect(response.status).toBe(200);
    expect(forwarded).toHaveLength(0);
    expect(failed).toHaveLength(0);
  });
});
