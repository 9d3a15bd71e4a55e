import {
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  randomUUID,
  type KeyObject,
} from 'node:crypto';
import { chmod, link, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

import { calculateJwkThumbprint, exportJWK, SignJWT, type JWK } from 'jose';

import { logger } from '../logger.js';
import { isAccountId, type Permission } from './identity.js';

/** The local ES256 signing key and its public half as a JWK, with `kid` its RFC 7638 thumbprint. */
export interface LocalSigningKey {
  privateKey: KeyObject;
  publicJwk: JWK;
  kid: string;
}

export interface DevTokenOptions {
  /** Data directory whose `auth/` folder contains the signing key. */
  dataDir: string;
  /** Account id, several of them, or `'*'` for every account. */
  account: string | string[];
  permissions: Permission[];
  /** Token lifetime in seconds. @default 3600 */
  expiresInSeconds?: number;
  issuer: string;
  audience: string;
  /** The `sub` claim. @default 'local-developer' */
  subject?: string;
}

const KEY_FILE = 'jwt-signing-key.pem';
const generateKeyPairAsync = promisify(generateKeyPair);

/**
 * Loads the local ES256 signing key from `<dataDir>/auth/`, making it on the first call. The
 * PKCS#8 file has mode 0600 and its folder 0700. Concurrent first calls agree on one key,
 * because the file is linked into place only when no other process has done so.
 */
export async function loadOrCreateLocalSigningKey(dataDir: string): Promise<LocalSigningKey> {
  const directory = path.join(dataDir, 'auth');
  const file = path.join(directory, KEY_FILE);
  await mkdir(directory, { recursive: true, mode: 0o700 });

  const pem = (await readKeyFile(file)) ?? (await createKeyFile(file));
  const privateKey = createPrivateKey(pem);
  if (
    privateKey.asymmetricKeyType !== 'ec' ||
    privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1'
  ) {
    throw new Error(
      `The signing key in ${file} is not an EC P-256 key; delete the file to make a new one.`,
    );
  }

  const jwk = await exportJWK(createPublicKey(privateKey));
  const kid = await calculateJwkThumbprint(jwk);
  return { privateKey, publicJwk: { ...jwk, kid, alg: 'ES256', use: 'sig' }, kid };
}

/** Reads the key file, tightening its mode to 0600 when others could read it. */
async function readKeyFile(file: string): Promise<string | undefined> {
  let pem: string;
  try {
    pem = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return undefined;
    }
    throw error;
  }

  const { mode } = await stat(file);
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    logger.warn('The local signing key was readable by others; its mode is now 0600', { file });
    await chmod(file, 0o600);
  }
  return pem;
}

async function createKeyFile(file: string): Promise<string> {
  const { privateKey } = await generateKeyPairAsync('ec', { namedCurve: 'P-256' });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

  const temporary = `${file}.${randomUUID()}.tmp`;
  await writeFile(temporary, pem, { mode: 0o600, flag: 'wx' });
  try {
    await link(temporary, file);
    return pem;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw error;
    }
    return readFile(file, 'utf8');
  } finally {
    await unlink(temporary);
  }
}

/**
 * Signs a development token with the local key, for the local gateway and tests. The token
 * carries the claims that JwtVerifier reads: `sub`, `accounts` and `permissions`.
 */
export async function signDevToken(options: DevTokenOptions): Promise<string> {
  const expiresInSeconds = options.expiresInSeconds ?? 3600;
  if (!Number.isSafeInteger(expiresInSeconds) || expiresInSeconds <= 0) {
    throw new TypeError(`expiresInSeconds must be a positive integer, got ${expiresInSeconds}.`);
  }

  const accounts = readAccounts(options.account);
  const { privateKey, kid } = await loadOrCreateLocalSigningKey(options.dataDir);
  const issuedAt = Math.floor(Date.now() / 1000);

  return new SignJWT({ accounts, permissions: [...options.permissions] })
    .setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' })
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setSubject(options.subject ?? 'local-developer')
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + expiresInSeconds)
    .sign(privateKey);
}

function readAccounts(account: string | string[]): string[] | '*' {
  const list = typeof account === 'string' ? [account] : account;
  if (list.length === 1 && list[0] === '*') {
    return '*';
  }

  const invalid = list.filter((item) => !isAccountId(item));
  if (list.length === 0 || invalid.length > 0) {
    throw new TypeError(
      `account must be "*" or account ids of 1 to 64 characters of [A-Za-z0-9_-]; got ${JSON.stringify(account)}.`,
    );
  }
  return [...list];
}
