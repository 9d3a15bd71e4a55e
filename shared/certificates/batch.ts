import { type FieldError, GatewayError, invalidField } from '../errors.js';
import { toPositiveId } from '../http/validation.js';
import type { CertificateEntity } from './entity.js';

export interface FailedCertificate {
  name: string;
  reason: string;
  code: string;
}

/** LivePerson's save result, misspelling included. */
export interface SaveResult {
  successfulySavedCertificates: CertificateEntity[];
  failedSaveToVaultCertificates: FailedCertificate[];
}

/**
 * Saves items one by one so that good items land even when others fail. When every item
 * fails, throws instead: a lone item's own error, or for several a 400 (503 when a store
 * failed) that lists them all.
 */
export async function saveEach<Item>(
  items: Item[],
  nameOf: (item: Item, index: number) => string,
  save: (item: Item, index: number) => Promise<CertificateEntity>,
): Promise<SaveResult> {
  const result: SaveResult = {
    successfulySavedCertificates: [],
    failedSaveToVaultCertificates: [],
  };
  const failures: GatewayError[] = [];

  for (const [index, item] of items.entries()) {
    try {
      result.successfulySavedCertificates.push(await save(item, index));
    } catch (error) {
      if (!(error instanceof GatewayError)) {
        throw error;
      }
      failures.push(error);
      result.failedSaveToVaultCertificates.push({
        name: nameOf(item, index),
        reason: error.message,
        code: error.code,
      });
    }
  }

  if (result.successfulySavedCertificates.length > 0) {
    return result;
  }
  if (failures.length === 1) {
    throw failures[0]!;
  }

  const serverSide = failures.some((failure) => failure.status >= 500);
  const errors: FieldError[] = failures.flatMap(
    (failure) => failure.errors ?? [{ field: 'body', message: failure.message }],
  );
  throw new GatewayError(
    serverSide ? 'certificate.save_failed' : 'certificate.all_invalid',
    serverSide ? 503 : 400,
    `None of the ${items.length} certificates was saved. See errors and failedSaveToVaultCertificates.`,
    { errors, extensions: { ...result } },
  );
}

/**
 * Maps each certificate id of an update batch to the index of the first item that names it.
 * Items whose id is missing or invalid are skipped, because their own validation rejects them.
 */
export function indexFirstIds(items: unknown[]): Map<number, number> {
  const firstIndex = new Map<number, number>();
  for (const [index, item] of items.entries()) {
    const id = toPositiveId((item as { id?: unknown } | null)?.id);
    if (id !== undefined && !firstIndex.has(id)) {
      firstIndex.set(id, index);
    }
  }
  return firstIndex;
}

/** Builds the 400 for an update item whose id an earlier item of the batch already names. */
export function repeatedIdError(id: number, firstIndex: number, field: string): GatewayError {
  return invalidField(
    'certificate.id_repeated',
    field,
    `id ${id} appears more than once in this request (first in item [${firstIndex}]), so this item was not applied. Send each certificate once.`,
  );
}
