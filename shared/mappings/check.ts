import { z } from 'zod';

import { GatewayError, invalidField, invalidFields, type FieldError } from '../errors.js';
import { normalizeUrl, parseTargetUrl } from '../forwarding/url.js';
import { canUseAccount, validateAccountId } from '../http/authorize.js';
import type { ApiRequest } from '../http/request.js';
import { json } from '../http/response.js';
import type { ApiResponse } from '../http/types.js';
import { formatPath, jsonObject, typeError } from '../http/validation.js';
import { getDependencies } from '../runtime/dependencies.js';
import { requireVersion } from './input.js';
import { isUsable, type LookupKey, lookupMappings } from './lookup.js';
import { findServiceId, serviceName } from './services.js';

/** Maximum items in one check-mapping request. */
export const MAX_CHECK_ITEMS = 1000;

const serviceNameSchema = z.union([z.string(), z.number()], {
  error: typeError('a service name or digit', 'Use TEST_SERVICE, IDP or WEBHOOKS.'),
});
const accountIdSchema = z.union([z.string(), z.number()], {
  error: typeError('a string or number', 'Send the account id.'),
});
const urlSchema = z.string({
  error: typeError('a string', 'Send the absolute https URL to check.'),
});

const itemSchema = jsonObject({
  serviceName: serviceNameSchema,
  accountId: accountIdSchema,
  url: urlSchema,
});

/** An item of the account route. Its account is the path account, which `accountId` may repeat. */
const accountItemSchema = jsonObject({
  serviceName: serviceNameSchema,
  url: urlSchema,
  accountId: accountIdSchema.optional(),
});

interface CheckItem {
  submitted: Record<string, unknown>;
  key: LookupKey;
  accountId: string;
  url: string;
}

/** Validates every item, collecting all errors so that one 400 lists each bad field. */
function parseItems(body: unknown, fixedAccount: string | undefined): CheckItem[] {
  if (!Array.isArray(body)) {
    throw invalidField(
      'request.body_not_array',
      'body',
      'must be a JSON array of {serviceName, accountId, url}.',
    );
  }
  if (body.length > MAX_CHECK_ITEMS) {
    throw invalidField(
      'mapping.check_too_many',
      'body',
      `has ${body.length} items. Send at most ${MAX_CHECK_ITEMS} per request.`,
    );
  }

  const items: CheckItem[] = [];
  const errors: FieldError[] = [];
  for (const [index, raw] of body.entries()) {
    const prefix = `[${index}]`;
    const otherAccount =
      fixedAccount === undefined ? undefined : otherAccountError(raw, fixedAccount, prefix);
    if (otherAccount) {
      errors.push(otherAccount);
      continue;
    }
    const schema = fixedAccount === undefined ? itemSchema : accountItemSchema;
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      errors.push(
        ...parsed.error.issues.map((issue) => ({
          field: formatPath(issue.path, prefix),
          message: issue.message,
        })),
      );
      continue;
    }

    const accountId = fixedAccount ?? String(parsed.data.accountId);
    const serviceId = findServiceId(parsed.data.serviceName);
    try {
      validateAccountId(accountId, `${prefix}.accountId`);
      parseTargetUrl(parsed.data.url, `${prefix}.url`);
    } catch (error) {
      if (!(error instanceof GatewayError)) {
        throw error;
      }
      errors.push(...(error.errors ?? []));
      continue;
    }
    if (serviceId === undefined) {
      errors.push({
        field: `${prefix}.serviceName`,
        message: 'is not a known service. Use TEST_SERVICE, IDP or WEBHOOKS.',
      });
      continue;
    }

    items.push({
      submitted: raw as Record<string, unknown>,
      accountId,
      url: parsed.data.url,
      key: { accountId, serviceId, normalizedUrl: normalizeUrl(parsed.data.url) },
    });
  }

  if (errors.length > 0) {
    throw invalidFields('mapping.check_invalid', errors);
  }
  return items;
}

/**
 * Returns an error when an item of the account route names an account other than the path
 * account. The route checks the path account only, so a result for such an item would describe
 * one account while echoing another.
 */
function otherAccountError(
  raw: unknown,
  pathAccount: string,
  prefix: string,
): FieldError | undefined {
  if (typeof raw !== 'object' || raw === null || !Object.hasOwn(raw, 'accountId')) {
    return undefined;
  }

  const accountId = (raw as { accountId: unknown }).accountId;
  if (
    (typeof accountId === 'string' || typeof accountId === 'number') &&
    String(accountId) === pathAccount
  ) {
    return undefined;
  }
  return {
    field: `${prefix}.accountId`,
    message: `must equal the path account (${pathAccount}) or be left out, because this route checks mappings of the path account only.`,
  };
}

/** v1 key, LivePerson's Java toString() of the parameters, misspelling included. */
function v1Key(item: CheckItem): string {
  const name = serviceName(item.key.serviceId!);
  return `CertificateMappingParamters{serviceName='${name}', accountId='${item.accountId}', url='${item.url}'}`;
}

async function checkMappings(
  request: ApiRequest,
  fixedAccount: string | undefined,
  version: string,
): Promise<ApiResponse> {
  const items = parseItems(request.json(), fixedAccount);

  const forbidden = items.find((item) => !canUseAccount(request.identity, item.accountId));
  if (forbidden) {
    throw new GatewayError(
      'auth.account_forbidden',
      403,
      `The caller may not use account ${forbidden.accountId}. Nothing was checked.`,
    );
  }

  const { sql } = await getDependencies();
  const candidates = await lookupMappings(
    sql,
    items.map((item) => item.key),
  );
  const now = new Date();
  const exists = candidates.map((list) => list.some((candidate) => isUsable(candidate, now)));

  if (version === '1') {
    return json(200, Object.fromEntries(items.map((item, index) => [v1Key(item), exists[index]])));
  }
  return json(
    200,
    items.map((item, index) => ({ ...item.submitted, doExist: exists[index] })),
  );
}

/** POST /mtls/mapping?v=1|2: items name their accounts, and v1 is the default. */
export function checkMappingBatch(request: ApiRequest): Promise<ApiResponse> {
  const version = requireVersion(request.query('v') ?? '1', ['1', '2']);
  return checkMappings(request, undefined, version);
}

/** POST /mtls/account/{accountId}/mapping?v=2: items of the path account. */
export function checkAccountMappingBatch(request: ApiRequest): Promise<ApiResponse> {
  const version = requireVersion(request.query('v') ?? '2', ['2', '1']);
  return checkMappings(request, request.pathParameter('accountId'), version);
}
