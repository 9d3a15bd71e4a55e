import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

import type { Context } from 'aws-lambda';

import type { ApiEvent } from '../shared/http/types.js';
import type { RouteDefinition } from '../shared/routes.js';

/** Path and query of a request, as the client sent them. */
export interface RequestTarget {
  pathname: string;
  searchParams: URLSearchParams;
}

/**
 * Splits a request target at its first '?'. The path stays as sent, because
 * `new URL(target, base)` reads a leading `//name` as a host and resolves `..` segments.
 */
export function parseRequestTarget(target: string): RequestTarget {
  const queryStart = target.indexOf('?');
  if (queryStart === -1) {
    return { pathname: target, searchParams: new URLSearchParams() };
  }
  return {
    pathname: target.slice(0, queryStart),
    searchParams: new URLSearchParams(target.slice(queryStart + 1)),
  };
}

/**
 * Builds the API Gateway REST proxy event that API Gateway would send for this request.
 * Every non-empty body is base64, as API Gateway does with binary media type `*\/*`.
 */
export function toProxyEvent(
  request: IncomingMessage,
  target: RequestTarget,
  route: RouteDefinition,
  pathParameters: Record<string, string>,
  body: Buffer,
): ApiEvent {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(request.headersDistinct)) {
    if (values && values.length > 0) {
      multiValueHeaders[name] = values;
      headers[name] = values[values.length - 1]!;
    }
  }

  const query: Record<string, string> = {};
  const multiValueQuery: Record<string, string[]> = {};
  for (const [name, value] of target.searchParams) {
    (multiValueQuery[name] ??= []).push(value);
    query[name] = value;
  }
  const hasQuery = Object.keys(query).length > 0;
  const requestId = randomUUID();

  return {
    resource: route.path,
    path: target.pathname,
    httpMethod: request.method ?? 'GET',
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiValueQuery : null,
    pathParameters: Object.keys(pathParameters).length > 0 ? pathParameters : null,
    stageVariables: null,
    body: body.length > 0 ? body.toString('base64') : null,
    isBase64Encoded: body.length > 0,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      authorizer: null,
      protocol: `HTTP/${request.httpVersion}`,
      httpMethod: request.method ?? 'GET',
      path: target.pathname,
      stage: 'local',
      requestId,
      requestTimeEpoch: Date.now(),
      resourceId: route.id,
      resourcePath: route.path,
      identity: localIdentity(request.socket.remoteAddress ?? '127.0.0.1', headers['user-agent']),
    },
  };
}

function localIdentity(
  sourceIp: string,
  userAgent: string | undefined,
): ApiEvent['requestContext']['identity'] {
  return {
    accessKey: null,
    accountId: null,
    apiKey: null,
    apiKeyId: null,
    caller: null,
    clientCert: null,
    cognitoAuthenticationProvider: null,
    cognitoAuthenticationType: null,
    cognitoIdentityId: null,
    cognitoIdentityPoolId: null,
    principalOrgId: null,
    sourceIp,
    user: null,
    userAgent: userAgent ?? null,
    userArn: null,
  };
}

/** Builds a Lambda context for one local invocation, with API Gateway's 29 s limit. */
export function toLambdaContext(route: RouteDefinition, requestId: string): Context {
  const deadline = Date.now() + 29_000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: `mtls-gateway-${route.id}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:mtls-gateway-${route.id}`,
    memoryLimitInMB: '1024',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/mtls-gateway-${route.id}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
