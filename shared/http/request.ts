import type { AuditRecord } from '../audit/trail.js';
import type { Identity } from '../auth/identity.js';
import { GatewayError, invalidField } from '../errors.js';
import type { RouteDefinition } from '../routes.js';
import type { ApiEvent } from './types.js';

/** `application/json` and structured-syntax JSON types such as `application/problem+json`. */
const JSON_MEDIA_TYPE = /^application\/(?:[a-z0-9!#$&^_.+-]+\+)?json$/;

/** Read access to one API Gateway proxy event, with the identity that the middleware set. */
export class ApiRequest {
  private bodyCache: Buffer | undefined;
  /** Audit records of this request, written by the handler factory when the route is audited. */
  readonly auditRecords: AuditRecord[] = [];

  constructor(
    readonly event: ApiEvent,
    readonly route: RouteDefinition,
    readonly identity: Identity,
  ) {}

  recordAudit(record: AuditRecord): void {
    this.auditRecords.push(record);
  }

  get method(): string {
    return this.event.httpMethod.toUpperCase();
  }

  get requestId(): string {
    return this.event.requestContext?.requestId ?? 'unknown';
  }

  /** Returns a path parameter. The route template guarantees that it is present. */
  pathParameter(name: string): string {
    const value = this.event.pathParameters?.[name];
    if (value === undefined || value === null) {
      throw new Error(`Route ${this.route.id} has no path parameter {${name}}.`);
    }
    return value;
  }

  query(name: string): string | undefined {
    return this.event.queryStringParameters?.[name] ?? undefined;
  }

  /** Returns the first value of a header, matched without regard to case. */
  header(name: string): string | undefined {
    return this.headerValues(name)[0];
  }

  /**
   * Returns the value of a header that may be sent at most once, or throws a 400 naming
   * `header:<name>` when it repeats. `name` is matched case-insensitively and appears in the
   * error as written.
   */
  singleHeader(name: string): string | undefined {
    const values = this.headerValues(name);
    if (values.length > 1) {
      throw invalidField(
        'request.header_repeated',
        `header:${name}`,
        `is sent more than once (${values.length} times). Send it once.`,
      );
    }
    return values[0];
  }

  headerValues(name: string): string[] {
    const lowerName = name.toLowerCase();
    const values: string[] = [];
    for (const [key, list] of Object.entries(this.event.multiValueHeaders ?? {})) {
      if (key.toLowerCase() === lowerName && list) {
        values.push(...list);
      }
    }
    if (values.length > 0) {
      return values;
    }

    for (const [key, value] of Object.entries(this.event.headers ?? {})) {
      if (key.toLowerCase() === lowerName && value !== undefined) {
        values.push(value);
      }
    }
    return values;
  }

  /** The media type of the body, lower-cased and without parameters. */
  get mediaType(): string {
    return (this.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  }

  /** Returns the raw body bytes, decoded from base64 when API Gateway sent them encoded. */
  bodyBytes(): Buffer {
    if (this.bodyCache === undefined) {
      const body = this.event.body ?? '';
      this.bodyCache = this.event.isBase64Encoded
        ? Buffer.from(body, 'base64')
        : Buffer.from(body, 'utf8');
    }
    return this.bodyCache;
  }

  /** Parses the body as JSON, or throws a 400 naming the body. */
  json(): unknown {
    const bytes = this.bodyBytes();
    if (bytes.length === 0) {
      throw invalidField('request.body_missing', 'body', 'is missing. Send a JSON document.');
    }

    try {
      return JSON.parse(bytes.toString('utf8'));
    } catch {
      throw invalidField(
        'request.body_invalid_json',
        'body',
        'is not valid JSON. Check the syntax.',
      );
    }
  }

  /**
   * Throws a 415 unless the body is declared JSON: `application/json` or an
   * `application/*+json` type, parameters such as charset allowed. A request without
   * Content-Type (or with an empty one) passes, because clients of the LivePerson API may
   * send none.
   */
  requireJsonMediaType(): void {
    const declared = this.header('content-type');
    if (declared === undefined || declared.trim() === '') {
      return;
    }
    if (JSON_MEDIA_TYPE.test(this.mediaType)) {
      return;
    }

    const message = `must be application/json or another application/*+json type, not ${this.mediaType}. Send the body as JSON with Content-Type: application/json.`;
    throw new GatewayError('request.media_type_unsupported', 415, `Content-Type ${message}`, {
      errors: [{ field: 'header:Content-Type', message }],
    });
  }

  /** Requires a media type, or throws 415. */
  requireMediaType(expected: string): void {
    if (this.mediaType !== expected) {
      throw new GatewayError(
        'request.media_type_unsupported',
        415,
        `Content-Type must be ${expected}, not ${this.mediaType || 'missing'}.`,
      );
    }
  }
}
