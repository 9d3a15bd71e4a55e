import { toId } from '../certificates/repository.js';
import type { SqlExecutor } from '../store/executor.js';
import { ANY_REVISION, type ExpectedRevision } from './input.js';
import type { ServiceId } from './services.js';

export interface MappingRecord {
  id: number;
  accountId: string;
  certificateId: number;
  serviceId: ServiceId;
  /** The URL as submitted. */
  url: string;
  normalizedUrl: string;
  name: string;
  enabled: boolean;
  deleted: boolean;
  revision: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface MappingFields {
  certificateId: number;
  serviceId: ServiceId;
  url: string;
  normalizedUrl: string;
  name: string;
  enabled: boolean;
}

interface MappingRow {
  id: unknown;
  account_id: string;
  certificate_id: unknown;
  service_id: number;
  url: string;
  normalized_url: string;
  name: string;
  enabled: boolean;
  deleted: boolean;
  revision: number;
  created_at: Date | string;
  updated_at: Date | string;
  [column: string]: unknown;
}

const COLUMNS = `id, account_id, certificate_id, service_id, url, normalized_url, name, enabled,
  deleted, revision, created_at, updated_at`;

function toRecord(row: MappingRow): MappingRecord {
  return {
    id: toId(row.id),
    accountId: row.account_id,
    certificateId: toId(row.certificate_id),
    serviceId: Number(row.service_id) as ServiceId,
    url: row.url,
    normalizedUrl: row.normalized_url,
    name: row.name,
    enabled: row.enabled,
    deleted: row.deleted,
    revision: Number(row.revision),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

function fieldParams(fields: MappingFields) {
  return {
    certificateId: fields.certificateId,
    serviceId: fields.serviceId,
    url: fields.url,
    normalizedUrl: fields.normalizedUrl,
    name: fields.name,
    enabled: fields.enabled,
  };
}

/** SQL access to the `mappings` table. Every query is scoped to one account. */
export class MappingRepository {
  constructor(private readonly sql: SqlExecutor) {}

  async insert(accountId: string, fields: MappingFields): Promise<MappingRecord> {
    const rows = await this.sql.execute<MappingRow>(
      `INSERT INTO mappings (account_id, certificate_id, service_id, url, normalized_url, name, enabled)
       VALUES (:accountId, :certificateId, :serviceId, :url, :normalizedUrl, :name, :enabled)
       RETURNING ${COLUMNS}`,
      { accountId, ...fieldParams(fields) },
    );
    return toRecord(rows[0]!);
  }

  async find(accountId: string, id: number): Promise<MappingRecord | undefined> {
    const rows = await this.sql.execute<MappingRow>(
      `SELECT ${COLUMNS} FROM mappings WHERE account_id = :accountId AND id = :id AND NOT deleted`,
      { accountId, id },
    );
    return rows[0] && toRecord(rows[0]);
  }

  async list(accountId: string): Promise<MappingRecord[]> {
    const rows = await this.sql.execute<MappingRow>(
      `SELECT ${COLUMNS} FROM mappings WHERE account_id = :accountId AND NOT deleted ORDER BY id`,
      { accountId },
    );
    return rows.map(toRecord);
  }

  /** Finds the live mapping that has a key or a name, to name it in a 409. */
  async findClash(
    accountId: string,
    fields: Pick<MappingFields, 'serviceId' | 'normalizedUrl' | 'name'>,
    exceptId = 0,
  ): Promise<MappingRecord | undefined> {
    const rows = await this.sql.execute<MappingRow>(
      `SELECT ${COLUMNS} FROM mappings
       WHERE account_id = :accountId AND NOT deleted AND id <> :exceptId
         AND ((service_id = :serviceId AND normalized_url = :normalizedUrl) OR name = :name)
       ORDER BY id LIMIT 1`,
      {
        accountId,
        exceptId,
        serviceId: fields.serviceId,
        normalizedUrl: fields.normalizedUrl,
        name: fields.name,
      },
    );
    return rows[0] && toRecord(rows[0]);
  }

  /**
   * Replaces a live mapping when its revision is still `revision`, or whatever its revision
   * when `revision` is `*`. Undefined when no row matched.
   */
  async update(
    accountId: string,
    id: number,
    revision: ExpectedRevision,
    fields: MappingFields,
  ): Promise<MappingRecord | undefined> {
    const revisionCondition = revision === ANY_REVISION ? '' : 'AND revision = :revision';
    const rows = await this.sql.execute<MappingRow>(
      `UPDATE mappings SET certificate_id = :certificateId, service_id = :serviceId, url = :url,
         normalized_url = :normalizedUrl, name = :name, enabled = :enabled,
         revision = revision + 1, updated_at = now()
       WHERE account_id = :accountId AND id = :id ${revisionCondition} AND NOT deleted
       RETURNING ${COLUMNS}`,
      {
        accountId,
        id,
        ...(revision === ANY_REVISION ? {} : { revision }),
        ...fieldParams(fields),
      },
    );
    return rows[0] && toRecord(rows[0]);
  }

  async markDeleted(accountId: string, id: number): Promise<boolean> {
    const rows = await this.sql.execute(
      `UPDATE mappings SET deleted = true, deleted_at = now(), updated_at = now(), revision = revision + 1
       WHERE account_id = :accountId AND id = :id AND NOT deleted RETURNING id`,
      { accountId, id },
    );
    return rows.length > 0;
  }

  /** Lists the enabled live mappings that use a certificate. */
  async listEnabledByCertificate(
    accountId: string,
    certificateId: number,
  ): Promise<MappingRecord[]> {
    const rows = await this.sql.execute<MappingRow>(
      `SELECT ${COLUMNS} FROM mappings
       WHERE account_id = :accountId AND certificate_id = :certificateId AND enabled AND NOT deleted
       ORDER BY id`,
      { accountId, certificateId },
    );
    return rows.map(toRecord);
  }
}
