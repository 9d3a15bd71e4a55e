import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Permission } from '../../shared/auth/identity.js';
import { signDevToken } from '../../shared/auth/jwt.js';
import { tokenSettings } from '../../shared/http/authentication.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { captureLogs, type LogCapture } from '../support/log-lines.js';

const ACCOUNT = 'acme';
const OTHER = 'globex';
const PATH = `/mtls/account/${ACCOUNT}/certificates`;

let gateway: TestGateway;
let logs: LogCapture;

beforeAll(async () => {
  gateway = await startTestGateway();
  logs = captureLogs();
});

afterAll(async () => {
  logs.stop();
  await gateway.close();
});

function signToken(subject: string, accounts: string[], permissions: Permission[]) {
  return signDevToken({
    dataDir: gateway.dataDir,
    account: accounts,
    permissions,
    subject,
    ...tokenSettings(),
  });
}

/** Sends a request and returns its status with the "Request denied" lines it wrote. */
async function deniedLinesOf(method: string, token: string) {
  const before = logs.entries().length;
  const response = await gateway.request(method, PATH, {
    headers: { authorization: `Bearer ${token}` },
    ...(method === 'POST' ? { json: [] } : {}),
  });
  const written = logs.entries().slice(before);
  return {
    status: response.status,
    code: response.body.code,
    denied: written.filter((entry) => entry.message === 'Request denied'),
  };
}

describe('denied request log', () => {
  it('logs other account', async () => {
    const token = await signToken('globex-reader', [OTHER], ['mtls.read']);

    const { status, code, denied } = await deniedLinesOf('GET', token);

    expect(status).toBe(403);
    expect(code).toBe('auth.account_forbidden');
    expect(denied).toHaveLength(1);
    expect(denied[0]).toMatchObject({
      level: 'WARN',
      route: 'certificates-list',
      code: 'auth.account_forbidden',
      principal: 'globex-reader',
      authType: 'jwt',
      accountId: ACCOUNT,
    });
    expect(typeof denied[0]!.requestId).toBe('string');
    expect(denied[0]).not.toHaveProperty('missingPermission');
  });

  it('logs missing permission', async () => {
    const token = await signToken('acme-reader', [ACCOUNT], ['mtls.read']);

    const { status, code, denied } = await deniedLinesOf('POST', token);

    expect(status).toBe(403);
    expect(code).toBe('auth.permission_missing');
    expect(denied).toHaveLength(1);
    expect(denied[0]).toMatchObject({
      level: 'WARN',
      route: 'certificates-create',
      code: 'auth.permission_missing',
      principal: 'acme-reader',
      authType: 'jwt',
      accountId: ACCOUNT,
      missingPermission: 'mtls.write',
    });
  });

  it('keeps token out of log', async () => {
    const token = await signToken('token-holder', [OTHER], ['mtls.read']);
    const signature = token.split('.')[2]!;
    const before = logs.text().length;

    await deniedLinesOf('GET', token);
    const written = logs.text().slice(before);

    expect(written).toContain('Request denied');
    expect(written).not.toContain(signature);
  });

  it('logs nothing when allowed', async () => {
    const token = await signToken('acme-reader', [ACCOUNT], ['mtls.read']);

    const { status, denied } = await deniedLinesOf('GET', token);

    expect(status).toBe(200);
    expect(denied).toEqual([]);
  });
});
