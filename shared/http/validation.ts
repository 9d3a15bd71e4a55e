import { z } from 'zod';

import { type FieldError, invalidFields } from '../errors.js';

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

/**
 * Control characters (NUL, CR, LF, ESC, ...), bidirectional formatting characters and lone
 * UTF-16 surrogates. PostgreSQL text cannot store NUL, and the others let a stored name
 * rewrite a terminal line or reorder how a list displays.
 */
const UNPRINTABLE = /[\p{Cc}\p{Cs}\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;

const UNPRINTABLE_MESSAGE =
  'must not contain control characters, bidirectional formatting characters or lone surrogates (such as NUL, line breaks or U+202E). Remove them.';

/** A trimmed display text of at most `maxLength` characters without unprintable characters. */
export function displayText(maxLength: number) {
  return z
    .string()
    .trim()
    .max(maxLength, `must be at most ${maxLength} characters.`)
    .refine((value) => !UNPRINTABLE.test(value), UNPRINTABLE_MESSAGE);
}

/** A required, non-empty {@link displayText}; `missingMessage` says what to send. */
export function requiredName(maxLength: number, missingMessage: string) {
  return z
    .string({ error: missingMessage })
    .trim()
    .min(1, 'must not be empty.')
    .max(maxLength, `must be at most ${maxLength} characters.`)
    .refine((value) => !UNPRINTABLE.test(value), UNPRINTABLE_MESSAGE);
}
