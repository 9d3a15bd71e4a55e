import { z } from 'zod';

import { invalidField } from '../errors.js';
import {
  displayText,
  jsonObject,
  parsePositiveId,
  requiredName,
  typeError,
} from '../http/validation.js';

export const MAX_NAME_LENGTH = 255;

/**
 * Maximum certificates in one JSON create or update request. Each item costs a p12 key
 * derivation and a secret write, so larger batches go in several requests.
 */
export const MAX_CERTIFICATES_PER_REQUEST = 100;

const name = requiredName(MAX_NAME_LENGTH, 'Give the certificate a name.');
const displayName = displayText(
  MAX_NAME_LENGTH,
  'Send the display name as text, or leave it out to use the name.',
).optional();

const password = z.string({
  error: typeError('a string', 'Send the p12 password as text ("" for none).'),
});

/**
 * LivePerson sends the p12 as an array of byte values. Base64 text is accepted too. The
 * elements of an array are checked by {@link decodeP12}, which names the first bad one.
 */
const p12 = z.union([z.array(z.unknown()), z.string()], {
  error: typeError(
    'an array of byte values or a base64 string',
    'Send the p12 file as an array of numbers 0..255 or as base64 text.',
  ),
});

const id = z.union([z.number(), z.string()], {
  error: typeError('a positive integer id', 'Send the id of the certificate to update.'),
});

export const createItemSchema = jsonObject({ name, displayName, p12, password });

/** An update may rename only. A new p12 needs its password. */
export const updateItemSchema = jsonObject({
  id,
  name,
  displayName,
  p12: p12.optional(),
  password: password.optional(),
});

/** The `certificate` field of a multipart upload: JSON text. */
export const fileCreateSchema = jsonObject({ name, displayName, password });

export const fileUpdateSchema = jsonObject({ id, name, displayName, password });

/** Turns the JSON form of a p12 into bytes, or throws a 400 naming `field`. */
export function decodeP12(value: unknown[] | string, field: string): Buffer {
  if (Array.isArray(value)) {
    const bad = value.findIndex(
      (byte) => typeof byte !== 'number' || !Number.isInteger(byte) || byte < 0 || byte > 255,
    );
    if (bad !== -1) {
      throw invalidField(
        'certificate.p12_invalid',
        field,
        `element ${bad} is not a byte. Send integers from 0 to 255 (signed Java bytes are not accepted).`,
      );
    }
    return Buffer.from(value as number[]);
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
