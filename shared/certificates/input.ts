import { z } from 'zod';

import { invalidField } from '../errors.js';
import { displayText, parsePositiveId, requiredName } from '../http/validation.js';

export const MAX_NAME_LENGTH = 255;

/**
 * Maximum certificates in one JSON create or update request. Each item costs a p12 key
 * derivation and a secret write, so larger batches go in several requests.
 */
export const MAX_CERTIFICATES_PER_REQUEST = 100;

const name = requiredName(MAX_NAME_LENGTH, 'is missing. Give the certificate a name.');
const displayName = displayText(MAX_NAME_LENGTH).optional();

const password = z.string({ error: 'is missing. Send the p12 password ("" for none).' });

/** LivePerson sends the p12 as an array of byte values. Base64 text is accepted too. */
const p12 = z.union([z.array(z.number()), z.string()], {
  error:
    'is missing or invalid. It must be the file bytes as an array of numbers 0..255 or a base64 string.',
});

const id = z.union([z.number(), z.string()], { error: 'is missing. Send the certificate id.' });

export const createItemSchema = z.object({
  name,
  displayName,
  p12,
  password,
});

/** An update may rename only. A new p12 needs its password. */
export const updateItemSchema = createItemSchema.extend({
  id,
  p12: p12.optional(),
  password: password.optional(),
});

/** The `certificate` field of a multipart upload: JSON text. */
export const fileCreateSchema = z.object({
  name,
  displayName,
  password,
});

export const fileUpdateSchema = fileCreateSchema.extend({ id });

/** Turns the JSON form of a p12 into bytes, or throws a 400 naming `field`. */
export function decodeP12(value: number[] | string, field: string): Buffer {
  if (Array.isArray(value)) {
    const bad = value.findIndex((byte) => !Number.isInteger(byte) || byte < 0 || byte > 255);
    if (bad !== -1) {
      throw invalidField(
        'certificate.p12_invalid',
        field,
        `element ${bad} is not a byte. Send integers from 0 to 255 (signed Java bytes are not accepted).`,
      );
    }
    return Buffer.from(value);
  }

  const compact = value.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(compact) || compact.length % 4 === 1) {
    throw invalidField(
      'certificate.p12_invalid',
      field,
      'is not valid base64. Send base64 text or a byte array.',
    );
  }
  return Buffer.from(
    compact,
    compact.includes('-') || compact.includes('_') ? 'base64url' : 'base64',
  );
}

/** Parses a certificate id from JSON or a path, or throws a 400 naming `field`. */
export function parseCertificateId(value: unknown, field: string): number {
  return parsePositiveId(value, field, 'certificate.id_invalid');
}
