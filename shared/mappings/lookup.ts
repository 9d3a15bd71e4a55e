import { toId } from '../certificates/repository.js';
import { TtlCache } from '../runtime/cache.js';
import type { SqlExecutor } from '../store/executor.js';
import type { ServiceId } from './services.js';

/** A runtime question: which enabled mappings serve this account, service and URL? */
export interface LookupKey {
  accountId: string;
  /** Undefined matches every service, as a forward without LP-service-name does. */
  serviceId: ServiceId | undefined;
  normalizedUrl: string;
}

/** An enabled mapping and what the runtime needs of its certificate. */
export interface MappingCandidate {
  mappingId: number;
  serviceId: ServiceId;
  certificateId: number;
  certificateNotBefore: Date;
  certificateNotAfter: Date;
  /** The certificate row exists, is not deleted and has a stored secret version. */
  certificateLive: boolean;
  secretPath: string;
  secretVersion: number;
}

const cache = new TtlCache<MappingCandidate[]>();

function cacheKey(key: LookupKey): string {
  return `${key.accountId}\n${key.serviceId ?? '*'}\n${key.normalizedUrl}`;
}

/** True when the mapping may be used now: its certificate is live and inside its validity window. */
export function isUsable(candidate: MappingCandidate, now: Date): boolean {
  return (
    candidate.certificateLive &&
    candidate.certificateNotBefore.getTime() <= now.getTime() &&
    now.getTime() <= candidate.certificateNotAfter.getTime()
  );
}

/**
 * Returns the enabled mappings for each key, in key order. Keys missing from the cache are
 * looked up by one SQL statement, whatever their number. The batch travels as one JSON
 * parameter because the RDS Data API takes no array parameters.
 */
export async function lookupMappings(
  sql: SqlExecutor,
  keys: LookupKey[],
): Promise<MappingCandidate[][]> {
  const results: (MappingCandidate[] | undefined)[] = keys.map((key) => cache.get(cacheKey(key)));
  const missing = keys.flatMap((key, index) =>
    results[index] === undefined ? [{ key, index }] : [],
  );
  if (missing.length === 0) {
    return results as MappingCandidate[][];
  }

  const fetched = await queryMappings(
    sql,
    missing.map(({ key }) => key),
  );
  for (const [position, { key, index }] of missing.entries()) {
    const candidates = fetched[position]!;
    results[index] = candidates;
    cache.set(cacheKey(key), candidates);
  }
  return results as MappingCandidate[][];
}

interface CandidateRow {
  idx: number;
  mapping_id: unknown;
  service_id: number;
  certificate_id: unknown;
  not_before: Date | string | null;
  not_after: Date | string | null;
  certificate_live: boolean | null;
  secret_path: string | null;
  secret_version: number | null;
  [column: string]: unknown;
}

async function queryMappings(sql: SqlExecutor, keys: LookupKey[]): Promise<MappingCandidate[][]> {
  const items = keys.map((key, idx) => ({
    idx,
    account_id: key.accountId,
    service_id: key.serviceId ?? null,
    normalized_url: key.normalizedUrl,
  }));

  const rows = await sql.execute<CandidateRow>(
    `SELECT i.idx, m.id AS mapping_id, m.service_id, m.certificate_id, c.not_before, c.not_after,
       c.secret_path, c.secret_version, (c.id IS NOT NULL AND NOT c.deleted AND c.secret_version > 0) AS certificate_live
     FROM jsonb_to_recordset(CAST(:items AS jsonb))
       AS i(idx integer, account_id text, service_id integer, normalized_url text)
     JOIN mappings m ON m.account_id = i.account_id AND m.normalized_url = i.normalized_url
       AND (i.service_id IS NULL OR m.service_id = i.service_id) AND m.enabled AND NOT m.deleted
     LEFT JOIN certificates c ON c.id = m.certificate_id AND c.account_id = m.account_id
     ORDER BY i.idx, m.id`,
    { items: JSON.stringify(items) },
  );

  const grouped: MappingCandidate[][] = keys.map(() => []);
  for (const row of rows) {
    grouped[row.idx]!.push({
      mappingId: toId(row.mapping_id),
      serviceId: Number(row.service_id) as ServiceId,
      certificateId: toId(row.certificate_id),
      certificateNotBefore: new Date(row.not_before ?? 0),
      certificateNotAfter: new Date(row.not_after ?? 0),
      certificateLive: row.certificate_live === true,
      secretPath: row.secret_path ?? '',
      secretVersion: Number(row.secret_version ?? 0),
    });
  }
  return grouped;
}
