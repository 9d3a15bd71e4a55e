import { z } from 'zod';

import { type FieldError, GatewayError, invalidFields } from '../errors.js';
import { normalizeUrl, parseTargetUrl } from '../forwarding/url.js';
import { formatPath, jsonObject, positiveId, requiredName, typeError } from '../http/validation.js';
import type { MappingFields } from './repository.js';
import { findServiceId } from './services.js';

export const MAX_MAPPING_NAME_LENGTH = 255;

/** Maximum mappings in one create request, the same as the check-mapping batch limit. */
export const MAX_MAPPINGS_PER_REQUEST = 1000;

/** `If-Match: *`, which matches whatever revision the mapping has now (RFC 9110, 13.1.1). */
export const ANY_REVISION = '*';

/** The revision a mapping write expects: a number, or {@link ANY_REVISION}. */
export type ExpectedRevision = number | typeof ANY_REVISION;

const SERVICE_HINT = 'Use "0" (TEST_SERVICE), "1" (IDP) or "2" (WEBHOOKS).';

const mappingSchema = jsonObject({
  certificationId: positiveId('Send the id of a certificate of this account.'),
  serviceId: z.union([z.string(), z.number()], {
    error: typeError('a service name or digit', SERVICE_HINT),
  }),
  enable: z.boolean({
    error: typeError('true or false', 'Send true to use the mapping or false to disable it.'),
  }),
  url: z.string({
    error: typeError('a string', 'Send the absolute https URL of the target.'),
  }),
  siteId: z.union([z.string(), z.number()], {
    error: typeError('a string or number', 'Send the account id of the path.'),
  }),
  name: requiredName(MAX_MAPPING_NAME_LENGTH, 'Give the mapping a name.'),
  deleted: z
    .boolean({ error: typeError('true or false', 'Send false or leave it out.') })
    .optional(),
  // A GET response contains id and revision, so a client may send it back unchanged.
  // Both are checked for type and otherwise ignored.
  id: z
    .union([z.number(), z.string()], {
      error: typeError('a number or string', 'Send the mapping id or leave it out.'),
    })
    .optional(),
  revision: z
    .union([z.number(), z.string()], {
      error: typeError('a number or string', 'Leave it out and send the revision as If-Match.'),
    })
    .optional(),
});

/**
 * Validates one mapping of a request body against the path account. Returns its fields,
 * or the list of what is wrong with it, each field prefixed with `prefix`.
 */
export function validateMapping(
  item: unknown,
  accountId: string,
  prefix: string,
  options: { forCreate: boolean },
): { fields: MappingFields } | { errors: FieldError[] } {
  const parsed = mappingSchema.safeParse(item);
  if (!parsed.success) {
    return {
      errors: parsed.error.issues.map((issue) => ({
        field: formatPath(issue.path, prefix),
        message: issue.message,
      })),
    };
  }

  const input = parsed.data;
  const errors: FieldError[] = [];
  const field = (name: string) => (prefix === '' ? name : `${prefix}.${name}`);

  const serviceId = findServiceId(input.serviceId);
  if (serviceId === undefined) {
    errors.push({
      field: field('serviceId'),
      message: 'is not a known service. Use "0" (TEST_SERVICE), "1" (IDP) or "2" (WEBHOOKS).',
    });
  }
  if (String(input.siteId) !== accountId) {
    errors.push({
      field: field('siteId'),
      message: `must equal the account of the path (${accountId}).`,
    });
  }
  if (input.deleted === true) {
    errors.push({
      field: field('deleted'),
      message: options.forCreate
        ? 'must be false or absent when creating a mapping.'
        : 'must be false or absent when updating a mapping. Use DELETE to delete a mapping.',
    });
  }

  let normalizedUrl = '';
  try {
    parseTargetUrl(input.url, field('url'));
    normalizedUrl = normalizeUrl(input.url);
  } catch (error) {
    if (!(error instanceof GatewayError)) {
      throw error;
    }
    errors.push(...(error.errors ?? [{ field: field('url'), message: error.message }]));
  }

  if (errors.length > 0) {
    return { errors };
  }
  return {
    fields: {
      certificateId: input.certificationId,
      serviceId: serviceId!,
      url: input.url,
      normalizedUrl,
      name: input.name,
      enabled: input.enable,
    },
  };
}

/** Throws a 400 unless the `v` query parameter is the route's version. */
export function requireVersion(value: string | undefined, accepted: readonly string[]): string {
  if (value === undefined || !accepted.includes(value)) {
    throw invalidFields('request.version_invalid', [
      {
        field: 'v',
        message: `must be ${accepted.join(' or ')}. Add ?v=${accepted[0]} to the URL.`,
      },
    ]);
  }
  return value;
}

/** Parses an If-Match revision: `3`, `"3"`, `W/"3"` or `*`. Undefined when malformed. */
export function parseRevision(header: string): ExpectedRevision | undefined {
  if (header.trim() === ANY_REVISION) {
    return ANY_REVISION;
  }

  const match = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/.exec(header);
  return match ? Number(match[1]) : undefined;
}
