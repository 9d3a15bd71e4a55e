import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';

import type { Identity } from '../auth/identity.js';
import { appendAuditEvents } from '../audit/trail.js';
import { GatewayError } from '../errors.js';
import { logger } from '../logger.js';
import { findRoute, type RouteDefinition } from '../routes.js';
import { getDependencies } from '../runtime/dependencies.js';
import { authenticateEvent } from './authentication.js';
import { authorize, validateAccountId } from './authorize.js';
import { ApiRequest } from './request.js';
import { problem, toProxyResult } from './response.js';
import type { ApiEvent, ApiResponse, ApiResult } from './types.js';

export type RouteWork = (request: ApiRequest) => Promise<ApiResponse>;

/** The Lambda context after the authentication middleware has run. */
export interface AuthenticatedContext extends Context {
  gatewayIdentity?: Identity;
}

/** Produces the caller's identity from the whole event, or throws a 401 GatewayError. */
export type Authenticator = (event: ApiEvent) => Promise<Identity>;

let authenticator: Authenticator = authenticateEvent;

/** Replaces the authentication step that every handler runs. */
export function setAuthenticator(next: Authenticator): void {
  authenticator = next;
}

function authentication(): MiddlewareObj<ApiEvent, ApiResult, Error, AuthenticatedContext> {
  return {
    before: async (request) => {
      request.context.gatewayIdentity = await authenticator(request.event);
    },
  };
}

/** Turns every error into an RFC 9457 problem. Anything but a GatewayError is logged as a 500. */
function problemResponses(
  route: RouteDefinition,
): MiddlewareObj<ApiEvent, ApiResult, Error, AuthenticatedContext> {
  return {
    onError: async (request) => {
      const requestId = request.event.requestContext?.requestId;
      let failure = request.error;
      if (!(failure instanceof GatewayError)) {
        logger.error('Request failed with an unexpected error', {
          route: route.id,
          requestId,
          error: failure ?? undefined,
        });
        failure = new GatewayError(
          'internal',
          500,
          `Internal error while handling the request. Quote request id ${requestId ?? 'unknown'}.`,
        );
      }

      const response = problem(failure as GatewayError, request.event.path);
      response.headers = { ...response.headers, 'lp-mtls-error': 'true' };
      request.response = toProxyResult(response);
    },
  };
}

/**
 * Builds the Lambda handler of one route: authentication, then the route's permission and
 * path account checks, then for JSON routes the Content-Type check, then `work`. Errors
 * become problem responses.
 */
export function createHandler(routeId: string, work: RouteWork) {
  const route = findRoute(routeId);

  return middy<ApiEvent, ApiResult, Error, AuthenticatedContext>()
    .use(problemResponses(route))
    .use(authentication())
    .handler(async (event, context) => {
      const identity = context.gatewayIdentity;
      if (!identity) {
        throw new Error('Authentication middleware did not set an identity.');
      }

      const accountId = event.pathParameters?.accountId ?? undefined;
      if (accountId !== undefined) {
        validateAccountId(accountId);
      }
      try {
        authorize(identity, route.permission, accountId);
      } catch (error) {
        logDenial(event, route, identity, accountId, error);
        throw error;
      }

      const request = new ApiRequest(event, route, identity);
      try {
        if (route.body === 'json') {
          request.requireJsonMediaType();
        }
        const response = await work(request);
        await writeAudit(request, accountId, undefined);
        return toProxyResult(response);
      } catch (error) {
        await writeAudit(request, accountId, error);
        throw error;
      }
    });
}

/**
 * Logs a 403 with the caller and what it lacked, because the problem response and the
 * request line name neither. The identity contains no credentials.
 */
function logDenial(
  event: ApiEvent,
  route: RouteDefinition,
  identity: Identity,
  accountId: string | undefined,
  error: unknown,
): void {
  if (!(error instanceof GatewayError) || error.status !== 403) {
    return;
  }

  const permissionMissing = !identity.permissions.includes(route.permission);
  logger.warn('Request denied', {
    requestId: event.requestContext?.requestId,
    route: route.id,
    code: error.code,
    principal: identity.principal,
    authType: identity.authType,
    accountId,
    missingPermission: permissionMissing ? route.permission : undefined,
  });
}

/**
 * Appends the audit rows of a management write. A request that recorded nothing gets one
 * row for its path object. A failure to write the trail is logged, not returned, because
 * the write itself has already happened.
 */
async function writeAudit(
  request: ApiRequest,
  accountId: string | undefined,
  error: unknown,
): Promise<void> {
  const action = request.route.audit;
  if (action === undefined || accountId === undefined) {
    return;
  }

  const records = [...request.auditRecords];
  if (records.length === 0) {
    const rawId =
      request.event.pathParameters?.certificateId ?? request.event.pathParameters?.mappingId;
    const objectId = rawId && /^\d{1,15}$/.test(rawId) ? Number(rawId) : undefined;
    records.push(
      error === undefined
        ? { objectId, outcome: 'success' }
        : {
            objectId,
            outcome: 'failure',
            detail: error instanceof GatewayError ? error.code : 'internal',
          },
    );
  }

  try {
    const { sql } = await getDependencies();
    await appendAuditEvents(sql, request.identity, accountId, action, records);
  } catch (auditError) {
    logger.error('Failed to write audit events', {
      accountId,
      action,
      requestId: request.requestId,
      error: auditError,
    });
  }
}
