import { conflict, type FieldError, GatewayError, invalidFields, notFound } from '../errors.js';
import { logger } from '../logger.js';
import { type SqlExecutor, sqlStateOf, UNIQUE_VIOLATION } from '../store/executor.js';
import type { ExpectedRevision } from './input.js';
import { type MappingFields, type MappingRecord, MappingRepository } from './repository.js';

export interface MappingServiceOptions {
  sql: SqlExecutor;
  /** Called after every successful write, so runtime caches of this process drop stale entries. */
  onChange?: (accountId: string) => void;
}

/** Mapping management: the rules of LivePerson's ac-common mtls configuration. */
export class MappingService {
  private readonly repository: MappingRepository;

  constructor(private readonly options: MappingServiceOptions) {
    this.repository = new MappingRepository(options.sql);
  }

  /**
   * Creates every mapping or none, in one transaction. Certificates are checked first so that
   * the 400 lists every bad item. The unique indexes then decide clashes, also between
   * concurrent requests.
   */
  async createAll(accountId: string, items: MappingFields[]): Promise<MappingRecord[]> {
    assertNoClashWithinBatch(items);

    const created = await this.inTransaction(accountId, async (tx) => {
      await assertCertificatesExist(tx, accountId, items);

      const repository = new MappingRepository(tx);
      const records: MappingRecord[] = [];
      for (const [index, item] of items.entries()) {
        try {
          records.push(await repository.insert(accountId, item));
        } catch (error) {
          throw asUniqueClash(error, item, `[${index}]`);
        }
      }
      return records;
    });

    logger.info('Mappings created', { accountId, mappingIds: created.map((record) => record.id) });
    this.options.onChange?.(accountId);
    return created;
  }

  async get(accountId: string, id: number): Promise<MappingRecord> {
    const record = await this.repository.find(accountId, id);
    if (!record) {
      throw mappingNotFound(id);
    }
    return record;
  }

  list(accountId: string): Promise<MappingRecord[]> {
    return this.repository.list(accountId);
  }

  /**
   * Replaces a mapping if `revision` is current or is `*`: 409 when stale, 404 when absent.
   */
  async update(
    accountId: string,
    id: number,
    revision: ExpectedRevision,
    fields: MappingFields,
  ): Promise<MappingRecord> {
    const updated = await this.inTransaction(accountId, async (tx) => {
      await assertCertificatesExist(tx, accountId, [fields], '');

      const repository = new MappingRepository(tx);
      let record: MappingRecord | undefined;
      try {
        record = await repository.update(accountId, id, revision, fields);
      } catch (error) {
        throw asUniqueClash(error, fields, '', id);
      }
      if (record) {
        return record;
      }

      const current = await repository.find(accountId, id);
      if (!current) {
        throw mappingNotFound(id);
      }
      throw conflict(
        'mapping.revision_stale',
        `Mapping ${id} is at revision ${current.revision}, not ${revision}; GET it again and retry with If-Match: ${current.revision}.`,
        { currentRevision: current.revision },
      );
    });

    logger.info('Mapping updated', { accountId, mappingId: id, revision: updated.revision });
    this.options.onChange?.(accountId);
    return updated;
  }

  async delete(accountId: string, id: number): Promise<void> {
    const deleted = await this.repository.markDeleted(accountId, id);
    if (!deleted) {
      throw mappingNotFound(id);
    }
    logger.info('Mapping deleted', { accountId, mappingId: id });
    this.options.onChange?.(accountId);
  }

  /** Throws a 409 listing the enabled mappings that still use a certificate. */
  async assertCertificateUnused(
    tx: SqlExecutor,
    accountId: string,
    certificateId: number,
  ): Promise<void> {
    const users = await new MappingRepository(tx).listEnabledByCertificate(
      accountId,
      certificateId,
    );
    if (users.length === 0) {
      return;
    }

    const ids = users.map((mapping) => mapping.id);
    throw conflict(
      'certificate.in_use',
      `Certificate ${certificateId} is used by enabled mappings ${ids.join(', ')}. Disable or delete them first.`,
      {
        mappings: users.map((mapping) => ({
          id: mapping.id,
          name: mapping.name,
          url: mapping.url,
        })),
      },
    );
  }

  /**
   * Runs `work` in a transaction and turns a unique-index violation into a 409 that names
   * the clashing mapping. The failed statement aborts the transaction, so the clash is read
   * after the rollback.
   */
  private async inTransaction<T>(
    accountId: string,
    work: (tx: SqlExecutor) => Promise<T>,
  ): Promise<T> {
    try {
      return await this.options.sql.transaction(work);
    } catch (error) {
      if (!(error instanceof UniqueClash)) {
        throw error;
      }
      const clash = await this.repository.findClash(accountId, error.fields, error.exceptId);
      throw clashError(error.fields, clash, error.prefix);
    }
  }
}

/** A unique-index violation carried out of a transaction so that it can roll back first. */
class UniqueClash extends Error {
  constructor(
    readonly fields: MappingFields,
    readonly prefix: string,
    readonly exceptId: number | undefined,
  ) {
    super('Unique mapping constraint violated.');
  }
}

function asUniqueClash(
  error: unknown,
  fields: MappingFields,
  prefix: string,
  exceptId?: number,
): unknown {
  return sqlStateOf(error) === UNIQUE_VIOLATION ? new UniqueClash(fields, prefix, exceptId) : error;
}

export function mappingNotFound(id: number): GatewayError {
  return notFound('mapping.not_found', `Mapping ${id} was not found in this account.`);
}

function clashError(
  fields: MappingFields,
  clash: MappingRecord | undefined,
  prefix: string,
): GatewayError {
  const where = prefix === '' ? '' : `${prefix}: `;
  if (!clash) {
    return conflict(
      'mapping.duplicate',
      `${where}another mapping already uses this name or service and URL.`,
    );
  }

  const sameName = clash.name === fields.name;
  const reason = sameName
    ? `the name "${fields.name}"`
    : `service ${fields.serviceId} and URL ${clash.url}`;
  return conflict(
    'mapping.duplicate',
    `${where}mapping ${clash.id} ("${clash.name}") already uses ${reason}. Update or delete it instead.`,
    { existingMappingId: clash.id },
  );
}

function assertNoClashWithinBatch(items: MappingFields[]): void {
  const keys = new Map<string, number>();
  const names = new Map<string, number>();

  for (const [index, item] of items.entries()) {
    const key = `${item.serviceId}\n${item.normalizedUrl}`;
    const earlier = keys.get(key) ?? names.get(item.name);
    if (earlier !== undefined) {
      throw conflict(
        'mapping.duplicate',
        `[${index}]: repeats the name or service and URL of item [${earlier}] in the same request.`,
      );
    }
    keys.set(key, index);
    names.set(item.name, index);
  }
}

async function assertCertificatesExist(
  sql: SqlExecutor,
  accountId: string,
  items: MappingFields[],
  prefix: string | undefined = undefined,
): Promise<void> {
  const ids = [...new Set(items.map((item) => item.certificateId))];
  const rows = await sql.execute<{ id: unknown }>(
    `SELECT id FROM certificates
     WHERE account_id = :accountId AND NOT deleted
       AND id IN (SELECT CAST(value AS bigint) FROM jsonb_array_elements_text(CAST(:ids AS jsonb)))`,
    { accountId, ids: JSON.stringify(ids) },
  );
  const found = new Set(rows.map((row) => Number(row.id)));

  const errors: FieldError[] = [];
  for (const [index, item] of items.entries()) {
    if (!found.has(item.certificateId)) {
      const field = prefix === undefined ? `[${index}].certificationId` : 'certificationId';
      errors.push({
        field,
        message: `names no certificate of this account (${item.certificateId}). Upload it or fix the id.`,
      });
    }
  }
  if (errors.length > 0) {
    throw invalidFields('mapping.certificate_unknown', errors);
  }
}
