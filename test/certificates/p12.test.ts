import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';

import { beforeAll, describe, expect, it } from 'vitest';

import { GatewayError } from '../../shared/errors.js';
import { type P12Limits, parseP12, type ParsedP12 } from '../../shared/certificates/p12.js';
import { makeP12, type P12File, type P12Kind } from '../support/p12-files.js';
import { createTestPki, type TestIdentity, type TestPki } from '../support/pki.js';
import { errorOf } from '../support/errors.js';

const LIMITS: P12Limits = { maxBytes: 1024 * 1024, maxIterations: 200_000 };

function fingerprintOf(pem: string): string {
  return createHash('sha256').update(new X509Certificate(pem).raw).digest('hex');
}

function parseFailure(
  file: Pick<P12File, 'bytes' | 'password'>,
  limits: P12Limits = LIMITS,
): GatewayError {
  return errorOf(() => parseP12(file.bytes, file.password, limits));
}

describe('parseP12', () => {
  let pki: TestPki;
  let client: TestIdentity;

  beforeAll(() => {
    pki = createTestPki();
    client = pki.issueClient('p12-client.example.test');
  });

  describe('accepted exports', () => {
    const cases: Array<{ kind: P12Kind; keyType: string }> = [
      { kind: 'openssl-default', keyType: 'RSA-2048' },
      { kind: 'openssl-legacy', keyType: 'RSA-2048' },
      { kind: 'openssl-nomac', keyType: 'RSA-2048' },
      { kind: 'empty-password', keyType: 'RSA-2048' },
      { kind: 'with-chain', keyType: 'RSA-2048' },
      { kind: 'java-keytool', keyType: 'RSA-2048' },
      { kind: 'ec-p256', keyType: 'EC-P256' },
      { kind: 'ed25519', keyType: 'Ed25519' },
      { kind: 'trusted-before-leaf', keyType: 'RSA-2048' },
      { kind: 'ber-indefinite', keyType: 'RSA-2048' },
      { kind: 'forge-no-password', keyType: 'RSA-2048' },
    ];

    describe.each(cases)('$kind', ({ kind, keyType }) => {
      let file: P12File;
      let parsed: ParsedP12;

      beforeAll(() => {
        file = makeP12(kind, { pki, client });
        parsed = parseP12(file.bytes, file.password, LIMITS);
      });

      it('returns the leaf fingerprint', () => {
        expect(parsed.details.fingerprintSha256).toBe(fingerprintOf(file.identity.certPem));
      });

      it('returns the leaf PEM', () => {
        expect(fingerprintOf(parsed.material.leafPem)).toBe(fingerprintOf(file.identity.certPem));
      });

      it('names the key type', () => {
        expect(parsed.details.keyType).toBe(keyType);
      });

      it('orders the chain from the issuer', () => {
        const chain = parsed.material.chainPem.map(fingerprintOf);

        expect(chain).toEqual(file.identity.chainPem.map(fingerprintOf));
      });

      it('counts the leaf in chainLength', () => {
        expect(parsed.details.chainLength).toBe(1 + file.identity.chainPem.length);
      });

      it('returns a PKCS#8 key PEM', () => {
        expect(parsed.material.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
      });

      it('returns the key of the leaf', () => {
        const key = createPrivateKey(parsed.material.privateKeyPem);

        expect(new X509Certificate(parsed.material.leafPem).checkPrivateKey(key)).toBe(true);
      });

      it('yields PEM that node:tls accepts', () => {
        const cert = [parsed.material.leafPem, ...parsed.material.chainPem].join('');

        expect(() =>
          createSecureContext({ key: parsed.material.privateKeyPem, cert }),
        ).not.toThrow();
      });
    });
  });

  describe('algorithms', () => {
    const variants: Array<{ name: string; args: string[] }> = [
      { name: 'SHA-1 MAC', args: ['-macalg', 'sha1'] },
      { name: 'SHA-224 MAC', args: ['-macalg', 'sha224'] },
      { name: 'SHA-384 MAC', args: ['-macalg', 'sha384'] },
      { name: 'SHA-512 MAC', args: ['-macalg', 'sha512'] },
      { name: 'SHA-512/224 MAC', args: ['-macalg', 'sha512-224'] },
      { name: 'SHA-512/256 MAC', args: ['-macalg', 'sha512-256'] },
      { name: 'SHA3-256 MAC', args: ['-macalg', 'sha3-256'] },
      { name: 'MD5 MAC', args: ['-macalg', 'md5'] },
      { name: 'AES-128-CBC', args: ['-certpbe', 'aes-128-cbc', '-keypbe', 'aes-128-cbc'] },
      { name: 'AES-192-CBC', args: ['-certpbe', 'aes-192-cbc', '-keypbe', 'aes-192-cbc'] },
      { name: 'PBES2 3DES', args: ['-certpbe', 'des-ede3-cbc', '-keypbe', 'des-ede3-cbc'] },
      {
        name: 'Camellia-256',
        args: ['-certpbe', 'camellia-256-cbc', '-keypbe', 'camellia-256-cbc'],
      },
      { name: 'ARIA-256', args: ['-certpbe', 'aria-256-cbc', '-keypbe', 'aria-256-cbc'] },
      {
        name: 'PKCS#12 3DES',
        args: ['-legacy', '-certpbe', 'PBE-SHA1-3DES', '-keypbe', 'PBE-SHA1-3DES'],
      },
      {
        name: 'PKCS#12 2-key 3DES',
        args: ['-legacy', '-certpbe', 'PBE-SHA1-2DES', '-keypbe', 'PBE-SHA1-2DES'],
      },
      {
        name: 'PKCS#12 RC2-128',
        args: ['-legacy', '-certpbe', 'PBE-SHA1-RC2-128', '-keypbe', 'PBE-SHA1-RC2-128'],
      },
      { name: 'no encryption', args: ['-certpbe', 'NONE', '-keypbe', 'NONE'] },
    ];

    it.each(variants)('opens $name', ({ args }) => {
      const file = makeP12('openssl-default', { pki, client, opensslArgs: args });

      const parsed = parseP12(file.bytes, file.password, LIMITS);

      expect(parsed.details.fingerprintSha256).toBe(fingerprintOf(client.certPem));
    });

    it('opens byte-wise non-ASCII password', () => {
      const file = makeP12('bytewise-password', { pki, client, password: 'pässwörd' });

      const parsed = parseP12(file.bytes, file.password, LIMITS);

      expect(parsed.details.fingerprintSha256).toBe(fingerprintOf(client.certPem));
    });

    it.each(['openssl-default', 'openssl-legacy'] as const)(
      'opens %s with non-ASCII password',
      (kind) => {
        const file = makeP12(kind, { pki, client, password: 'pässwörd-€' });

        const parsed = parseP12(file.bytes, file.password, LIMITS);

        expect(parsed.details.fingerprintSha256).toBe(fingerprintOf(client.certPem));
      },
    );

    it('opens many encrypted parts within the limit', () => {
      const file = makeP12('repeated-encrypted-parts', { pki, client });

      const parsed = parseP12(file.bytes, file.password, LIMITS);

      expect(parsed.details.chainLength).toBe(1);
    });
  });

  describe('validity', () => {
    it('returns notAfter of an expired leaf', () => {
      const file = makeP12('expired', { pki });

      const parsed = parseP12(file.bytes, file.password, LIMITS);

      expect(parsed.details.notAfter).toEqual(
        new X509Certificate(file.identity.certPem).validToDate,
      );
      expect(parsed.details.notAfter.getTime()).toBeLessThan(Date.now());
    });

    it('returns notBefore of a future leaf', () => {
      const file = makeP12('not-yet-valid', { pki });

      const parsed = parseP12(file.bytes, file.password, LIMITS);

      expect(parsed.details.notBefore).toEqual(
        new X509Certificate(file.identity.certPem).validFromDate,
      );
      expect(parsed.details.notBefore.getTime()).toBeGreaterThan(Date.now());
    });
  });

  describe('details', () => {
    it('formats subject and issuer', () => {
      const file = makeP12('openssl-default', { pki, client });

      const { details } = parseP12(file.bytes, file.password, LIMITS);

      expect(details.subject).toBe('CN=p12-client.example.test');
      expect(details.issuer).toBe('CN=Test Intermediate CA');
    });

    it('returns the serial as lowercase hex', () => {
      const file = makeP12('openssl-default', { pki, client });

      const { details } = parseP12(file.bytes, file.password, LIMITS);

      expect(details.serialNumber).toMatch(/^[0-9a-f]+$/);
      expect(BigInt(`0x${details.serialNumber}`)).toBe(BigInt(`0x${client.cert.serialNumber}`));
    });
  });

  describe('password errors', () => {
    it('rejects a wrong password', () => {
      const file = makeP12('openssl-default', { pki, client });

      const error = parseFailure({ bytes: file.bytes, password: 'wrong-password' });

      expect(error.code).toBe('certificate.password_invalid');
      expect(error.status).toBe(400);
      expect(error.errors?.[0]?.field).toBe('password');
    });

    it('rejects another password for an empty one', () => {
      const file = makeP12('empty-password', { pki, client });

      const error = parseFailure({ bytes: file.bytes, password: 'test-pass' });

      expect(error.code).toBe('certificate.password_invalid');
    });

    it('rejects an empty password for a set one', () => {
      const file = makeP12('openssl-default', { pki, client });

      const error = parseFailure({ bytes: file.bytes, password: '' });

      expect(error.code).toBe('certificate.password_invalid');
    });

    it.each(['openssl-nomac', 'repeated-encrypted-parts'] as const)(
      'rejects a wrong password without MAC (%s)',
      (kind) => {
        const file = makeP12(kind, { pki, client });

        const error = parseFailure({ bytes: file.bytes, password: 'wrong-password' });

        expect(error.code).toBe('certificate.password_invalid');
        expect(error.errors?.[0]?.field).toBe('password');
      },
    );
  });

  describe('content errors', () => {
    const cases: Array<{ kind: P12Kind; code: string }> = [
      { kind: 'key-mismatch', code: 'certificate.key_mismatch' },
      { kind: 'certificate-only', code: 'certificate.key_missing' },
      { kind: 'two-keys', code: 'certificate.multiple_keys' },
      { kind: 'key-only', code: 'certificate.certificate_missing' },
    ];

    it.each(cases)('rejects $kind with $code', ({ kind, code }) => {
      const file = makeP12(kind, { pki, client });

      const error = parseFailure(file);

      expect(error.code).toBe(code);
      expect(error.status).toBe(400);
      expect(error.errors?.[0]?.field).toBe('p12');
    });

    it('says the key does not match', () => {
      const file = makeP12('key-mismatch', { pki, client });

      const error = parseFailure(file);

      expect(error.message).toContain('the private key does not match the certificate');
    });
  });

  describe('iteration limits', () => {
    it('rejects 300000 iterations', () => {
      const file = makeP12('high-iterations', { pki, client });

      const error = parseFailure(file);

      expect(error.code).toBe('certificate.iterations_too_high');
      expect(error.message).toContain('300000');
      expect(error.message).toContain('200000');
    });

    it('checks iterations before the password', () => {
      const file = makeP12('high-iterations', { pki, client });

      const error = parseFailure({ bytes: file.bytes, password: 'wrong-password' });

      expect(error.code).toBe('certificate.iterations_too_high');
    });

    it('rejects too many encrypted parts', () => {
      const file = makeP12('repeated-encrypted-parts', { pki, client });

      const error = parseFailure(file, { ...LIMITS, maxIterations: 2048 });

      expect(error.code).toBe('certificate.iterations_too_high');
      expect(error.message).toContain('8192');
    });
  });

  describe('unsupported algorithms', () => {
    it('names the RC4 OID', () => {
      const file = makeP12('openssl-default', {
        pki,
        client,
        opensslArgs: ['-legacy', '-certpbe', 'PBE-SHA1-RC4-128'],
      });

      const error = parseFailure(file);

      expect(error.code).toBe('certificate.unsupported');
      expect(error.message).toContain('1.2.840.113549.1.12.1.1');
    });

    it('names the DES-CBC OID', () => {
      const file = makeP12('openssl-default', {
        pki,
        client,
        opensslArgs: ['-legacy', '-certpbe', 'des-cbc', '-keypbe', 'des-cbc'],
      });

      const error = parseFailure(file);

      expect(error.code).toBe('certificate.unsupported');
      expect(error.message).toContain('1.3.14.3.2.7');
    });
  });

  describe('file errors', () => {
    let p12: Buffer;

    beforeAll(() => {
      p12 = makeP12('openssl-default', { pki, client }).bytes;
    });

    it('rejects a file over maxBytes', () => {
      const error = parseFailure(
        { bytes: p12, password: 'test-pass' },
        { ...LIMITS, maxBytes: 1000 },
      );

      expect(error.code).toBe('certificate.too_large');
      expect(error.message).toContain('1000 bytes');
      expect(error.errors?.[0]?.field).toBe('p12');
    });

    it.each([
      { name: 'PEM certificate', bytes: () => Buffer.from(client.certPem) },
      { name: 'DER certificate', bytes: () => new X509Certificate(client.certPem).raw },
      {
        name: 'PKCS#8 DER key',
        bytes: () => createPrivateKey(client.keyPem).export({ type: 'pkcs8', format: 'der' }),
      },
      { name: 'random bytes', bytes: () => createHash('sha512').update('not a p12').digest() },
      { name: 'empty file', bytes: () => Buffer.alloc(0) },
      { name: 'base64 text', bytes: () => Buffer.from(p12.toString('base64')) },
    ])('rejects $name as not_p12', ({ bytes }) => {
      const error = parseFailure({ bytes: bytes(), password: 'test-pass' });

      expect(error.code).toBe('certificate.not_p12');
      expect(error.errors?.[0]?.field).toBe('p12');
    });

    it('says how to export a p12', () => {
      const error = parseFailure({ bytes: Buffer.from('hello'), password: 'test-pass' });

      expect(error.message).toContain(
        'is not a PKCS#12 file; export the certificate and key as .p12/.pfx',
      );
    });

    it.each([
      { name: 'first 400 bytes', cut: () => p12.subarray(0, 400) },
      { name: 'last byte missing', cut: () => p12.subarray(0, p12.length - 1) },
      { name: 'header only', cut: () => p12.subarray(0, 6) },
    ])('rejects $name as unreadable', ({ cut }) => {
      const error = parseFailure({ bytes: cut(), password: 'test-pass' });

      expect(error.code).toBe('certificate.unreadable');
      expect(error.errors?.[0]?.field).toBe('p12');
    });

    it('rejects corrupt DER as unreadable', () => {
      const corrupt = Buffer.from(p12);
      corrupt.fill(0xff, 40, 60);

      const error = parseFailure({ bytes: corrupt, password: 'test-pass' });

      expect(error.code).toBe('certificate.unreadable');
    });
  });

  describe('error fields', () => {
    const fields = { file: '[2].p12', password: '[2].password' };

    it('names the given file field', () => {
      const file = makeP12('key-mismatch', { pki, client });

      const error = errorOf(() => parseP12(file.bytes, file.password, LIMITS, fields));

      expect(error.errors?.[0]?.field).toBe('[2].p12');
      expect(error.message).toMatch(/^\[2\]\.p12: /);
    });

    it('names the given password field', () => {
      const file = makeP12('openssl-default', { pki, client });

      const error = errorOf(() => parseP12(file.bytes, 'wrong-password', LIMITS, fields));

      expect(error.errors?.[0]?.field).toBe('[2].password');
    });
  });

  describe('secrecy', () => {
    const password = 'Sup3r-Secret-Passw0rd';

    it.each([
      'openssl-default',
      'key-mismatch',
      'two-keys',
      'certificate-only',
      'key-only',
      'high-iterations',
      'openssl-nomac',
    ] as const)('keeps the password out of %s errors', (kind) => {
      const file = makeP12(kind, { pki, client, password });
      const tried =
        kind === 'openssl-default' || kind === 'openssl-nomac' ? `${password}-x` : password;

      const error = parseFailure({ bytes: file.bytes, password: tried });
      const texts = [
        error.message,
        ...(error.errors ?? []).map((fieldError) => fieldError.message),
      ];

      expect(texts.join('\n')).not.toContain(password);
    });
  });
});
