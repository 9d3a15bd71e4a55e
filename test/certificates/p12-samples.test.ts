import { createHash, X509Certificate } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { GatewayError } from '../../shared/errors.js';
import { type P12Limits, parseP12 } from '../../shared/certificates/p12.js';
import { readSample, SAMPLE_PASSWORD, SAMPLES_PRESENT } from '../support/samples.js';

const LIMITS: P12Limits = { maxBytes: 1024 * 1024, maxIterations: 200_000 };
const RSA_FINGERPRINT = 'c0d6aae1d425f6410e34ffe28e1ea21c24babfcd50692fbeedb4cad246afeba1';
const EC_FINGERPRINT = 'ac95f7632ac4c325ce6fb05d71a74fe6db810cd49ae7696578c06385adce3e91';
const KEYTOOL_FINGERPRINT = 'e234022378b2de492798be44b77568bebacece3809f8fbda8a2498955a586752';

function parseSample(name: string, password = SAMPLE_PASSWORD) {
  return parseP12(readSample(name), password, LIMITS);
}

function sampleFailure(name: string, password = SAMPLE_PASSWORD): GatewayError {
  try {
    parseSample(name, password);
  } catch (error) {
    if (error instanceof GatewayError) {
      return error;
    }
    throw error;
  }
  throw new Error(`${name} was accepted`);
}

function fingerprintOf(pem: string | Buffer): string {
  return createHash('sha256').update(new X509Certificate(pem).raw).digest('hex');
}

describe.skipIf(!SAMPLES_PRESENT)('parseP12 with real exports', () => {
  it('parses openssl 3 default export', () => {
    const { details } = parseSample('openssl3-default.p12');

    expect(details.fingerprintSha256).toBe(RSA_FINGERPRINT);
    expect(details.keyType).toBe('RSA-2048');
    expect(details.subject).toContain('CN=rsa-client.example.test');
    expect(details.notAfter.toISOString()).toMatch(/^2126-11-10T/);
    expect(details.chainLength).toBe(1);
  });

  it('parses openssl export with chain', () => {
    const { details, material } = parseSample('openssl3-with-chain.p12');

    expect(details.fingerprintSha256).toBe(RSA_FINGERPRINT);
    expect(details.chainLength).toBe(3);
    expect(material.chainPem.map(fingerprintOf)).toEqual([
      fingerprintOf(readSample('intermediate-ca.pem')),
      fingerprintOf(readSample('root-ca.pem')),
    ]);
  });

  it('parses openssl legacy RC2 export', () => {
    const { details } = parseSample('openssl-legacy-rc2.p12');

    expect(details.fingerprintSha256).toBe(RSA_FINGERPRINT);
  });

  it('parses EC P-256 export with chain', () => {
    const { details } = parseSample('ec-p256-with-chain.p12');

    expect(details.keyType).toBe('EC-P256');
    expect(details.fingerprintSha256).toBe(EC_FINGERPRINT);
    expect(details.chainLength).toBe(3);
  });

  it('parses java keytool export', () => {
    const { details } = parseSample('java-keytool.p12');

    expect(details.subject).toContain('CN=keytool-client.example.test');
    expect(details.fingerprintSha256).toBe(KEYTOOL_FINGERPRINT);
  });

  it('opens empty password with ""', () => {
    const { details } = parseSample('empty-password.p12', '');

    expect(details.fingerprintSha256).toBe(RSA_FINGERPRINT);
  });

  it('rejects empty-password file with a password', () => {
    const error = sampleFailure('empty-password.p12', SAMPLE_PASSWORD);

    expect(error.code).toBe('certificate.password_invalid');
  });

  it('rejects key mismatch with 400', () => {
    const error = sampleFailure('key-mismatch.p12');

    expect(error.status).toBe(400);
    expect(error.code).toBe('certificate.key_mismatch');
  });

  it('rejects PEM certificate as not_p12', () => {
    const error = sampleFailure('not-a-p12.pem');

    expect(error.status).toBe(400);
    expect(error.code).toBe('certificate.not_p12');
  });

  it('rejects truncated file as unreadable', () => {
    const error = sampleFailure('truncated.p12');

    expect(error.status).toBe(400);
    expect(error.code).toBe('certificate.unreadable');
  });

  it.each([
    'openssl3-default.p12',
    'openssl3-with-chain.p12',
    'openssl-legacy-rc2.p12',
    'ec-p256-with-chain.p12',
    'empty-password.p12',
    'java-keytool.p12',
    'key-mismatch.p12',
  ])('rejects wrong password for %s', (name) => {
    const error = sampleFailure(name, 'wrong');

    expect(error.status).toBe(400);
    expect(error.code).toBe('certificate.password_invalid');
    expect(error.errors?.[0]?.field).toBe('password');
  });
});
