import { generateKeyPairSync } from 'node:crypto';

import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { tokenSettings } from '../../shared/http/authentication.js';
import { logger } from '../../shared/logger.js';
import { SecretAppKeyStore } from '../../shared/secrets/app-keys.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { call, type TestResponse } from '../support/http.js';
import {
  encodeOAuthValue,
  signOAuthRequest,
  type OAuthCredentials,
} from '../support/oauth-signer.js';

const ACCOUNT = 'acme';
const PATH = `/mtls/account/${ACCOUNT}/certificates`;

let gateway: TestGateway;
const logOutput: string[] = [];
const responses: string[] = [];
/** Every credential sent, each of which must stay out of logs and responses. */
const secrets: string[] = [];

function capture(stream: NodeJS.WriteStream): void {
  vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
    logOutput.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  });
}

async function send(
  method: string,
  path: string,
  authorization: string,
  body?: string,
): Promise<TestResponse> {
  const headers: Record<string, string> = { authorization };
  if (body !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
  }
  const response = await call(gateway.url, method, path, { headers, body });
  responses.push(response.text, JSON.stringify([...response.headers]));
  return response;
}

/** Records a JWT and its signature part as secrets. */
function rememberToken(token: string): string {
  secrets.push(token, token.split('.')[2]!);
  return token;
}

async function sendBearerCases(): Promise<number[]> {
  const otherKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const now = Math.floor(Date.now() / 1000);
  const forged = rememberToken(
    await new SignJWT({ accounts: [ACCOUNT], permissions: ['mtls.read'] })
      .setProtectedHeader({ alg: 'ES256' })
      .setIssuer(tokenSettings().issuer)
      .setAudience(tokenSettings().audience)
      .setSubject('intruder')
      .setExpirationTime(now + 600)
      .sign(otherKey.privateKey),
  );
  const valid = rememberToken(await gateway.token([ACCOUNT]));
  const foreign = rememberToken(await gateway.token(['globex']));
  const tampered = rememberToken(`${valid.slice(0, -4)}AAAA`);
  const basic = Buffer.from('alice:pw-secret-1').toString('base64');
  secrets.push(basic);

  const statuses = [];
  statuses.push((await send('GET', PATH, `Bearer ${valid}`)).status);
  statuses.push((await send('GET', PATH, `Bearer ${forged}`)).status);
  statuses.push((await send('GET', PATH, `Bearer ${tampered}`)).status);
  statuses.push((await send('GET', PATH, `Bearer ${foreign}`)).status);
  statuses.push((await send('GET', PATH, `Basic ${basic}`)).status);
  return statuses;
}

async function sendOAuthCases(appKey: OAuthCredentials): Promise<number[]> {
  const sign = (credentials: OAuthCredentials, formBody?: string) => {
    const signed = signOAuthRequest({
      method: formBody === undefined ? 'GET' : 'POST',
      url: `${gateway.url}${PATH}`,
      credentials,
      formBody,
    });
    secrets.push(signed.signature, encodeOAuthValue(signed.signature));
    return signed.authorization;
  };

  const statuses = [];
  const valid = sign(appKey);
  statuses.push((await send('GET', PATH, valid)).status);
  statuses.push((await send('GET', PATH, valid)).status);
  statuses.push((await send('GET', PATH, sign({ ...appKey, tokenSecret: 'wrong' }))).status);
  statuses.push((await send('POST', PATH, sign(appKey, 'a=1'), 'a=2')).status);
  return statuses;
}

beforeAll(async () => {
  gateway = await startTestGateway();
  logger.setLogLevel('DEBUG');
  capture(process.stdout);
  capture(process.stderr);
});

afterAll(async () => {
  vi.restoreAllMocks();
  logger.setLogLevel('SILENT');
  await gateway?.close();
});

describe('credentials in logs and responses', () => {
  it('never shows tokens, secrets or signatures', async () => {
    const appKey = await new SecretAppKeyStore(gateway.dependencies.secrets).create({
      accounts: [ACCOUNT],
      permissions: ['mtls.read'],
    });
    secrets.push(appKey.consumerSecret, appKey.tokenSecret, gateway.adminToken);

    const bearerStatuses = await sendBearerCases();
    const oauthStatuses = await sendOAuthCases(appKey);
    const logs = logOutput.join('\n');
    const everything = [logs, ...responses].join('\n');

    expect(bearerStatuses).toEqual([200, 401, 401, 403, 401]);
    expect(oauthStatuses).toEqual([200, 401, 401, 401]);
    expect(logs).toContain('"message":"Authentication failed"');
    expect(secrets.filter((secret) => everything.includes(secret))).toEqual([]);
  });

  it('logs reason of each rejection', () => {
    const rejections = logOutput
      .flatMap((chunk) => chunk.split('\n'))
      .filter((line) => line.includes('"Authentication failed"'))
      .map((line) => JSON.parse(line) as { code: string; reason: string });

    expect(rejections.map((entry) => entry.code)).toEqual([
      'auth.token_invalid',
      'auth.token_invalid',
      'auth.scheme_unsupported',
      'auth.oauth_nonce_replayed',
      'auth.oauth_signature_invalid',
      'auth.oauth_signature_invalid',
    ]);
    expect(rejections[0]?.reason).toContain('ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
  });
});
