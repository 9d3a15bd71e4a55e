import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { lookupMappings } from '../../shared/mappings/lookup.js';
import { clearRuntimeCaches, TtlCache } from '../../shared/runtime/cache.js';
import type { SqlExecutor, SqlParams, SqlRow } from '../../shared/store/executor.js';
import { migrate } from '../../shared/store/migrate.js';
import { PgliteExecutor } from '../../shared/store/pglite.js';

/** Counts the statements that reach the database. */
class CountingExecutor implements SqlExecutor {
  statements = 0;

  constructor(private readonly inner: SqlExecutor) {}

  execute<Row extends SqlRow = SqlRow>(sql: string, params?: SqlParams): Promise<Row[]> {
    this.statements += 1;
    return this.inner.execute<Row>(sql, params);
  }

  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.inner.transaction(work);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

describe('lookupMappings', () => {
  let database: PgliteExecutor;
  let sql: CountingExecutor;

  beforeAll(async () => {
    database = await PgliteExecutor.open();
    await migrate(database);
    const [certificate] = await database.execute<{ id: number }>(
      `INSERT INTO certificates (account_id, name, display_name, secret_path, secret_version, not_before,
         not_after, subject, issuer, serial_number, fingerprint_sha256, key_type, chain_length)
       VALUES ('a1', 'c', 'c', 'p', 1, now() - interval '1 day', now() + interval '1 day', 's', 'i', '01', 'f', 'RSA-2048', 1)
       RETURNING id`,
    );
    await database.execute(
      `INSERT INTO mappings (account_id, certificate_id, service_id, url, normalized_url, name, enabled)
       VALUES ('a1', :certificateId, 1, 'https://x.test/', 'https://x.test/', 'm', true)`,
      { certificateId: certificate!.id },
    );
    sql = new CountingExecutor(database);
  });

  afterAll(async () => {
    await database.close();
  });

  beforeEach(() => {
    clearRuntimeCaches();
    process.env.MTLS_CACHE_TTL_SECONDS = '300';
    sql.statements = 0;
  });

  it('answers a batch with one statement', async () => {
    const keys = Array.from({ length: 500 }, (_, index) => ({
      accountId: 'a1',
      serviceId: 1 as const,
      normalizedUrl: index === 0 ? 'https://x.test/' : `https://x.test/${index}`,
    }));

    const results = await lookupMappings(sql, keys);

    expect(sql.statements).toBe(1);
    expect(results[0]).toHaveLength(1);
    expect(results[1]).toHaveLength(0);
  });

  it('serves a repeat from the cache', async () => {
    const key = { accountId: 'a1', serviceId: 1 as const, normalizedUrl: 'https://x.test/' };

    await lookupMappings(sql, [key]);
    await lookupMappings(sql, [key]);

    expect(sql.statements).toBe(1);
  });

  it('queries again after clearing', async () => {
    const key = { accountId: 'a1', serviceId: 1 as const, normalizedUrl: 'https://x.test/' };

    await lookupMappings(sql, [key]);
    clearRuntimeCaches();
    await lookupMappings(sql, [key]);

    expect(sql.statements).toBe(2);
  });

  it('skips the cache when the TTL is 0', async () => {
    process.env.MTLS_CACHE_TTL_SECONDS = '0';
    const key = { accountId: 'a1', serviceId: 1 as const, normalizedUrl: 'https://x.test/' };

    await lookupMappings(sql, [key]);
    await lookupMappings(sql, [key]);

    expect(sql.statements).toBe(2);
  });

  it('matches every service without one', async () => {
    const [candidates] = await lookupMappings(sql, [
      { accountId: 'a1', serviceId: undefined, normalizedUrl: 'https://x.test/' },
    ]);

    expect(candidates).toHaveLength(1);
  });
});

describe('TtlCache', () => {
  it('expires entries after the TTL', () => {
    let now = 1_000;
    const cache = new TtlCache<string>(
      () => 300,
      () => now,
    );
    cache.set('k', 'v');

    now += 299_999;
    const before = cache.get('k');
    now += 1;
    const after = cache.get('k');

    expect(before).toBe('v');
    expect(after).toBeUndefined();
  });

  it('calls onEvict for cleared entries', () => {
    const evicted: string[] = [];
    const cache = new TtlCache<string>(
      () => 300,
      Date.now,
      (value) => evicted.push(value),
    );
    cache.set('a', 'one');
    cache.set('b', 'two');

    clearRuntimeCaches();

    expect(evicted.sort()).toEqual(['one', 'two']);
  });
});
