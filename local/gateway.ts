import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import type { Context } from 'aws-lambda';

import { GatewayError } from '../shared/errors.js';
import { problem, toProxyResult } from '../shared/http/response.js';
import type { ApiEvent, ApiResult } from '../shared/http/types.js';
import { logger } from '../shared/logger.js';
import { type RouteDefinition, routes as routeTable } from '../shared/routes.js';
import { parseRequestTarget, toLambdaContext, toProxyEvent } from './events.js';
import { RateLimiter } from './rate-limit.js';
import { Router } from './router.js';

type LambdaHandler = (event: ApiEvent, context: Context) => Promise<ApiResult>;

export interface LocalGatewayOptions {
  /** @default '127.0.0.1' */
  host?: string;
  /** 0 picks a free port. @default 3000 */
  port?: number;
  /** Maximum request body in bytes. Larger bodies get a 413. @default 6 MiB, Lambda's payload limit */
  maxBodyBytes?: number;
  /** @default the route table */
  routes?: readonly RouteDefinition[];
  /** Requests per second per source IP before 429; 0 disables. @default 10 */
  rateLimitRps?: number;
}

export interface LocalGateway {
  url: string;
  server: Server;
  close(): Promise<void>;
}

const REPOSITORY_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_MAX_BODY_BYTES = 6 * 1024 * 1024;

/**
 * Starts the local gateway: an HTTP server that turns each request into an API Gateway
 * REST proxy event and invokes the route's Lambda handler, the same module Lambda runs.
 */
export async function startLocalGateway(options: LocalGatewayOptions = {}): Promise<LocalGateway> {
  const router = new Router(options.routes ?? routeTable);
  const handlers = new Map<string, Promise<LambdaHandler>>();
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const rateLimiter = new RateLimiter(options.rateLimitRps ?? 10);

  const loadHandler = (route: RouteDefinition): Promise<LambdaHandler> => {
    let loaded = handlers.get(route.handler);
    if (!loaded) {
      const file = pathToFileURL(path.join(REPOSITORY_ROOT, `${route.handler}.ts`)).href;
      loaded = import(file).then((module: { handler: LambdaHandler }) => module.handler);
      handlers.set(route.handler, loaded);
    }
    return loaded;
  };

  const server = createServer((request, response) => {
    void serve(request, response, { router, loadHandler, maxBodyBytes, rateLimiter });
  });
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 3000, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${host}:${address.port}`,
    server,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
      }),
  };
}

interface ServeContext {
  router: Router;
  loadHandler: (route: RouteDefinition) => Promise<LambdaHandler>;
  maxBodyBytes: number;
  rateLimiter: RateLimiter;
}

async function serve(
  request: IncomingMessage,
  response: ServerResponse,
  context: ServeContext,
): Promise<void> {
  const started = performance.now();
  const target = parseRequestTarget(request.url ?? '/');
  const method = request.method ?? 'GET';
  let routeId = 'none';
  let requestId: string = randomUUID();
  let result: ApiResult;

  try {
    context.rateLimiter.take(request.socket.remoteAddress ?? 'unknown');
    const match = context.router.match(method, target.pathname);
    if (match.kind === 'not-found') {
      throw new GatewayError(
        'request.route_not_found',
        404,
        `No route matches ${method} ${target.pathname}.`,
      );
    }
    if (match.kind === 'method-not-allowed') {
      const allow = [...new Set(match.allowed)].join(', ');
      throw new GatewayError(
        'request.method_not_allowed',
        405,
        `${method} is not allowed here. Use ${allow}.`,
        {
          headers: { allow },
        },
      );
    }

    routeId = match.route.id;
    const body = await readBody(request, context.maxBodyBytes);
    const event = toProxyEvent(request, target, match.route, match.pathParameters, body);
    requestId = event.requestContext.requestId;

    const handler = await context.loadHandler(match.route);
    result = await handler(event, toLambdaContext(match.route, requestId));
  } catch (error) {
    result = gatewayFailure(error, target.pathname, requestId);
  }

  writeResult(response, result);
  logger.info('Request handled', {
    requestId,
    method,
    route: routeId,
    status: result.statusCode,
    durationMs: Math.round((performance.now() - started) * 1000) / 1000,
  });
}

function gatewayFailure(error: unknown, pathname: string, requestId: string): ApiResult {
  if (error instanceof GatewayError) {
    const response = problem(error, pathname);
    response.headers = { ...response.headers, 'lp-mtls-error': 'true' };
    return toProxyResult(response);
  }

  logger.error('Local gateway failed to invoke a handler', { requestId, error });
  return toProxyResult(
    problem(
      new GatewayError('internal', 500, `Internal error. Quote request id ${requestId}.`),
      pathname,
    ),
  );
}

/** Reads the whole body, or throws a 413 as soon as it passes `maxBytes`. */
async function readBody(request: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > maxBytes) {
    request.resume();
    throw tooLarge(maxBytes);
  }

  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of request) {
    total += (chunk as Buffer).length;
    if (total > maxBytes) {
      request.resume();
      throw tooLarge(maxBytes);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function tooLarge(maxBytes: number): GatewayError {
  return new GatewayError(
    'request.body_too_large',
    413,
    `The request body is over the limit of ${maxBytes} bytes.`,
  );
}

function writeResult(response: ServerResponse, result: ApiResult): void {
  const headers = new Map<string, string | string[]>();
  for (const [name, value] of Object.entries(result.headers ?? {})) {
    headers.set(name.toLowerCase(), String(value));
  }
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) {
    headers.set(name.toLowerCase(), values.map(String));
  }

  const body = result.isBase64Encoded
    ? Buffer.from(result.body, 'base64')
    : Buffer.from(result.body ?? '', 'utf8');
  headers.set('content-length', String(body.length));
  headers.delete('transfer-encoding');

  response.writeHead(result.statusCode, Object.fromEntries(headers));
  response.end(body);
}
