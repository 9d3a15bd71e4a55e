import forge from 'node-forge';

/** A key pair and certificate made at test time, as PEM, with the forge objects kept for signing. */
export interface TestIdentity {
  keyPem: string;
  certPem: string;
  key: forge.pki.PrivateKey;
  cert: forge.pki.Certificate;
}

export interface IssueOptions {
  commonName: string;
  /** The CA that signs; the certificate is self-signed without one. */
  issuer?: TestIdentity;
  isCa?: boolean;
  /** `rsa` uses a 2048-bit key; EC keys are made by openssl in the p12 helpers. @default 'rsa' */
  notBefore?: Date;
  notAfter?: Date;
  /** SubjectAltName DNS names and IPs for server certificates. */
  dnsNames?: string[];
  ipAddresses?: string[];
  serverAuth?: boolean;
}

let serialCounter = 1;

function nextSerial(): string {
  serialCounter += 1;
  return `${Date.now().toString(16)}${serialCounter.toString(16).padStart(4, '0')}`;
}

/** Issues an RSA-2048 certificate, valid from one hour ago for one year unless `options` set other dates. */
export function issueCertificate(options: IssueOptions): TestIdentity {
  const keys = forge.pki.rsa.generateKeyPair({ bits: 2048, e: 0x10001 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = nextSerial();
  cert.validity.notBefore = options.notBefore ?? new Date(Date.now() - 3600_000);
  cert.validity.notAfter = options.notAfter ?? new Date(Date.now() + 365 * 24 * 3600_000);

  const subject = [{ name: 'commonName', value: options.commonName }];
  cert.setSubject(subject);
  cert.setIssuer(options.issuer ? options.issuer.cert.subject.attributes : subject);

  const extensions: object[] = [{ name: 'basicConstraints', cA: options.isCa === true }];
  if (options.isCa) {
    extensions.push({ name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true });
  } else {
    extensions.push({ name: 'keyUsage', digitalSignature: true, keyEncipherment: true });
    extensions.push({
      name: 'extKeyUsage',
      clientAuth: true,
      serverAuth: options.serverAuth === true,
    });
  }
  const altNames = [
    ...(options.dnsNames ?? []).map((value) => ({ type: 2, value })),
    ...(options.ipAddresses ?? []).map((ip) => ({ type: 7, ip })),
  ];
  if (altNames.length > 0) {
    extensions.push({ name: 'subjectAltName', altNames });
  }
  cert.setExtensions(extensions);

  const signingKey = (options.issuer?.key ?? keys.privateKey) as forge.pki.rsa.PrivateKey;
  cert.sign(signingKey, forge.md.sha256.create());

  return {
    keyPem: forge.pki.privateKeyToPem(keys.privateKey),
    certPem: forge.pki.certificateToPem(cert),
    key: keys.privateKey,
    cert,
  };
}

/** A root CA, an intermediate CA it signs, and a server certificate for 127.0.0.1 and localhost. */
export interface TestPki {
  root: TestIdentity;
  intermediate: TestIdentity;
  server: TestIdentity;
  /** Issues a client certificate signed by the intermediate CA. */
  issueClient(commonName: string, validity?: { notBefore?: Date; notAfter?: Date }): TestIdentity;
}

export function createTestPki(): TestPki {
  const root = issueCertificate({ commonName: 'Test Root CA', isCa: true });
  const intermediate = issueCertificate({
    commonName: 'Test Intermediate CA',
    isCa: true,
    issuer: root,
  });
  const server = issueCertificate({
    commonName: 'localhost',
    issuer: root,
    serverAuth: true,
    dnsNames: ['localhost', 'target.test'],
    ipAddresses: ['127.0.0.1', '::1'],
  });

  return {
    root,
    intermediate,
    server,
    issueClient: (commonName, validity) =>
      issueCertificate({ commonName, issuer: intermediate, ...validity }),
  };
}
