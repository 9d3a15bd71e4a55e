import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import {
  describeCertificates,
  formatDistinguishedName,
} from '../../shared/certificates/details.js';
import { createTestPki, type TestPki } from '../support/pki.js';

/** Makes a self-signed certificate with `openssl req -x509`, with the key options given. */
function selfSigned(keyArgs: string[], subject = '/CN=details.example.test'): string {
  const folder = mkdtempSync(path.join(tmpdir(), 'details-'));
  try {
    const certificate = path.join(folder, 'cert.pem');
    execFileSync(
      'openssl',
      ['req', '-x509', ...keyArgs, '-nodes', '-keyout', path.join(folder, 'key.pem')].concat([
        '-out',
        certificate,
        '-subj',
        subject,
        '-days',
        '2',
      ]),
      { stdio: 'pipe' },
    );
    return readFileSync(certificate, 'utf8');
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

describe('describeCertificates', () => {
  let pki: TestPki;

  beforeAll(() => {
    pki = createTestPki();
  });

  it('counts the chain', () => {
    const client = pki.issueClient('chain.example.test');

    const details = describeCertificates(client.certPem, [
      pki.intermediate.certPem,
      pki.root.certPem,
    ]);

    expect(details.chainLength).toBe(3);
  });

  it('hashes the leaf DER', () => {
    const client = pki.issueClient('hash.example.test');
    const expected = createHash('sha256')
      .update(new X509Certificate(client.certPem).raw)
      .digest('hex');

    const details = describeCertificates(client.certPem, []);

    expect(details.fingerprintSha256).toBe(expected);
  });

  it('reads validity dates', () => {
    const notBefore = new Date('2030-01-02T03:04:05Z');
    const notAfter = new Date('2031-01-02T03:04:05Z');
    const client = pki.issueClient('dates.example.test', { notBefore, notAfter });

    const details = describeCertificates(client.certPem, []);

    expect(details.notBefore).toEqual(notBefore);
    expect(details.notAfter).toEqual(notAfter);
  });

  it('names the issuer', () => {
    const client = pki.issueClient('issuer.example.test');

    const details = describeCertificates(client.certPem, []);

    expect(details.issuer).toBe('CN=Test Intermediate CA');
  });

  it.each([
    { keyType: 'RSA-2048', args: ['-newkey', 'rsa:2048'] },
    { keyType: 'RSA-4096', args: ['-newkey', 'rsa:4096'] },
    { keyType: 'EC-P256', args: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'] },
    { keyType: 'EC-P384', args: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384'] },
    { keyType: 'EC-P521', args: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-521'] },
    { keyType: 'Ed25519', args: ['-newkey', 'ed25519'] },
    { keyType: 'Ed448', args: ['-newkey', 'ed448'] },
  ])('names $keyType keys', ({ keyType, args }) => {
    const details = describeCertificates(selfSigned(args), []);

    expect(details.keyType).toBe(keyType);
  });

  it('lists subject most specific first', () => {
    const pem = selfSigned(
      ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'],
      '/C=DE/O=Example, Inc./CN=client.example.test',
    );

    const details = describeCertificates(pem, []);

    expect(details.subject).toBe('CN=client.example.test, O=Example\\, Inc., C=DE');
  });
});

describe('formatDistinguishedName', () => {
  it('reverses node:crypto line order', () => {
    expect(formatDistinguishedName('C=DE\nO=Example\nCN=client')).toBe(
      'CN=client, O=Example, C=DE',
    );
  });

  it('keeps multi-valued RDNs together', () => {
    expect(formatDistinguishedName('O=Example\nCN=client + UID=7')).toBe(
      'CN=client + UID=7, O=Example',
    );
  });
});
