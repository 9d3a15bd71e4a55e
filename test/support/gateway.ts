import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { signDevToken } from '../../shared/auth/jwt.js';
import type { Permission } from '../../shared/auth/identity.js';
import { tokenSettings } from '../../shared/http/authentication.js';
import { resetVerifiers } from '../../shared/http/authentication.js';
import { call, type RequestOptions, type TestResponse } from './http.js';
import {
  type LocalGateway,
  type LocalGatewayOptions,
  startLocalGateway,
} from '../../local/gateway.js';
import {
  closeDependencies,
  type Dependencies,
  openLocalDependencies,
  setDependencies,
} from '../../shared/runtime/dependencies.js';

export interface TestGateway {
  url: string;
  dataDir: string;
  dependencies: Dependencies;
  gateway: LocalGateway;
  /** A Bearer token for every account with every permission. */
  adminToken: string;
  /** Signs a token for the accounts and permissions given. */
  token(
    accounts: string[] | '*',
    permissions?: Permission[],
    expiresInSeconds?: number,
  ): Promise<string>;
  /** Sends a request with the admin token unless `headers.authorization` is set ('' sends none). */
  request(method: string, path: string, options?: RequestOptions): Promise<TestResponse>;
  /** Stops the gateway and closes the database; the data directory stays for a restart. */
  stop(): Promise<void>;
  /** Stops and removes the data directory. */
  close(): Promise<void>;
}

/**
 * Starts the local gateway on 127.0.0.1 with a free port, over PGlite and the encrypted
 * secret files in `dataDir` (a new temporary folder unless given).
 */
export async function startTestGateway(
  options: { dataDir?: string } & LocalGatewayOptions = {},
): Promise<TestGateway> {
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(tmpdir(), 'mtls-gateway-test-')));
  process.env.MTLS_DATA_DIR = dataDir;

  const dependencies = await openLocalDependencies(dataDir);
  setDependencies(dependencies);
  // Throttling is off unless a test sets `rateLimitRps`, because suites send bursts from one address.
  const gateway = await startLocalGateway({
    rateLimitRps: 0,
    ...options,
    host: '127.0.0.1',
    port: 0,
  });

  resetVerifiers();
  const token = (
    accounts: string[] | '*',
    permissions: Permission[] = ['mtls.read', 'mtls.write', 'mtls.forward'],
    expiresInSeconds?: number,
  ) =>
    signDevToken({ dataDir, account: accounts, permissions, expiresInSeconds, ...tokenSettings() });
  const adminToken = await token('*');

  const stop = async () => {
    await gateway.close();
    await closeDependencies();
  };
  return {
    url: gateway.url,
    dataDir,
    dependencies,
    gateway,
    adminToken,
    token,
    request: (method, path, requestOptions = {}) => {
      const headers = { authorization: `Bearer ${adminToken}`, ...requestOptions.headers };
      if (headers.authorization === '') {
        delete (headers as Record<string, string>).authorization;
      }
      return call(gateway.url, method, path, { ...requestOptions, headers });
    },
    stop,
    close: async () => {
      await stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
