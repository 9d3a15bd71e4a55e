import type { Identity } from '../auth/identity.js';
import { toId } from '../certificates/repository.js';
import type { SqlExecutor } from '../store/executor.js';

export type AuditOutcome = 'success' | 'failure';

/** One management write as the API records it; `detail` is an error code or a name, never a secret. */
export interface AuditRecord {
  objectId?: number;
  outcome: AuditOutcome;
  detail?: string;
}

export interface AuditEvent {
  id: number;
  occurredAt: string;
  accountId: string;
  principal: string;
  authType: string;
  action: string;
  objectId: number | null;
  outcome: AuditOutcome;
  detail: string | null;
}

interface AuditRow {
  id: unknown;
  occurred_at: Date | string;
  account_id: string;
  principal: string;
  auth_type: string;
  action: string;
  object_id: unknown;
  outcome: AuditOutcome;
  detail: string | null;
  [column: string]: unknown;
}

/** Appends the records of one request in a single statement. */
export async function appendAuditEvents(
  sql: SqlExecutor,
  identity: Identity,
  accountId: string,
  action: string,
  records: AuditRecord[],
): Promise<void> {
  if (records.length === 0) {
    return;
  }

  const rows = records.map((record) => ({
    object_id: record.objectId ?? null,
    outcome: record.outcome,
    detail: record.detail ?? null,
  }));
  await sql.execute(
    `INSERT INTO audit_events (account_id, principal, auth_type, action, object_id, outcome, detail)
     SELECT :accountId, :principal, :authType, :action, r.object_id, r.outcome, r.detail
     FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(object_id bigint, outcome text, detail text)`,
    {
      accountId,
      principal: identity.principal,
      authType: identity.authType,
      action,
      rows: JSON.stringify(rows),
    },
  );
}

/** Lists an account's events newest first; `beforeId` continues from a previous page. */
export async function listAuditEvents(
  sql: SqlExecutor,
  accountId: string,
  limit: number,
  beforeId?: number,
): Promise<AuditEvent[]> {
  const rows = await sql.execute<AuditRow>(
    `SELECT id, occurred_at, account_id, principal, auth_type, action, object_id, outcome, detail
     FROM audit_events
     WHERE account_id = :accountId AND id < :beforeId
     ORDER BY id DESC LIMIT :limit`,
    { accountId, beforeId: beforeId ?? Number.MAX_SAFE_INTEGER, limit },
  );

  return rows.map((row) => ({
    id: toId(row.id),
    occurredAt: new Date(row.occurred_at).toISOString(),
    accountId: row.account_id,
    principal: row.principal,
    authType: row.auth_type,
    action: row.action,
    objectId: row.object_id === null ? null : toId(row.object_id),
    outcome: row.outcome,
    detail: row.detail,
  }));
}
