import type { SqlExecutor } from '../store/executor.js';
import type { CertificateDetails } from './p12.js';

/** A certificate row: the public details of the leaf and where its secret lives. */
export interface CertificateRecord extends CertificateDetails {
  id: number;
  accountId: string;
  name: string;
  displayName: string;
  deleted: boolean;
  secretPath: string;
  secretVersion: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewCertificate extends CertificateDetails {
  accountId: string;
  name: string;
  displayName: string;
  secretPath: string;
  secretVersion: number;
}

interface CertificateRow {
  id: number | string | bigint;
  account_id: string;
  name: string;
  display_name: string;
  deleted: boolean;
  secret_path: string;
  secret_version: number;
  not_before: Date | string;
  not_after: Date | string;
  subject: string;
  issuer: string;
  serial_number: string;
  fingerprint_sha256: string;
  key_type: string;
  chain_length: number;
  created_at: Date | string;
  updated_at: Date | string;
  [column: string]: unknown;
}

const COLUMNS = `id, account_id, name, display_name, deleted, secret_path, secret_version,
  not_before, not_after, subject, issuer, serial_number, fingerprint_sha256, key_type,
  chain_length, created_at, updated_at`;

/** Converts a bigint column to a JSON-safe number. Ids stay below 2^53 by construction. */
export function toId(value: unknown): number {
  const id = Number(value);
  if (!Number.isSafeInteger(id)) {
    throw new Error(`Database id ${String(value)} is not a safe integer.`);
  }
  return id;
}

function toRecord(row: CertificateRow): CertificateRecord {
  return {
    id: toId(row.id),
    accountId: row.account_id,
    name: row.name,
    displayName: row.display_name,
    deleted: row.deleted,
    secretPath: row.secret_path,
    secretVersion: Number(row.secret_version),
    notBefore: new Date(row.not_before),
    notAfter: new Date(row.not_after),
    subject: row.subject,
    issuer: row.issuer,
    serialNumber: row.serial_number,
    fingerprintSha256: row.fingerprint_sha256,
    keyType: row.key_type,
    chainLength: Number(row.chain_length),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

function detailParams(details: CertificateDetails) {
  return {
    notBefore: details.notBefore.toISOString(),
    notAfter: details.notAfter.toISOString(),
    subject: details.subject,
    issuer: details.issuer,
    serialNumber: details.serialNumber,
    fingerprint: details.fingerprintSha256,
    keyType: details.keyType,
    chainLength: details.chainLength,
  };
}

/** SQL access to the `certificates` table. Every query is scoped to one account. */
export class CertificateRepository {
  constructor(private readonly sql: SqlExecutor) {}

  withExecutor(sql: SqlExecutor): CertificateRepository {
    return new CertificateRepository(sql);
  }

  async insert(certificate: NewCertificate): Promise<CertificateRecord> {
    const rows = await this.sql.execute<CertificateRow>(
      `INSERT INTO certificates (account_id, name, display_name, secret_path, secret_version,
         not_before, not_after, subject, issuer, serial_number, fingerprint_sha256, key_type, chain_length)
       VALUES (:accountId, :name, :displayName, :secretPath, :secretVersion,
         CAST(:notBefore AS timestamptz), CAST(:notAfter AS timestamptz), :subject, :issuer,
         :serialNumber, :fingerprint, :keyType, :chainLength)
       RETURNING ${COLUMNS}`,
      {
        accountId: certificate.accountId,
        name: certificate.name,
        displayName: certificate.displayName,
        secretPath: certificate.secretPath,
        secretVersion: certificate.secretVersion,
        ...detailParams(certificate),
      },
    );
    return toRecord(rows[0]!);
  }

  /** Finds a live (not deleted) certificate of the account. */
  async find(accountId: string, id: number): Promise<CertificateRecord | undefined> {
    const rows = await this.sql.execute<CertificateRow>(
      `SELECT ${COLUMNS} FROM certificates
       WHERE account_id = :accountId AND id = :id AND NOT deleted`,
      { accountId, id },
    );
    return rows[0] && toRecord(rows[0]);
  }

  /** Finds a live certificate by name, optionally ignoring one id (the one being renamed). */
  async findByName(
    accountId: string,
    name: string,
    exceptId?: number,
  ): Promise<CertificateRecord | undefined> {
    const rows = await this.sql.execute<CertificateRow>(
      `SELECT ${COLUMNS} FROM certificates
       WHERE account_id = :accountId AND name = :name AND NOT deleted AND id <> :exceptId`,
      { accountId, name, exceptId: exceptId ?? 0 },
    );
    return rows[0] && toRecord(rows[0]);
  }

  async list(accountId: string): Promise<CertificateRecord[]> {
    const rows = await this.sql.execute<CertificateRow>(
      `SELECT ${COLUMNS} FROM certificates WHERE account_id = :accountId AND NOT deleted ORDER BY id`,
      { accountId },
    );
    return rows.map(toRecord);
  }

  /** Replaces the name, secret version and parsed details of a live certificate. */
  async update(
    accountId: string,
    id: number,
    changes: {
      name: string;
      displayName: string;
      secretVersion: number;
      details: CertificateDetails;
    },
  ): Promise<CertificateRecord | undefined> {
    const rows = await this.sql.execute<CertificateRow>(
      `UPDATE certificates SET name = :name, display_name = :displayName,
         secret_version = :secretVersion, not_before = CAST(:notBefore AS timestamptz),
         not_after = CAST(:notAfter AS timestamptz), subject = :subject, issuer = :issuer,
         serial_number = :serialNumber, fingerprint_sha256 = :fingerprint, key_type = :keyType,
         chain_length = :chainLength, updated_at = now()
       WHERE account_id = :accountId AND id = :id AND NOT deleted
       RETURNING ${COLUMNS}`,
      {
        accountId,
        id,
        name: changes.name,
        displayName: changes.displayName,
        secretVersion: changes.secretVersion,
        ...detailParams(changes.details),
      },
    );
    return rows[0] && toRecord(rows[0]);
  }

  async rename(
    accountId: string,
    id: number,
    name: string,
    displayName: string,
  ): Promise<CertificateRecord | undefined> {
    const rows = await this.sql.execute<CertificateRow>(
      `UPDATE certificates SET name = :name, display_name = :displayName, updated_at = now()
       WHERE account_id = :accountId AND id = :id AND NOT deleted
       RETURNING ${COLUMNS}`,
      { accountId, id, name, displayName },
    );
    return rows[0] && toRecord(rows[0]);
  }

  /** Soft-deletes a live certificate. Returns false when there was none. */
  async markDeleted(accountId: string, id: number): Promise<boolean> {
    const rows = await this.sql.execute(
      `UPDATE certificates SET deleted = true, deleted_at = now(), updated_at = now()
       WHERE account_id = :accountId AND id = :id AND NOT deleted
       RETURNING id`,
      { accountId, id },
    );
    return rows.length > 0;
  }
}
