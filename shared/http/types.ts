import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

export type ApiEvent = APIGatewayProxyEvent;
export type ApiResult = APIGatewayProxyResult;

/** A response before it becomes a Lambda proxy result. */
export interface ApiResponse {
  status: number;
  headers?: Record<string, string>;
  /** Response headers that repeat, such as Set-Cookie. */
  multiValueHeaders?: Record<string, string[]>;
  /** A value to send as JSON, or raw bytes sent as base64 with `isBase64Encoded`. */
  body?: unknown;
}
