import type { z } from 'zod';

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
