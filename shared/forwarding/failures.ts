import { GatewayError } from '../errors.js';

/** Details of a failed request to the target, used to build its problem. */
export interface FailureContext {
  /** `scheme://host:port` of the target, never its path, query or credentials. */
  origin: string;
  /** True when the total time-out fired, whatever error undici raised for it. */
  timedOut: boolean;
  connectTimeoutMs: number;
  totalTimeoutMs: number;
  maxResponseBytes: number;
}

/** OpenSSL certificate verification results that Node raises as error codes. */
const VERIFY_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REJECTED',
  'CERT_REVOKED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'HOSTNAME_MISMATCH',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'PATH_LENGTH_EXCEEDED',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
]);

/**
 * Converts a failed outbound request into the problem the caller gets. Messages name the
 * target origin and an error code, never resolved addresses or the underlying message.
 */
export function toForwardError(error: unknown, context: FailureContext): GatewayError {
  if (error instanceof GatewayError) {
    return error;
  }

  const { origin } = context;
  const codes = collectCodes(error);
  const fail = (code: string, status: number, message: string) =>
    new GatewayError(code, status, message, { cause: error });

  if (codes.includes('UND_ERR_CONNECT_TIMEOUT')) {
    const limit = `${context.connectTimeoutMs} ms`;
    const message = `Connecting to ${origin} timed out after ${limit}.`;
    return fail('forward.connect_timeout', 504, message);
  }

  if (context.timedOut || codes.some((code) => RESPONSE_TIMEOUT_CODES.has(code))) {
    const limit = `${context.totalTimeoutMs} ms`;
    return fail('forward.timeout', 504, `The target ${origin} did not respond within ${limit}.`);
  }

  if (codes.includes('UND_ERR_RES_EXCEEDED_MAX_SIZE')) {
    const limit = `${context.maxResponseBytes} bytes`;
    const message = `The response of ${origin} is larger than the maximum of ${limit}.`;
    return fail('forward.response_too_large', 502, message);
  }

  if (codes.includes('UND_ERR_INVALID_ARG') || codes.includes('UND_ERR_NOT_SUPPORTED')) {
    // Undici's argument errors name the header or option at fault, never its value.
    const reason = error instanceof Error ? error.message : 'invalid request';
    const message = `The request to ${origin} is invalid (${reason}).`;
    return fail('forward.request_invalid', 400, message);
  }

  const tlsCode = codes.find(isTlsCode);
  if (tlsCode !== undefined) {
    return fail('forward.tls_failed', 502, describeTlsFailure(origin, tlsCode));
  }

  const code = codes[0] ?? 'unknown error';
  const message = `The target ${origin} could not be reached or closed the connection (${code}).`;
  return fail('forward.target_unreachable', 502, message);
}

const RESPONSE_TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

function describeTlsFailure(origin: string, code: string): string {
  return (
    `The TLS handshake with ${origin} failed (${code}). Either the target certificate is not ` +
    'trusted or does not match its host, or the target rejected the client certificate.'
  );
}

function isTlsCode(code: string): boolean {
  return VERIFY_CODES.has(code) || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_');
}

/** Returns the `code` of the error, its causes and the errors it aggregates, outermost first. */
function collectCodes(error: unknown, depth = 0): string[] {
  if (typeof error !== 'object' || error === null || depth > 5) {
    return [];
  }

  const { code, cause, errors } = error as { code?: unknown; cause?: unknown; errors?: unknown };
  const own = typeof code === 'string' ? [code] : [];
  const nested = Array.isArray(errors) ? errors : [];
  return [cause, ...nested].reduce<string[]>(
    (found, inner) => [...found, ...collectCodes(inner, depth + 1)],
    own,
  );
}
