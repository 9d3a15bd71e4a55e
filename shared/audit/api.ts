import { invalidField } from '../errors.js';
import type { ApiRequest } from '../http/request.js';
import { json } from '../http/response.js';
import type { ApiResponse } from '../http/types.js';
import { getDependencies } from '../runtime/dependencies.js';
import { listAuditEvents } from './trail.js';

const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 200;

function parsePositiveInteger(
  raw: string | undefined,
  field: string,
  max: number,
): number | undefined {
  if (raw === undefined) {
    return undefined;
  }

  const value = /^\d{1,16}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < 1 || value > max) {
    throw invalidField('request.query_invalid', field, `must be an integer from 1 to ${max}.`);
  }
  return value;
}

/** GET /mtls/account/{accountId}/audit?limit=&cursor=: newest first; `nextCursor` fetches older events. */
export async function listAudit(request: ApiRequest): Promise<ApiResponse> {
  const limit =
    parsePositiveInteger(request.query('limit'), 'limit', MAX_PAGE_SIZE) ?? DEFAULT_PAGE_SIZE;
  const cursor = parsePositiveInteger(request.query('cursor'), 'cursor', Number.MAX_SAFE_INTEGER);
  const { sql } = await getDependencies();

  const events = await listAuditEvents(sql, request.pathParameter('accountId'), limit + 1, cursor);
  const page = events.slice(0, limit);
  const nextCursor = events.length > limit ? page[page.length - 1]!.id : null;
  return json(200, { events: page, nextCursor });
}
