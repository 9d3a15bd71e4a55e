/** One invalid field of a request, as listed in a problem's `errors` array. */
export interface FieldError {
  /** JSON pointer-like path of the field, such as `file`, `[2].name` or `header:LP-forward-url`. */
  field: string;
  message: string;
}

export interface GatewayErrorOptions {
  title?: string;
  errors?: FieldError[];
  /** Extra problem members, such as the mappings that block a delete. */
  extensions?: Record<string, unknown>;
  /** Response headers that belong to this failure, such as `Retry-After`. */
  headers?: Record<string, string>;
  cause?: unknown;
}

/**
 * Base error of the gateway. `code` is stable (`certificate.password_invalid`) and becomes
 * the problem `type`. `message` is the problem `detail`, which the client sees, so it must
 * never contain a secret.
 */
export class GatewayError extends Error {
  override readonly name = 'GatewayError';
  readonly code: string;
  readonly status: number;
  readonly title: string;
  readonly errors: FieldError[] | undefined;
  readonly extensions: Record<string, unknown> | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(code: string, status: number, message: string, options: GatewayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = status;
    this.title = options.title ?? defaultTitle(status);
    this.errors = options.errors;
    this.extensions = options.extensions;
    this.headers = options.headers;
  }
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

function defaultTitle(status: number): string {
  return TITLES[status] ?? 'Error';
}

/** Builds a 400 for one invalid field. */
export function invalidField(code: string, field: string, message: string): GatewayError {
  return new GatewayError(code, 400, `${field}: ${message}`, { errors: [{ field, message }] });
}

/** Builds a 400 that lists several invalid fields. */
export function invalidFields(code: string, errors: FieldError[], detail?: string): GatewayError {
  const summary = errors.map((error) => `${error.field}: ${error.message}`).join('; ');
  return new GatewayError(code, 400, detail ?? summary, { errors });
}

export function notFound(code: string, message: string): GatewayError {
  return new GatewayError(code, 404, message);
}

export function conflict(
  code: string,
  message: string,
  extensions?: Record<string, unknown>,
): GatewayError {
  return new GatewayError(code, 409, message, { extensions });
}
