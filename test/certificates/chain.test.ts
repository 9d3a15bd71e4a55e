import { createPrivateKey, X509Certificate } from 'node:crypto';

import forge from 'node-forge';
import { beforeAll, describe, expect, it } from 'vitest';

import { orderChain, selectLeaf } from '../../shared/certificates/chain.js';
import {
  createTestPki,
  issueCertificate,
  type TestIdentity,
  type TestPki,
} from '../support/pki.js';

function x509(identity: TestIdentity): X509Certificate {
  return new X509Certificate(identity.certPem);
}

/** Issues a second certificate for the key of `identity`, as a renewal that keeps its key. */
function reissue(
  identity: TestIdentity,
  issuer: TestIdentity,
  commonName: string,
): X509Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = identity.cert.publicKey;
  cert.serialNumber = '0badc0de';
  cert.validity.notBefore = new Date(Date.now() - 3600_000);
  cert.validity.notAfter = new Date(Date.now() + 30 * 24 * 3600_000);
  cert.setSubject([{ name: 'commonName', value: commonName }]);
  cert.setIssuer(issuer.cert.subject.attributes);
  cert.sign(issuer.key as forge.pki.rsa.PrivateKey, forge.md.sha256.create());
  return new X509Certificate(forge.pki.certificateToPem(cert));
}

describe('orderChain', () => {
  let pki: TestPki;
  let client: TestIdentity;
  let unrelated: TestIdentity;

  beforeAll(() => {
    pki = createTestPki();
    client = pki.issueClient('chain-client.example.test');
    unrelated = issueCertificate({ commonName: 'Unrelated Root', isCa: true });
  });

  it('follows issuers from the leaf', () => {
    const ordered = orderChain(x509(client), [x509(pki.root), x509(pki.intermediate)]);

    expect(ordered.map((certificate) => certificate.subject)).toEqual([
      'CN=Test Intermediate CA',
      'CN=Test Root CA',
    ]);
  });

  it('appends unrelated certificates last', () => {
    const others = [x509(unrelated), x509(pki.root), x509(pki.intermediate)];

    const ordered = orderChain(x509(client), others);

    expect(ordered.map((certificate) => certificate.subject)).toEqual([
      'CN=Test Intermediate CA',
      'CN=Test Root CA',
      'CN=Unrelated Root',
    ]);
  });

  it('stops at a missing issuer', () => {
    const ordered = orderChain(x509(client), [x509(pki.root)]);

    expect(ordered.map((certificate) => certificate.subject)).toEqual(['CN=Test Root CA']);
  });
});

describe('selectLeaf', () => {
  let pki: TestPki;
  let client: TestIdentity;

  beforeAll(() => {
    pki = createTestPki();
    client = pki.issueClient('leaf-client.example.test');
  });

  it('finds the leaf after key-less roots', () => {
    const entries = [
      { certificate: x509(pki.root), localKeyId: undefined },
      { certificate: x509(pki.intermediate), localKeyId: undefined },
      { certificate: x509(client), localKeyId: undefined },
    ];

    const selected = selectLeaf(createPrivateKey(client.keyPem), undefined, entries);

    expect(selected?.leaf.subject).toBe('CN=leaf-client.example.test');
    expect(selected?.chain).toHaveLength(2);
  });

  it('returns undefined without a match', () => {
    const entries = [{ certificate: x509(client), localKeyId: '01' }];

    const selected = selectLeaf(createPrivateKey(pki.server.keyPem), '01', entries);

    expect(selected).toBeUndefined();
  });

  it('prefers the localKeyId pair', () => {
    const renewed = reissue(client, pki.intermediate, 'renewed.example.test');
    const entries = [
      { certificate: x509(client), localKeyId: undefined },
      { certificate: renewed, localKeyId: 'aa' },
    ];

    const selected = selectLeaf(createPrivateKey(client.keyPem), 'aa', entries);

    expect(selected?.leaf.subject).toBe('CN=renewed.example.test');
  });

  it('drops repeated certificates', () => {
    const entries = [
      { certificate: x509(client), localKeyId: undefined },
      { certificate: x509(pki.intermediate), localKeyId: undefined },
      { certificate: x509(pki.intermediate), localKeyId: undefined },
    ];

    const selected = selectLeaf(createPrivateKey(client.keyPem), undefined, entries);

    expect(selected?.chain).toHaveLength(1);
  });
});
