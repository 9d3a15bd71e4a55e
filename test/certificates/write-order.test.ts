import { readdir } from 'node:fs/promises';
import path from 'node:path';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { setDependencies } from '../../shared/runtime/dependencies.js';
import type { SecretData, SecretStore, SecretVersion } from '../../shared/secrets/port.js';
import type { SqlExecutor, SqlParams, SqlRow } from '../../shared/store/executor.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { FIXTURE_PASSWORD, readFixture } from '../support/fixtures.js';

const BASE = '/mtls/account/acme/certificates';

/** A secret store whose chosen operations fail, as an unreachable Vault would. */
class FaultySecretStore implements SecretStore {
  constructor(
    private readonly inner: SecretStore,
    private readonly failing: Set<keyof SecretStore>,
  ) {}

  put(secretPath: string, data: SecretData): Promise<{ version: number }> {
    return this.failing.has('put')
      ? Promise.reject(new Error('injected put failure'))
      : this.inner.put(secretPath, data);
  }

  get(secretPath: string, version?: number): Promise<SecretVersion | undefined> {
    return this.failing.has('get')
      ? Promise.reject(new Error('injected get failure'))
      : this.inner.get(secretPath, version);
  }

  destroyVersion(secretPath: string, version: number): Promise<void> {
    return this.inner.destroyVersion(secretPath, version);
  }

  destroy(secretPath: string): Promise<void> {
    return this.failing.has('destroy')
      ? Promise.reject(new Error('injected destroy failure'))
      : this.inner.destroy(secretPath);
  }
}

/** An executor whose statements fail when they match `pattern`, as a lost database would. */
class FaultyExecutor implements SqlExecutor {
  constructor(
    private readonly inner: SqlExecutor,
    private readonly pattern: RegExp,
  ) {}

  execute<Row extends SqlRow = SqlRow>(sql: string, params?: SqlParams): Promise<Row[]> {
    if (this.pattern.test(sql)) {
      return Promise.reject(new Error('injected database failure'));
    }
    return this.inner.execute<Row>(sql, params);
  }

  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.inner.transaction((tx) => work(new FaultyExecutor(tx, this.pattern)));
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

async function secretFiles(dataDir: string): Promise<string[]> {
  const root = path.join(dataDir, 'secrets');
  const files: string[] = [];
  for (const folder of await readdir(root)) {
    for (const file of await readdir(path.join(root, folder))) {
      files.push(`${folder}/${file}`);
    }
  }
  return files.sort();
}

describe('certificate write order', () => {
  let gateway: TestGateway;

  const upload = (name: string) =>
    gateway.request('POST', BASE, {
      json: [
        {
          name,
          p12: readFixture('rsa-default.p12').toString('base64'),
          password: FIXTURE_PASSWORD,
        },
      ],
    });

  beforeAll(async () => {
    gateway = await startTestGateway();
  });

  afterEach(() => {
    setDependencies(gateway.dependencies);
  });

  afterAll(async () => {
    await gateway.close();
  });

  it('stores no row when the secret store fails', async () => {
    setDependencies({
      ...gateway.dependencies,
      secrets: new FaultySecretStore(gateway.dependencies.secrets, new Set(['put'])),
    });

    const response = await upload('secret-down');
    setDependencies(gateway.dependencies);
    const listed = await gateway.request('GET', BASE);

    expect(response.status).toBe(503);
    expect(response.body.code).toBe('secrets.unavailable');
    expect(listed.body.map((item: { name: string }) => item.name)).not.toContain('secret-down');
  });

  it('removes the secret when the row fails', async () => {
    const before = await secretFiles(gateway.dataDir);
    setDependencies({
      ...gateway.dependencies,
      sql: new FaultyExecutor(gateway.dependencies.sql, /^\s*INSERT INTO certificates/),
    });

    const response = await upload('database-down');
    const after = await secretFiles(gateway.dataDir);

    expect(response.status).toBe(503);
    expect(response.body.code).toBe('store.unavailable');
    expect(after).toEqual(before);
  });

  it('keeps the old version when an update row fails', async () => {
    const created = await upload('update-fails');
    const id = created.body.successfulySavedCertificates[0].id;
    const before = await secretFiles(gateway.dataDir);
    setDependencies({
      ...gateway.dependencies,
      sql: new FaultyExecutor(
        gateway.dependencies.sql,
        /^\s*UPDATE certificates SET name = :name, display_name = :displayName,\s+secret_version/,
      ),
    });

    const response = await gateway.request('PUT', BASE, {
      json: [
        {
          id,
          name: 'update-fails',
          p12: readFixture('ec-with-chain.p12').toString('base64'),
          password: FIXTURE_PASSWORD,
        },
      ],
    });
    setDependencies(gateway.dependencies);
    const download = await gateway.request('GET', `${BASE}/${id}/download`);

    expect(response.status).toBe(503);
    expect(await secretFiles(gateway.dataDir)).toEqual(before);
    expect(download.status).toBe(200);
    expect((await gateway.request('GET', `${BASE}/${id}`)).body.keyType).toBe('RSA-2048');
  });

  it('reports read failure on download', async () => {
    const created = await upload('read-fails');
    const id = created.body.successfulySavedCertificates[0].id;
    setDependencies({
      ...gateway.dependencies,
      secrets: new FaultySecretStore(gateway.dependencies.secrets, new Set(['get'])),
    });

    const response = await gateway.request('GET', `${BASE}/${id}/download`);

    expect(response.status).toBe(503);
    expect(response.body.code).toBe('secrets.unavailable');
    expect(response.body.detail).toContain('The secret store could not be read');
    expect(response.body.detail).toContain(`certificate ${id}`);
    expect(response.body.detail).not.toContain('Nothing was stored');
  });

  it('keeps write wording on upload', async () => {
    setDependencies({
      ...gateway.dependencies,
      secrets: new FaultySecretStore(gateway.dependencies.secrets, new Set(['put'])),
    });

    const response = await upload('write-wording');

    expect(response.body.detail).toBe(
      'The secret store is unavailable. Nothing was stored. Retry later.',
    );
  });

  it('keeps the row when destroying the secret fails', async () => {
    const created = await upload('delete-fails');
    const id = created.body.successfulySavedCertificates[0].id;
    setDependencies({
      ...gateway.dependencies,
      secrets: new FaultySecretStore(gateway.dependencies.secrets, new Set(['destroy'])),
    });

    const response = await gateway.request('DELETE', `${BASE}/${id}`);
    setDependencies(gateway.dependencies);
    const fetched = await gateway.request('GET', `${BASE}/${id}`);
    const download = await gateway.request('GET', `${BASE}/${id}/download`);

    expect(response.status).toBe(503);
    expect(fetched.status).toBe(200);
    expect(download.status).toBe(200);
  });
});

describe('local gateway restart', () => {
  it('keeps certificates across a restart', async () => {
    const first = await startTestGateway();
    const created = await first.request('POST', BASE, {
      json: [
        {
          name: 'durable',
          p12: readFixture('rsa-default.p12').toString('base64'),
          password: FIXTURE_PASSWORD,
        },
      ],
    });
    const id = created.body.successfulySavedCertificates[0].id;
    await first.stop();

    const second = await startTestGateway({ dataDir: first.dataDir });
    try {
      const fetched = await second.request('GET', `${BASE}/${id}`);
      const download = await second.request('GET', `${BASE}/${id}/download`);

      expect(fetched.status).toBe(200);
      expect(fetched.body.name).toBe('durable');
      expect(download.status).toBe(200);
    } finally {
      await second.close();
    }
  });
});
