import { GatewayError } from '../errors.js';
import type { ApiResponse, ApiResult } from './types.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const PROBLEM_TYPE_PREFIX = 'urn:mtls-gateway:problem:';

export function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): ApiResponse {
  return { status, body, headers: { 'content-type': 'application/json', ...headers } };
}

/** Returns the RFC 9457 problem `type` URI for a stable error code. */
export function problemType(code: string): string {
  return `${PROBLEM_TYPE_PREFIX}${code}`;
}

/** Builds the RFC 9457 problem response of a gateway error. */
export function problem(error: GatewayError, instance?: string): ApiResponse {
  const body: Record<string, unknown> = {
    type: problemType(error.code),
    title: error.title,
    status: error.status,
    detail: error.message,
    code: error.code,
    ...(instance ? { instance } : {}),
    ...(error.errors ? { errors: error.errors } : {}),
    ...error.extensions,
  };

  return {
    status: error.status,
    headers: { ...error.headers, 'content-type': PROBLEM_CONTENT_TYPE },
    body,
  };
}

/** Turns an ApiResponse into the Lambda proxy result that API Gateway and the local gateway read. */
export function toProxyResult(response: ApiResponse): ApiResult {
  const result: ApiResult = {
    statusCode: response.status,
    headers: { ...response.headers },
    body: '',
  };
  if (response.multiValueHeaders) {
    result.multiValueHeaders = response.multiValueHeaders;
  }

  if (response.body === undefined) {
    return result;
  }

  if (response.body instanceof Uint8Array) {
    const { buffer, byteOffset, byteLength } = response.body;
    result.body = Buffer.from(buffer, byteOffset, byteLength).toString('base64');
    result.isBase64Encoded = true;
    return result;
  }

  result.body = typeof response.body === 'string' ? response.body : JSON.stringify(response.body);
  return result;
}
