import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { LocalSecretStore } from '../../shared/secrets/local.js';

const SECRET_PATH = 'accounts/acme/certificates/parallel';
const PUT_COUNT = 20;

let dataDir: string;

function versionsFrom(results: { version: number }[]): number[] {
  return results.map((result) => result.version).sort((a, b) => a - b);
}

function oneToCount(count: number): number[] {
  return Array.from({ length: count }, (_, index) => index + 1);
}

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'mtls-secret-store-'));
});

afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('LocalSecretStore concurrent writes', () => {
  it('gives each put its version', async () => {
    const store = await LocalSecretStore.open(dataDir);

    const results = await Promise.all(
      Array.from({ length: PUT_COUNT }, (_, index) => store.put(SECRET_PATH, { n: `${index}` })),
    );

    expect(versionsFrom(results)).toEqual(oneToCount(PUT_COUNT));
  });

  it('get returns the last put', async () => {
    const store = await LocalSecretStore.open(dataDir);

    await Promise.all(
      Array.from({ length: PUT_COUNT }, (_, index) => store.put(SECRET_PATH, { n: `${index}` })),
    );
    const latest = await store.get(SECRET_PATH);

    expect(latest?.version).toBe(PUT_COUNT);
    expect(latest?.data).toEqual({ n: `${PUT_COUNT - 1}` });
  });

  it('keeps each version readable', async () => {
    const store = await LocalSecretStore.open(dataDir);

    const results = await Promise.all(
      Array.from({ length: PUT_COUNT }, (_, index) => store.put(SECRET_PATH, { n: `${index}` })),
    );
    const read = await Promise.all(results.map(({ version }) => store.get(SECRET_PATH, version)));

    expect(read.map((secret) => secret?.data.n)).toEqual(
      oneToCount(PUT_COUNT).map((n) => `${n - 1}`),
    );
  });

  it('serializes two stores on one folder', async () => {
    const first = await LocalSecretStore.open(dataDir);
    const second = await LocalSecretStore.open(dataDir);

    const results = await Promise.all(
      Array.from({ length: PUT_COUNT }, (_, index) =>
        (index % 2 === 0 ? first : second).put(SECRET_PATH, { n: `${index}` }),
      ),
    );

    expect(versionsFrom(results)).toEqual(oneToCount(PUT_COUNT));
  });

  it('puts after destroy start at 1', async () => {
    const store = await LocalSecretStore.open(dataDir);
    await store.put(SECRET_PATH, { n: 'old' });

    const [, result] = await Promise.all([
      store.destroy(SECRET_PATH),
      store.put(SECRET_PATH, { n: 'new' }),
    ]);

    expect(result.version).toBe(1);
    expect((await store.get(SECRET_PATH))?.data).toEqual({ n: 'new' });
  });

  it('continues after a failed put', async () => {
    const store = await LocalSecretStore.open(dataDir);
    const unserializable = { n: 1n } as unknown as Record<string, string>;

    const [failed, next] = await Promise.allSettled([
      store.put(SECRET_PATH, unserializable),
      store.put(SECRET_PATH, { n: 'after' }),
    ]);

    expect(failed.status).toBe('rejected');
    expect(next).toEqual({ status: 'fulfilled', value: { version: 1 } });
  });
});
