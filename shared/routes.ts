import type { Permission } from './auth/identity.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Kind of request body that a route reads. */
export type BodyKind = 'none' | 'json' | 'multipart' | 'any';

export interface RouteDefinition {
  /** Stable id, also the base of the Lambda function's name. */
  id: string;
  methods: HttpMethod[];
  /** API Gateway path template with `{name}` parameters. */
  path: string;
  /** Handler module relative to the repository root, without extension; it exports `handler`. */
  handler: string;
  permission: Permission;
  body: BodyKind;
  /** Audit action recorded for each request, for management writes only. */
  audit?: string;
}

const CERTIFICATES = '/mtls/account/{accountId}/certificates';
const MAPPINGS = '/api/account/{accountId}/configuration/ac-common/mtls';

/**
 * The route table: the single source of the API for the CDK stack and the local gateway.
 * Each entry becomes one Lambda function behind one API Gateway resource.
 */
export const routes: readonly RouteDefinition[] = [
  route(
    'certificates-create',
    ['POST'],
    CERTIFICATES,
    'functions/certificates/create',
    'mtls.write',
    'json',
    'certificate.create',
  ),
  route(
    'certificates-create-by-file',
    ['POST'],
    `${CERTIFICATES}/by-file`,
    'functions/certificates/create-by-file',
    'mtls.write',
    'multipart',
    'certificate.create',
  ),
  route(
    'certificates-update',
    ['PUT'],
    CERTIFICATES,
    'functions/certificates/update',
    'mtls.write',
    'json',
    'certificate.update',
  ),
  route(
    'certificates-update-by-file',
    ['PUT'],
    `${CERTIFICATES}/by-file`,
    'functions/certificates/update-by-file',
    'mtls.write',
    'multipart',
    'certificate.update',
  ),
  route(
    'certificates-list',
    ['GET'],
    CERTIFICATES,
    'functions/certificates/list',
    'mtls.read',
    'none',
  ),
  route(
    'certificates-get',
    ['GET'],
    `${CERTIFICATES}/{certificateId}`,
    'functions/certificates/get',
    'mtls.read',
    'none',
  ),
  route(
    'certificates-delete',
    ['DELETE'],
    `${CERTIFICATES}/{certificateId}`,
    'functions/certificates/delete',
    'mtls.write',
    'none',
    'certificate.delete',
  ),
  route(
    'certificates-download',
    ['GET'],
    `${CERTIFICATES}/{certificateId}/download`,
    'functions/certificates/download',
    'mtls.read',
    'none',
  ),
  route(
    'mappings-create',
    ['POST'],
    MAPPINGS,
    'functions/mappings/create',
    'mtls.write',
    'json',
    'mapping.create',
  ),
  route('mappings-list', ['GET'], MAPPINGS, 'functions/mappings/list', 'mtls.read', 'none'),
  route(
    'mappings-get',
    ['GET'],
    `${MAPPINGS}/{mappingId}`,
    'functions/mappings/get',
    'mtls.read',
    'none',
  ),
  route(
    'mappings-update',
    ['PUT'],
    `${MAPPINGS}/{mappingId}`,
    'functions/mappings/update',
    'mtls.write',
    'json',
    'mapping.update',
  ),
  route(
    'mappings-delete',
    ['DELETE'],
    `${MAPPINGS}/{mappingId}`,
    'functions/mappings/delete',
    'mtls.write',
    'none',
    'mapping.delete',
  ),
  route(
    'runtime-check-mapping',
    ['POST'],
    '/mtls/mapping',
    'functions/runtime/check-mapping',
    'mtls.forward',
    'json',
  ),
  route(
    'runtime-forward',
    ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    '/mtls/account/{accountId}',
    'functions/runtime/forward',
    'mtls.forward',
    'any',
  ),
  route(
    'runtime-p12-test',
    ['POST'],
    '/mtls/account/{accountId}/p12-test/multipart',
    'functions/runtime/p12-test',
    'mtls.write',
    'multipart',
  ),
  route(
    'audit-list',
    ['GET'],
    '/mtls/account/{accountId}/audit',
    'functions/audit/list',
    'mtls.read',
    'none',
  ),
  route(
    'runtime-check-account-mapping',
    ['POST'],
    '/mtls/account/{accountId}/mapping',
    'functions/runtime/check-account-mapping',
    'mtls.forward',
    'json',
  ),
];

function route(
  id: string,
  methods: HttpMethod[],
  path: string,
  handler: string,
  permission: Permission,
  body: BodyKind,
  audit?: string,
): RouteDefinition {
  return { id, methods, path, handler, permission, body, ...(audit ? { audit } : {}) };
}

/** Returns the route with this id, or throws: a handler naming an unknown route is a bug. */
export function findRoute(id: string): RouteDefinition {
  const found = routes.find((candidate) => candidate.id === id);
  if (!found) {
    throw new Error(`Route ${id} is not in the route table.`);
  }
  return found;
}
