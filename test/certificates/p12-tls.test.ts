import https from 'node:https';

import { afterEach, beforeAll, describe, expect, it } from 'vitest';

import {
  type CertificateMaterial,
  type P12Limits,
  parseP12,
} from '../../shared/certificates/p12.js';
import { makeP12 } from '../support/p12-files.js';
import { createTestPki, type TestPki } from '../support/pki.js';
import { readSample, SAMPLE_PASSWORD, SAMPLES_PRESENT } from '../support/samples.js';
import { type EchoedRequest, startTlsServer, type TestServer } from '../support/tls-servers.js';

const LIMITS: P12Limits = { maxBytes: 1024 * 1024, maxIterations: 200_000 };

/** Sends GET /echo with the material as client certificate and returns what the server saw. */
async function echoWith(
  server: TestServer,
  material: CertificateMaterial,
  caPem: string,
): Promise<EchoedRequest> {
  const body = await new Promise<string>((resolve, reject) => {
    const request = https.request(
      {
        host: '127.0.0.1',
        port: server.port,
        path: '/echo',
        servername: 'localhost',
        ca: caPem,
        key: material.privateKeyPem,
        cert: [material.leafPem, ...material.chainPem].join(''),
        agent: false,
        timeout: 10_000,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      },
    );
    request.on('timeout', () => request.destroy(new Error('request timed out')));
    request.on('error', reject);
    request.end();
  });
  return JSON.parse(body) as EchoedRequest;
}

function colonHex(hex: string): string {
  return (hex.toUpperCase().match(/../g) ?? []).join(':');
}

describe('parseP12 material over mutual TLS', () => {
  let pki: TestPki;
  let server: TestServer | undefined;

  beforeAll(() => {
    pki = createTestPki();
  });

  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it.skipIf(!SAMPLES_PRESENT)('presents sample chain to the root', async () => {
    const parsed = parseP12(readSample('openssl3-with-chain.p12'), SAMPLE_PASSWORD, LIMITS);
    server = await startTlsServer({
      keyPem: pki.server.keyPem,
      certPem: pki.server.certPem,
      clientCaPem: readSample('root-ca.pem').toString('utf8'),
    });

    const echoed = await echoWith(server, parsed.material, pki.root.certPem);

    expect(echoed.clientFingerprint).toBe(colonHex(parsed.details.fingerprintSha256));
  });

  it.skipIf(!SAMPLES_PRESENT)('presents sample legacy RC2 material', async () => {
    const parsed = parseP12(readSample('openssl-legacy-rc2.p12'), SAMPLE_PASSWORD, LIMITS);
    server = await startTlsServer({
      keyPem: pki.server.keyPem,
      certPem: pki.server.certPem,
      clientCaPem: [readSample('root-ca.pem'), readSample('intermediate-ca.pem')].join(''),
    });

    const echoed = await echoWith(server, parsed.material, pki.root.certPem);

    expect(echoed.clientFingerprint).toBe(colonHex(parsed.details.fingerprintSha256));
  });

  it('presents test-made EC chain', async () => {
    const file = makeP12('ec-p256', { pki });
    const parsed = parseP12(file.bytes, file.password, LIMITS);
    server = await startTlsServer({
      keyPem: pki.server.keyPem,
      certPem: pki.server.certPem,
      clientCaPem: pki.root.certPem,
    });

    const echoed = await echoWith(server, parsed.material, pki.root.certPem);

    expect(echoed.clientFingerprint).toBe(colonHex(parsed.details.fingerprintSha256));
  });

  it.each(['with-chain', 'openssl-legacy'] as const)('presents test-made %s', async (kind) => {
    const file = makeP12(kind, { pki });
    const parsed = parseP12(file.bytes, file.password, LIMITS);
    server = await startTlsServer({
      keyPem: pki.server.keyPem,
      certPem: pki.server.certPem,
      // The legacy file has no chain, so the server also trusts the intermediate itself.
      clientCaPem: `${pki.root.certPem}${pki.intermediate.certPem}`,
    });

    const echoed = await echoWith(server, parsed.material, pki.root.certPem);

    expect(echoed.clientFingerprint).toBe(colonHex(parsed.details.fingerprintSha256));
  });
});
