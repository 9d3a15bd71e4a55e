import type { CertificateRecord } from './repository.js';

export type CertificateStatus = 'Available' | 'Expired' | 'UnAvailable';

/** The certificate as the API returns it: LivePerson's fields, then the gateway's additions. */
export interface CertificateEntity {
  id: number;
  deleted: boolean;
  name: string;
  displayName: string;
  siteId: string;
  status: CertificateStatus;
  expirationDate: string;
  notBefore: string;
  subject: string;
  issuer: string;
  serialNumber: string;
  fingerprintSha256: string;
  keyType: string;
  chainLength: number;
  createdAt: string;
  updatedAt: string;
}

/**
 * Returns `Expired` after notAfter, `Available` for a live row inside its validity window
 * whose secret version was written, and `UnAvailable` otherwise (deleted, or before notBefore).
 */
export function certificateStatus(record: CertificateRecord, now: Date): CertificateStatus {
  if (record.deleted || record.secretVersion < 1) {
    return 'UnAvailable';
  }
  if (now.getTime() > record.notAfter.getTime()) {
    return 'Expired';
  }
  if (now.getTime() < record.notBefore.getTime()) {
    return 'UnAvailable';
  }
  return 'Available';
}

export function toCertificateEntity(record: CertificateRecord, now: Date): CertificateEntity {
  return {
    id: record.id,
    deleted: record.deleted,
    name: record.name,
    displayName: record.displayName,
    siteId: record.accountId,
    status: certificateStatus(record, now),
    expirationDate: record.notAfter.toISOString(),
    notBefore: record.notBefore.toISOString(),
    subject: record.subject,
    issuer: record.issuer,
    serialNumber: record.serialNumber,
    fingerprintSha256: record.fingerprintSha256,
    keyType: record.keyType,
    chainLength: record.chainLength,
    createdAt: record.createdAt.toISOString(),
    updatedAt: record.updatedAt.toISOString(),
  };
}
