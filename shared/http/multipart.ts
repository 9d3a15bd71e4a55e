import busboy from 'busboy';

import { GatewayError, invalidField } from '../errors.js';
import type { ApiRequest } from './request.js';

export interface MultipartFile {
  filename: string;
  bytes: Buffer;
  /** True when the file was longer than `maxFileBytes` and was cut there. */
  truncated: boolean;
}

export interface MultipartForm {
  fields: Map<string, string>;
  files: Map<string, MultipartFile>;
}

export interface MultipartLimits {
  /** Maximum bytes kept of one file part. Longer files are cut and flagged `truncated`. */
  maxFileBytes: number;
  /** Maximum bytes of one text field. @default 64 KiB */
  maxFieldBytes?: number;
}

const MAX_PARTS = 20;

/**
 * Parses a `multipart/form-data` body with busboy. A part with a filename is a file, any
 * other part a text field. A name that repeats is rejected, because silently taking one of
 * two files or passwords could store something the caller did not mean.
 */
export async function parseMultipart(
  request: ApiRequest,
  limits: MultipartLimits,
): Promise<MultipartForm> {
  const contentType = request.header('content-type') ?? '';
  if (request.mediaType !== 'multipart/form-data') {
    throw new GatewayError(
      'request.media_type_unsupported',
      415,
      `Content-Type must be multipart/form-data with a boundary, not ${request.mediaType || 'missing'}.`,
    );
  }

  const form: MultipartForm = { fields: new Map(), files: new Map() };
  const maxFieldBytes = limits.maxFieldBytes ?? 64 * 1024;
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: { 'content-type': contentType },
      limits: { fileSize: limits.maxFileBytes, fieldSize: maxFieldBytes, parts: MAX_PARTS },
    });
  } catch {
    throw invalidField(
      'request.multipart_invalid',
      'body',
      'has no multipart boundary. Send multipart/form-data.',
    );
  }

  const malformed = () =>
    invalidField(
      'request.multipart_invalid',
      'body',
      'is not a well-formed multipart/form-data body. Send every part complete, ending with the closing boundary.',
    );
  const seenNames = new Set<string>();
  const repeated = (name: string) => {
    if (seenNames.has(name)) {
      return true;
    }
    seenNames.add(name);
    return false;
  };
  const repeatedField = (name: string) =>
    invalidField('request.field_repeated', name, 'is sent more than once. Send it once.');

  await new Promise<void>((resolve, reject) => {
    parser.on('file', (name, stream, info) => {
      const chunks: Buffer[] = [];
      const isRepeat = repeated(name);
      // busboy also emits the error of a cut-off body on the file stream. Without this
      // listener that error would be uncaught and end the process.
      stream.on('error', () => reject(malformed()));
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (isRepeat) {
          reject(repeatedField(name));
          return;
        }
        form.files.set(name, {
          filename: info.filename ?? '',
          bytes: Buffer.concat(chunks),
          truncated: (stream as unknown as { truncated?: boolean }).truncated === true,
        });
      });
    });
    parser.on('field', (name, value, info) => {
      if (info.valueTruncated) {
        reject(invalidField('request.field_too_large', name, `is over ${maxFieldBytes} bytes.`));
        return;
      }
      if (repeated(name)) {
        reject(repeatedField(name));
        return;
      }
      form.fields.set(name, value);
    });
    parser.on('partsLimit', () =>
      reject(
        invalidField('request.multipart_invalid', 'body', `has more than ${MAX_PARTS} parts.`),
      ),
    );
    parser.on('error', () => reject(malformed()));
    parser.on('close', () => resolve());
    parser.end(request.bodyBytes());
  });

  return form;
}
