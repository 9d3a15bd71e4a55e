import { GatewayError, invalidField, invalidFields, type FieldError } from '../errors.js';
import type { ApiRequest } from '../http/request.js';
import { json } from '../http/response.js';
import type { ApiResponse } from '../http/types.js';
import { getMappingService } from '../runtime/services.js';
import { parseRevision, requireVersion, validateMapping } from './input.js';
import type { MappingFields, MappingRecord } from './repository.js';
import { mappingNotFound } from './service.js';

const VERSIONS = ['3.0'] as const;

/** The mapping as LivePerson's ac-common API returns it, plus timestamps. */
export function toMappingEntity(record: MappingRecord) {
  return {
    id: record.id,
    certificationId: record.certificateId,
    serviceId: String(record.serviceId),
    enable: record.enabled,
    url: record.url,
    siteId: record.accountId,
    name: record.name,
    deleted: record.deleted,
    revision: record.revision,
    createdAt: record.createdAt.toISOString(),
    updatedAt: record.updatedAt.toISOString(),
  };
}

function etagOf(record: MappingRecord): string {
  return `"${record.revision}"`;
}

function mappingIdOf(request: ApiRequest): number {
  const raw = request.pathParameter('mappingId');
  const id = /^\d{1,16}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(id)) {
    throw mappingNotFound(Number.NaN);
  }
  return id;
}

export async function createMappings(request: ApiRequest): Promise<ApiResponse> {
  requireVersion(request.query('v'), VERSIONS);
  const accountId = request.pathParameter('accountId');
  const body = request.json();
  if (!Array.isArray(body)) {
    throw invalidField('request.body_not_array', 'body', 'must be a JSON array of mappings.');
  }
  if (body.length === 0) {
    throw invalidField('request.body_empty', 'body', 'must contain at least one mapping.');
  }

  const items: MappingFields[] = [];
  const errors: FieldError[] = [];
  for (const [index, item] of body.entries()) {
    const result = validateMapping(item, accountId, `[${index}]`, { forCreate: true });
    if ('errors' in result) {
      errors.push(...result.errors);
    } else {
      items.push(result.fields);
    }
  }
  if (errors.length > 0) {
    throw invalidFields(
      'mapping.invalid',
      errors,
      `${errors.length} invalid field(s). Nothing was created. ${summarize(errors)}`,
    );
  }

  const created = await (await getMappingService()).createAll(accountId, items);
  for (const record of created) {
    request.recordAudit({ objectId: record.id, outcome: 'success' });
  }
  return json(201, created.map(toMappingEntity));
}

function summarize(errors: FieldError[]): string {
  return errors.map((error) => `${error.field}: ${error.message}`).join(' ');
}

export async function listMappings(request: ApiRequest): Promise<ApiResponse> {
  requireVersion(request.query('v'), VERSIONS);
  const records = await (await getMappingService()).list(request.pathParameter('accountId'));
  return json(200, records.map(toMappingEntity));
}

export async function getMapping(request: ApiRequest): Promise<ApiResponse> {
  requireVersion(request.query('v'), VERSIONS);
  const record = await (
    await getMappingService()
  ).get(request.pathParameter('accountId'), mappingIdOf(request));
  return json(200, toMappingEntity(record), { etag: etagOf(record) });
}

export async function updateMapping(request: ApiRequest): Promise<ApiResponse> {
  requireVersion(request.query('v'), VERSIONS);
  const accountId = request.pathParameter('accountId');
  const id = mappingIdOf(request);

  const ifMatch = request.header('if-match');
  if (ifMatch === undefined) {
    throw new GatewayError(
      'mapping.revision_required',
      428,
      'If-Match is missing. Send the revision from GET (its ETag) as If-Match.',
    );
  }
  const revision = parseRevision(ifMatch);
  if (revision === undefined) {
    throw invalidField(
      'mapping.revision_invalid',
      'header:If-Match',
      'must be the mapping revision, such as 3 or "3".',
    );
  }

  const result = validateMapping(request.json(), accountId, '', { forCreate: false });
  if ('errors' in result) {
    throw invalidFields('mapping.invalid', result.errors);
  }

  const record = await (await getMappingService()).update(accountId, id, revision, result.fields);
  return json(200, toMappingEntity(record), { etag: etagOf(record) });
}

export async function deleteMapping(request: ApiRequest): Promise<ApiResponse> {
  requireVersion(request.query('v'), VERSIONS);
  const id = mappingIdOf(request);
  await (await getMappingService()).delete(request.pathParameter('accountId'), id);
  return json(200, { id, deleted: true });
}
