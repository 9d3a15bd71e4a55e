import { generateKeyPairSync } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { JwtVerifier, loadOrCreateLocalSigningKey, signDevToken } from '../../shared/auth/jwt.js';

const ISSUER = 'mtls-gateway-local';
const AUDIENCE = 'mtls-gateway';

let root: string;
let counter = 0;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'mtls-auth-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Returns a new, empty data directory under the test's temporary folder. */
function freshDataDir(): string {
  counter += 1;
  return path.join(root, `data-${counter}`);
}

describe('loadOrCreateLocalSigningKey', () => {
  it('creates key file with mode 0600', async () => {
    const dataDir = freshDataDir();

    await loadOrCreateLocalSigningKey(dataDir);
    const { mode } = await stat(path.join(dataDir, 'auth', 'jwt-signing-key.pem'));

    expect(mode & 0o777).toBe(0o600);
  });

  it('creates auth folder with mode 0700', async () => {
    const dataDir = freshDataDir();

    await loadOrCreateLocalSigningKey(dataDir);
    const { mode } = await stat(path.join(dataDir, 'auth'));

    expect(mode & 0o777).toBe(0o700);
  });

  it('returns same key twice', async () => {
    const dataDir = freshDataDir();

    const first = await loadOrCreateLocalSigningKey(dataDir);
    const second = await loadOrCreateLocalSigningKey(dataDir);

    expect(second.kid).toBe(first.kid);
    expect(second.publicJwk).toEqual(first.publicJwk);
  });

  it('agrees on key when concurrent', async () => {
    const dataDir = freshDataDir();

    const keys = await Promise.all(
      Array.from({ length: 5 }, () => loadOrCreateLocalSigningKey(dataDir)),
    );

    expect(new Set(keys.map((key) => key.kid)).size).toBe(1);
  });

  it('derives kid from thumbprint', async () => {
    const { publicJwk, kid } = await loadOrCreateLocalSigningKey(freshDataDir());
    const { kty, crv, x, y } = publicJwk;

    expect(kid).toBe(await calculateJwkThumbprint({ kty, crv, x, y }));
  });

  it('returns public ES256 JWK', async () => {
    const { publicJwk } = await loadOrCreateLocalSigningKey(freshDataDir());

    expect(publicJwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(publicJwk).not.toHaveProperty('d');
  });

  it('tightens readable key file', async () => {
    const dataDir = freshDataDir();
    await loadOrCreateLocalSigningKey(dataDir);
    const file = path.join(dataDir, 'auth', 'jwt-signing-key.pem');
    await chmod(file, 0o644);

    await loadOrCreateLocalSigningKey(dataDir);

    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('rejects RSA key file', async () => {
    const dataDir = freshDataDir();
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await mkdir(path.join(dataDir, 'auth'), { recursive: true });
    const pem = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await writeFile(path.join(dataDir, 'auth', 'jwt-signing-key.pem'), pem, { mode: 0o600 });

    await expect(loadOrCreateLocalSigningKey(dataDir)).rejects.toThrow(/not an EC P-256 key/);
  });
});

describe('signDevToken', () => {
  it('signs token JwtVerifier accepts', async () => {
    const dataDir = freshDataDir();
    const token = await signDevToken({
      dataDir,
      account: ['123', 'acme'],
      permissions: ['mtls.read', 'mtls.write'],
      issuer: ISSUER,
      audience: AUDIENCE,
    });
    const { publicJwk } = await loadOrCreateLocalSigningKey(dataDir);
    const verifier = new JwtVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      localPublicKey: publicJwk,
    });

    const identity = await verifier.verify(token);

    expect(identity).toEqual({
      principal: 'local-developer',
      accounts: ['123', 'acme'],
      permissions: ['mtls.read', 'mtls.write'],
      authType: 'jwt',
    });
  });

  it('grants every account for "*"', async () => {
    const token = await signDevToken({
      dataDir: freshDataDir(),
      account: '*',
      permissions: ['mtls.read'],
      issuer: ISSUER,
      audience: AUDIENCE,
    });

    expect(decodeJwt(token).accounts).toBe('*');
  });

  it('sets subject and lifetime', async () => {
    const token = await signDevToken({
      dataDir: freshDataDir(),
      account: '123',
      permissions: ['mtls.forward'],
      issuer: ISSUER,
      audience: AUDIENCE,
      subject: 'ci-pipeline',
      expiresInSeconds: 120,
    });
    const claims = decodeJwt(token);

    expect(claims.sub).toBe('ci-pipeline');
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(120);
    expect(claims.accounts).toEqual(['123']);
  });

  it('names key in header', async () => {
    const dataDir = freshDataDir();
    const token = await signDevToken({
      dataDir,
      account: '1',
      permissions: [],
      issuer: ISSUER,
      audience: AUDIENCE,
    });
    const { kid } = await loadOrCreateLocalSigningKey(dataDir);

    expect(decodeProtectedHeader(token)).toEqual({ alg: 'ES256', kid, typ: 'JWT' });
  });

  it.each([
    ['invalid account id', { account: 'a b' }],
    ['empty account list', { account: [] }],
    ['zero lifetime', { account: '1', expiresInSeconds: 0 }],
  ])('rejects %s', async (_case, options) => {
    const signing = signDevToken({
      dataDir: freshDataDir(),
      permissions: ['mtls.read'],
      issuer: ISSUER,
      audience: AUDIENCE,
      ...options,
    });

    await expect(signing).rejects.toThrow(TypeError);
  });
});
