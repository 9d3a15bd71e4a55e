import { z } from 'zod';

import { type FieldError, invalidField, invalidFields } from '../errors.js';

/** Formats a zod issue path as `[0].name`, `certificate.password` or `body`. */
export function formatPath(path: readonly PropertyKey[], prefix = ''): string {
  let text = prefix;
  for (const key of path) {
    if (typeof key === 'number') {
      text += `[${key}]`;
    } else {
      text += text === '' ? String(key) : `.${String(key)}`;
    }
  }
  return text === '' ? 'body' : text;
}

/** Converts zod issues to field errors whose paths start with `prefix`. */
export function toFieldErrors(error: z.ZodError, prefix = ''): FieldError[] {
  return error.issues.map((issue) => ({
    field: formatPath(issue.path, prefix),
    message: issue.message,
  }));
}

/** Parses `value` with `schema`, or throws a 400 that lists every invalid field. */
export function parseWith<Schema extends z.ZodType>(
  schema: Schema,
  value: unknown,
  code: string,
  prefix = '',
): z.infer<Schema> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw invalidFields(code, toFieldErrors(result.error, prefix));
  }
  return result.data;
}

/** Names the JSON type of a value for messages: `a string`, `an array`, `null`, ... */
export function describeJsonType(value: unknown): string {
  if (value === null) {
    return 'null';
  }
  if (Array.isArray(value)) {
    return 'an array';
  }

  switch (typeof value) {
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'a boolean';
    case 'object':
      return 'an object';
    default:
      return typeof value;
  }
}

/**
 * Builds the zod `error` callback of a value's type check. A missing value (input undefined)
 * gets `is missing. <hint>` and any other input `must be <expected>, not <its type>. <hint>`,
 * so `"password": 123` is not reported as missing. Without `hint` the message ends after the
 * first sentence.
 */
export function typeError(expected: string, hint?: string) {
  const suffix = hint === undefined ? '' : ` ${hint}`;
  return (issue: { input?: unknown }): string =>
    issue.input === undefined
      ? `is missing.${suffix}`
      : `must be ${expected}, not ${describeJsonType(issue.input)}.${suffix}`;
}

/** Lists names as `"a"`, `"a" and "b"` or `"a", "b" and "c"`. */
function listNames(names: string[]): string {
  const quoted = names.map((name) => `"${name}"`);
  return quoted.length <= 1
    ? quoted.join('')
    : `${quoted.slice(0, -1).join(', ')} and ${quoted.at(-1)}`;
}

/**
 * Builds an object schema whose own type error names the fields to send, such as `must be a
 * JSON object with "id" and "name" (optional: "p12" and "password"), not an array.` A field
 * is optional when its schema accepts undefined.
 */
export function jsonObject<Shape extends z.core.$ZodLooseShape>(shape: Shape) {
  const names = Object.keys(shape);
  const optional = names.filter((name) => z.safeParse(shape[name]!, undefined).success);
  const required = names.filter((name) => !optional.includes(name));
  const requiredText = required.length === 0 ? '' : ` with ${listNames(required)}`;
  const optionalText = optional.length === 0 ? '' : ` (optional: ${listNames(optional)})`;
  const expected = `a JSON object${requiredText}${optionalText}`;

  return z.object(shape, { error: typeError(expected) });
}

/**
 * Control characters (NUL, CR, LF, ESC, ...), bidirectional formatting characters and lone
 * UTF-16 surrogates. PostgreSQL text cannot store NUL, and the others let a stored name
 * rewrite a terminal line or reorder how a list displays.
 */
const UNPRINTABLE = /[\p{Cc}\p{Cs}\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;

const UNPRINTABLE_MESSAGE =
  'must not contain control characters, bidirectional formatting characters or lone surrogates (such as NUL, line breaks or U+202E). Remove them.';

/**
 * Builds the schema of a trimmed text of at most `maxLength` characters, none unprintable.
 * `hint` ends the message for a value that is not a string.
 */
export function displayText(maxLength: number, hint: string) {
  return z
    .string({ error: typeError('a string', hint) })
    .trim()
    .max(maxLength, `must be at most ${maxLength} characters.`)
    .refine((value) => !UNPRINTABLE.test(value), UNPRINTABLE_MESSAGE);
}

/**
 * Builds the schema of a required, non-empty {@link displayText}. `hint` ends the message for
 * a missing value or one that is not a string.
 */
export function requiredName(maxLength: number, hint: string) {
  return z
    .string({ error: typeError('a string', hint) })
    .trim()
    .min(1, 'must not be empty.')
    .max(maxLength, `must be at most ${maxLength} characters.`)
    .refine((value) => !UNPRINTABLE.test(value), UNPRINTABLE_MESSAGE);
}

/** The message for an id that {@link toPositiveId} rejects. */
export const POSITIVE_ID_MESSAGE = `must be a positive integer id from 1 to ${Number.MAX_SAFE_INTEGER}, written in decimal digits.`;

/**
 * Reads an id sent as a JSON number or as decimal digits. Returns undefined unless the value
 * is a positive safe integer, so `1e3`, `-1`, `0x10` and ids past 2^53 - 1, which a JSON
 * number would round, are rejected instead of read in another base or changed.
 */
export function toPositiveId(value: unknown): number | undefined {
  let id: number;
  if (typeof value === 'number') {
    id = value;
  } else if (typeof value === 'string' && /^\d+$/.test(value)) {
    id = Number(value);
  } else {
    return undefined;
  }
  return Number.isSafeInteger(id) && id >= 1 ? id : undefined;
}

/** Parses an id with {@link toPositiveId}, or throws a 400 with `code` naming `field`. */
export function parsePositiveId(value: unknown, field: string, code: string): number {
  const id = toPositiveId(value);
  if (id === undefined) {
    throw invalidField(code, field, POSITIVE_ID_MESSAGE);
  }
  return id;
}

/**
 * Builds the schema of a body id sent as a number or digits, read with {@link toPositiveId}.
 * `hint` ends the message for a missing id or one of another type.
 */
export function positiveId(hint: string) {
  return z
    .union([z.number(), z.string()], { error: typeError('a positive integer id', hint) })
    .refine((value) => toPositiveId(value) !== undefined, POSITIVE_ID_MESSAGE)
    .transform((value) => toPositiveId(value)!);
}

/** Item nouns and item limit of a {@link requireItemArray} check. */
export interface ItemArrayRules {
  /** Noun of one item, such as `certificate`. */
  itemName: string;
  /** Plural of {@link itemName}, such as `certificates`. */
  itemsName: string;
  maxItems: number;
}

/**
 * Returns a request body that is a JSON array of 1 to `maxItems` items, or throws a 400 on
 * `body`. The count is checked before any item is read, so an oversized batch costs no
 * validation and no error list.
 */
export function requireItemArray(body: unknown, rules: ItemArrayRules): unknown[] {
  const { itemName, itemsName, maxItems } = rules;
  if (!Array.isArray(body)) {
    throw invalidField('request.body_not_array', 'body', `must be a JSON array of ${itemsName}.`);
  }
  if (body.length === 0) {
    throw invalidField('request.body_empty', 'body', `must contain at least one ${itemName}.`);
  }
  if (body.length > maxItems) {
    throw invalidField(
      'request.body_too_many_items',
      'body',
      `contains ${body.length} ${itemsName}, more than the maximum of ${maxItems} per request. Split them into requests of at most ${maxItems}.`,
    );
  }
  return body;
}
