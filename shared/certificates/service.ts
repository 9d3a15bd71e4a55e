import { randomUUID } from 'node:crypto';

import type { GatewayConfig } from '../config.js';
import { conflict, GatewayError, invalidField, notFound } from '../errors.js';
import { logger } from '../logger.js';
import type { SecretStore } from '../secrets/port.js';
import { type SqlExecutor, sqlStateOf, UNIQUE_VIOLATION } from '../store/executor.js';
import { type CertificateMaterial, parseP12, type P12FieldNames, type ParsedP12 } from './p12.js';
import { type CertificateRecord, CertificateRepository } from './repository.js';

/** A validated upload: the decoded p12 and where its fields came from, for error messages. */
export interface CertificateUpload {
  name: string;
  displayName?: string;
  p12: Uint8Array;
  password: string;
  fields: P12FieldNames & { name: string };
}

export interface CertificateChange {
  id: number;
  name: string;
  displayName?: string;
  /** A new p12 and its password, or undefined to rename only. */
  p12?: Uint8Array;
  password?: string;
  fields: P12FieldNames & { name: string; id: string };
}

/** An enabled mapping that uses a certificate, as listed in the 409 of an update it blocks. */
export interface MappingUse {
  id: number;
  name: string;
  url: string;
}

/** The secret-store form of a certificate: never the p12 or its password. */
export interface StoredMaterial {
  privateKeyPem: string;
  leafPem: string;
  chainPem: string;
}

export interface CertificateServiceOptions {
  sql: SqlExecutor;
  secrets: SecretStore;
  config: GatewayConfig;
  now?: () => Date;
  /** Called after every successful write, so runtime caches of this process drop stale entries. */
  onChange?: (accountId: string) => void;
}

/**
 * Certificate management: upload, update, delete and read. Writes keep the secret store and
 * the database consistent: a secret whose row could not be written is destroyed, and a row
 * is only written after its secret.
 */
export class CertificateService {
  private readonly repository: CertificateRepository;
  private readonly now: () => Date;

  constructor(private readonly options: CertificateServiceOptions) {
    this.repository = new CertificateRepository(options.sql);
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Uploads one certificate: (1) parse and verify the p12, (2) check the name,
   * (3) store the key and chain as a new secret, (4) store the row.
   */
  async create(accountId: string, upload: CertificateUpload): Promise<CertificateRecord> {
    const parsed = parseCertificateUpload(upload, this.options.config, this.now());

    await this.assertNameFree(accountId, upload.name, upload.fields.name);

    const secretPath = `accounts/${accountId}/certificates/${randomUUID()}`;
    const { version } = await this.putSecret(secretPath, parsed.material, accountId);

    try {
      const record = await this.repository.insert({
        accountId,
        name: upload.name,
        displayName: upload.displayName ?? upload.name,
        secretPath,
        secretVersion: version,
        ...parsed.details,
      });
      logger.info('Certificate created', {
        accountId,
        certificateId: record.id,
        fingerprintSha256: record.fingerprintSha256,
      });
      this.options.onChange?.(accountId);
      return record;
    } catch (error) {
      await this.discardSecret(secretPath, undefined, accountId);
      throw this.rowWriteFailure(error, upload.name, upload.fields.name, accountId);
    }
  }

  /**
   * Renames a certificate and, when a p12 is given, stores it as a new secret version. A new
   * leaf that is not yet valid is rejected while enabled mappings use the certificate, because
   * their forwards would fail until its notBefore. `listEnabledMappings` reads those mappings
   * through the executor it is given.
   */
  async update(
    accountId: string,
    change: CertificateChange,
    listEnabledMappings?: (sql: SqlExecutor) => Promise<MappingUse[]>,
  ): Promise<CertificateRecord> {
    const existing = await this.repository.find(accountId, change.id);
    if (!existing) {
      throw certificateNotFound(change.id);
    }

    await this.assertNameFree(accountId, change.name, change.fields.name, change.id);
    const displayName = change.displayName ?? change.name;

    if (change.p12 === undefined) {
      const renamed = await this.repository.rename(accountId, change.id, change.name, displayName);
      if (!renamed) {
        throw certificateNotFound(change.id);
      }
      this.options.onChange?.(accountId);
      return renamed;
    }

    if (change.password === undefined) {
      throw invalidField(
        'certificate.password_missing',
        change.fields.password,
        'is missing. Send the password of the new p12.',
      );
    }
    const parsed = parseCertificateUpload(
      { p12: change.p12, password: change.password, fields: change.fields },
      this.options.config,
      this.now(),
    );
    const assertUsable = async (sql: SqlExecutor): Promise<void> => {
      if (parsed.details.notBefore.getTime() <= this.now().getTime() || !listEnabledMappings) {
        return;
      }
      const users = await listEnabledMappings(sql);
      if (users.length > 0) {
        throw notYetValidInUse(change.id, parsed.details.notBefore, users, change.fields.file);
      }
    };

    // The check runs before the secret write, so a rejected update stores nothing, and again in
    // the transaction, because a mapping may have been enabled in between.
    await assertUsable(this.options.sql);
    const { version } = await this.putSecret(existing.secretPath, parsed.material, accountId);

    try {
      const updated = await this.options.sql.transaction(async (tx) => {
        await assertUsable(tx);
        return this.repository.withExecutor(tx).update(accountId, change.id, {
          name: change.name,
          displayName,
          secretVersion: version,
          details: parsed.details,
        });
      });
      if (!updated) {
        throw certificateNotFound(change.id);
      }
      logger.info('Certificate updated', {
        accountId,
        certificateId: change.id,
        secretVersion: version,
      });
      this.options.onChange?.(accountId);
      return updated;
    } catch (error) {
      await this.discardSecret(existing.secretPath, version, accountId);
      throw error instanceof GatewayError
        ? error
        : this.rowWriteFailure(error, change.name, change.fields.name, accountId);
    }
  }

  /**
   * Soft-deletes the row and destroys every secret version, in one transaction: when the
   * secret store fails, the row stays as it was. `assertDeletable` runs inside the
   * transaction and may throw, for example while enabled mappings use the certificate.
   */
  async delete(
    accountId: string,
    id: number,
    assertDeletable?: (tx: SqlExecutor, record: CertificateRecord) => Promise<void>,
  ): Promise<void> {
    await this.options.sql.transaction(async (tx) => {
      const repository = this.repository.withExecutor(tx);
      const existing = await repository.find(accountId, id);
      if (!existing) {
        throw certificateNotFound(id);
      }

      await assertDeletable?.(tx, existing);
      await repository.markDeleted(accountId, id);
      try {
        await this.options.secrets.destroy(existing.secretPath);
      } catch (error) {
        logger.error('Failed to destroy certificate secret, so the delete was rolled back', {
          accountId,
          certificateId: id,
          error,
        });
        throw secretStoreUnavailable();
      }
    });

    logger.info('Certificate deleted', { accountId, certificateId: id });
    this.options.onChange?.(accountId);
  }

  async get(accountId: string, id: number): Promise<CertificateRecord> {
    const record = await this.repository.find(accountId, id);
    if (!record) {
      throw certificateNotFound(id);
    }
    return record;
  }

  list(accountId: string): Promise<CertificateRecord[]> {
    return this.repository.list(accountId);
  }

  /** Reads the stored key and chain of the certificate's current secret version. */
  async readMaterial(record: CertificateRecord): Promise<StoredMaterial> {
    let secret;
    try {
      secret = await this.options.secrets.get(record.secretPath, record.secretVersion);
    } catch (error) {
      logger.error('Failed to read certificate secret', {
        accountId: record.accountId,
        certificateId: record.id,
        error,
      });
      throw secretStoreUnreadable(record.id);
    }

    const data = secret?.data;
    if (!data?.privateKeyPem || !data.leafPem) {
      throw new GatewayError(
        'certificate.secret_missing',
        409,
        `Certificate ${record.id} has no stored key material. Upload the p12 again with PUT.`,
      );
    }
    return {
      privateKeyPem: data.privateKeyPem,
      leafPem: data.leafPem,
      chainPem: data.chainPem ?? '',
    };
  }

  private async assertNameFree(
    accountId: string,
    name: string,
    field: string,
    exceptId?: number,
  ): Promise<void> {
    const clash = await this.repository.findByName(accountId, name, exceptId);
    if (clash) {
      throw duplicateName(name, clash.id, field);
    }
  }

  private async putSecret(
    path: string,
    material: CertificateMaterial,
    accountId: string,
  ): Promise<{ version: number }> {
    const data: StoredMaterial = {
      privateKeyPem: material.privateKeyPem,
      leafPem: material.leafPem,
      chainPem: material.chainPem.join(''),
    };
    try {
      return await this.options.secrets.put(path, { ...data });
    } catch (error) {
      logger.error('Failed to store certificate secret', { accountId, error });
      throw secretStoreUnavailable();
    }
  }

  /** Removes a secret (or one version) whose row was not written. A failure is logged for cleanup. */
  private async discardSecret(
    path: string,
    version: number | undefined,
    accountId: string,
  ): Promise<void> {
    try {
      if (version === undefined) {
        await this.options.secrets.destroy(path);
      } else {
        await this.options.secrets.destroyVersion(path, version);
      }
    } catch (error) {
      logger.error('Failed to remove a secret whose row was not written', {
        accountId,
        secretPath: path,
        version,
        error,
      });
    }
  }

  private rowWriteFailure(
    error: unknown,
    name: string,
    field: string,
    accountId: string,
  ): GatewayError {
    if (sqlStateOf(error) === UNIQUE_VIOLATION) {
      return duplicateName(name, undefined, field);
    }

    logger.error('Failed to write certificate row', { accountId, error });
    return new GatewayError(
      'store.unavailable',
      503,
      'The certificate database is unavailable. Nothing was stored. Retry later.',
    );
  }
}

/**
 * Parses and checks an uploaded p12 as every upload path does: the p12 rules of the parser,
 * then a leaf that has not expired. A leaf that is not yet valid is accepted, so a renewed
 * certificate can be uploaded ahead of time.
 */
export function parseCertificateUpload(
  upload: { p12: Uint8Array; password: string; fields: P12FieldNames },
  config: GatewayConfig,
  now: Date,
): ParsedP12 {
  const parsed = parseP12(
    upload.p12,
    upload.password,
    { maxBytes: config.maxP12Bytes, maxIterations: config.maxP12Iterations },
    upload.fields,
  );

  const notAfter = parsed.details.notAfter;
  if (notAfter.getTime() < now.getTime()) {
    throw invalidField(
      'certificate.expired',
      upload.fields.file,
      `holds a leaf certificate that expired at ${notAfter.toISOString()} (notAfter). Upload a renewed certificate.`,
    );
  }
  return parsed;
}

export function certificateNotFound(id: number): GatewayError {
  return notFound('certificate.not_found', `Certificate ${id} was not found in this account.`);
}

function duplicateName(name: string, existingId: number | undefined, field: string): GatewayError {
  const existing = existingId === undefined ? 'another certificate' : `certificate ${existingId}`;
  return conflict(
    'certificate.name_taken',
    `${field}: the name "${name}" is already used by ${existing}. Choose another name.`,
    {
      errors: [{ field, message: `is already used by ${existing}.` }],
      ...(existingId === undefined ? {} : { existingCertificateId: existingId }),
    },
  );
}

function notYetValidInUse(
  certificateId: number,
  notBefore: Date,
  users: MappingUse[],
  field: string,
): GatewayError {
  const ids = users.map((mapping) => mapping.id).join(', ');
  const message = `contains a leaf certificate that is not valid before ${notBefore.toISOString()} (notBefore). Enabled mappings ${ids} use certificate ${certificateId}, so their forwards would fail until then.`;
  return new GatewayError(
    'certificate.in_use',
    409,
    `${field}: ${message} Nothing was changed. Upload this p12 after its notBefore, or disable those mappings first.`,
    {
      errors: [{ field, message }],
      extensions: {
        notBefore: notBefore.toISOString(),
        mappings: users.map((mapping) => ({
          id: mapping.id,
          name: mapping.name,
          url: mapping.url,
        })),
      },
    },
  );
}

function secretStoreUnavailable(): GatewayError {
  return new GatewayError(
    'secrets.unavailable',
    503,
    'The secret store is unavailable. Nothing was stored. Retry later.',
  );
}

function secretStoreUnreadable(certificateId: number): GatewayError {
  return new GatewayError(
    'secrets.unavailable',
    503,
    `The secret store could not be read, so the key material of certificate ${certificateId} is not available. Retry later.`,
  );
}
