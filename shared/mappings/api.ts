import { GatewayError, invalidField, invalidFields, type FieldError } from '../errors.js';
import type { ApiRequest } from '../http/request.js';
import { json } from '../http/response.js';
import type { ApiResponse } from '../http/types.js';
import { parsePositiveId, requireItemArray } from '../http/validation.js';
import { getMappingService } from '../runtime/services.js';
import {
  MAX_MAPPINGS_PER_REQUEST,
  parseRevision,
  requireVersion,
  validateMapping,
} from './input.js';
import type { MappingFields, MappingRecord } from './repository.js';

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

/** Parses `{mappingId}`, or throws a 400 naming it. A well-formed unknown id is a 404 later. */
function mappingIdOf(request: ApiRequest): number {
  return parsePositiveId(request.pathParameter('mappingId'), 'mappingId', 'mapping.id_invalid');
}

export async function createMappings(request: ApiRequest): Promise<ApiResponse> {
  requireVersion(request.query('v'), VERSIONS);
  const accountId = request.pathParameter('accountId');
  const body = requireItemArray(request.json(), {
    itemName: 'mapping',
    itemsName: 'mappings',
    maxItems: MAX_MAPPINGS_PER_REQUEST,
  });

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
      'must be the mapping revision, such as 3 or "3", or * for the current revision.',
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
