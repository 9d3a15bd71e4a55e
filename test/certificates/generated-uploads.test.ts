import { X509Certificate } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { certificateForm } from '../support/http.js';
import { makeP12, type P12File, type P12Kind } from '../support/p12-files.js';
import { createTestPki, type TestIdentity, type TestPki } from '../support/pki.js';

const ACCOUNT = 'generated';
const BASE = `/mtls/account/${ACCOUNT}/certificates`;

function fingerprintOf(certPem: string): string {
  return new X509Certificate(certPem).fingerprint256.replaceAll(':', '').toLowerCase();
}

describe('uploads of generated p12 files', () => {
  let gateway: TestGateway;
  let pki: TestPki;
  let client: TestIdentity;
  let counter = 0;

  const uploadJson = (file: P12File) =>
    gateway.request('POST', BASE, {
      json: [
        {
          name: `generated-${(counter += 1)}`,
          p12: file.bytes.toString('base64'),
          password: file.password,
        },
      ],
    });

  const certificateCount = async () => (await gateway.request('GET', BASE)).body.length;

  beforeAll(async () => {
    pki = createTestPki();
    client = pki.issueClient('generated-client.example.test');
    gateway = await startTestGateway();
  });

  afterAll(async () => {
    await gateway.close();
  });

  describe.each<{ kind: P12Kind; keyType: string; chainLength: number }>([
    { kind: 'openssl-default', keyType: 'RSA-2048', chainLength: 1 },
    { kind: 'openssl-legacy', keyType: 'RSA-2048', chainLength: 1 },
    { kind: 'openssl-nomac', keyType: 'RSA-2048', chainLength: 1 },
    { kind: 'empty-password', keyType: 'RSA-2048', chainLength: 1 },
    { kind: 'with-chain', keyType: 'RSA-2048', chainLength: 3 },
    { kind: 'java-keytool', keyType: 'RSA-2048', chainLength: 3 },
    { kind: 'ec-p256', keyType: 'EC-P256', chainLength: 3 },
  ])('$kind', ({ kind, keyType, chainLength }) => {
    let file: P12File;

    beforeAll(() => {
      file = makeP12(kind, { pki, client });
    });

    it('uploads by JSON', async () => {
      const response = await uploadJson(file);

      expect(response.status).toBe(201);
      const saved = response.body.successfulySavedCertificates[0];
      expect(saved.fingerprintSha256).toBe(fingerprintOf(file.identity.certPem));
      expect(saved.keyType).toBe(keyType);
      expect(saved.chainLength).toBe(chainLength);
      expect(saved.status).toBe('Available');
    });

    it('uploads by multipart', async () => {
      const response = await gateway.request('POST', `${BASE}/by-file`, {
        body: certificateForm(file.bytes, {
          name: `multipart-${(counter += 1)}`,
          password: file.password,
        }),
      });

      expect(response.status).toBe(201);
      const saved = response.body.successfulySavedCertificates[0];
      expect(saved.fingerprintSha256).toBe(fingerprintOf(file.identity.certPem));
    });
  });

  it('accepts a not yet valid leaf as UnAvailable', async () => {
    const file = makeP12('not-yet-valid', { pki });

    const response = await uploadJson(file);

    expect(response.status).toBe(201);
    expect(response.body.successfulySavedCertificates[0].status).toBe('UnAvailable');
  });

  describe('rejections', () => {
    it.each<{ kind: P12Kind; code: string; field: string }>([
      { kind: 'expired', code: 'certificate.expired', field: '[0].p12' },
      { kind: 'high-iterations', code: 'certificate.iterations_too_high', field: '[0].p12' },
      { kind: 'two-keys', code: 'certificate.multiple_keys', field: '[0].p12' },
      { kind: 'certificate-only', code: 'certificate.key_missing', field: '[0].p12' },
      { kind: 'key-only', code: 'certificate.certificate_missing', field: '[0].p12' },
      { kind: 'key-mismatch', code: 'certificate.key_mismatch', field: '[0].p12' },
    ])('rejects $kind', async ({ kind, code, field }) => {
      const file = makeP12(kind, { pki, client });
      const countBefore = await certificateCount();

      const response = await uploadJson(file);

      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      expect(response.body.code).toBe(code);
      expect(response.body.errors[0].field).toBe(field);
      expect(await certificateCount()).toBe(countBefore);
    });

    it('names notAfter of an expired leaf', async () => {
      const file = makeP12('expired', { pki });
      const notAfter = new Date(new X509Certificate(file.identity.certPem).validTo);

      const response = await uploadJson(file);

      expect(response.status).toBe(400);
      expect(response.body.detail).toContain(notAfter.toISOString().slice(0, 19));
    });

    it('names both limits for high iterations', async () => {
      const file = makeP12('high-iterations', { pki, client });

      const response = await uploadJson(file);

      expect(response.body.detail).toContain('300000');
      expect(response.body.detail).toContain('200000');
    });
  });
});
