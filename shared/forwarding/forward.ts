import { conflict, GatewayError } from '../errors.js';
import type { ApiRequest } from '../http/request.js';
import type { ApiResponse } from '../http/types.js';
import { logger } from '../logger.js';
import { isUsable, lookupMappings, type MappingCandidate } from '../mappings/lookup.js';
import { parseServiceId, type ServiceId } from '../mappings/services.js';
import { TtlCache } from '../runtime/cache.js';
import { getDependencies } from '../runtime/dependencies.js';
import type { SecretStore } from '../secrets/port.js';
import type { ClientIdentity, ForwardRequest, ForwardResponse, HeaderMap } from './client.js';
import { filterRequestHeaders, withAuthorizationOverride } from './client.js';
import { type ForwardLogContext, withForwardLog } from './forward-log.js';
import { getForwardClient } from './runtime.js';
import { normalizeUrl, parseTargetUrl } from './url.js';

/** Key material read from the secret store, per certificate id and secret version. */
const materialCache = new TtlCache<ClientIdentity>();

/** Headers that API Gateway and CloudFront add on the way in; they describe the caller's hop. */
const INGRESS_HEADER = /^(x-amzn-|x-amz-cf-|cloudfront-|via$)/;

/**
 * Forwards the request to LP-forward-url, presenting the certificate of the matching mapping,
 * or over plain TLS when no mapping matches. Returns the target's response unchanged.
 */
export async function forwardRequest(request: ApiRequest): Promise<ApiResponse> {
  const startedAt = performance.now();
  const accountId = request.pathParameter('accountId');
  const forwardUrl = request.singleHeader('LP-forward-url');
  const serviceHeader = request.singleHeader('LP-service-name');
  const authorizationOverride = request.singleHeader('LP-authorization-override');
  const target = parseTargetUrl(forwardUrl, 'header:LP-forward-url');
  const serviceId =
    serviceHeader === undefined
      ? undefined
      : parseServiceId(serviceHeader, 'header:LP-service-name');
  const body = request.bodyBytes();
  const outbound: ForwardRequest = {
    url: target,
    method: request.method,
    headers: outboundHeaders(request, authorizationOverride),
    body: body.length > 0 ? body : undefined,
  };

  const context: ForwardLogContext = {
    requestId: request.requestId,
    accountId,
    serviceId,
    targetOrigin: target.origin,
    mtls: false,
    requestBytes: body.length,
    startedAt,
  };
  const response = await withForwardLog(context, () =>
    sendWithMapping(outbound, serviceId, context),
  );
  return toApiResponse(response);
}

/**
 * Chooses the mapping, loads its certificate and sends `outbound` with it. Records the
 * mapping in `context` as soon as it is chosen, so a later failure is logged with it.
 */
async function sendWithMapping(
  outbound: ForwardRequest,
  serviceId: ServiceId | undefined,
  context: ForwardLogContext,
): Promise<ForwardResponse> {
  const { accountId } = context;
  const { sql, secrets } = await getDependencies();
  const [candidates] = await lookupMappings(sql, [
    { accountId, serviceId, normalizedUrl: normalizeUrl(outbound.url.href) },
  ]);
  const mapping = chooseMapping(candidates!, serviceId);
  if (mapping) {
    // A mapped forward never falls back to plain TLS, so it is logged as mutual TLS.
    context.serviceId = mapping.serviceId;
    context.mappingId = mapping.mappingId;
    context.certificateId = mapping.certificateId;
    context.mtls = true;
  }

  const identity = mapping ? await loadIdentity(secrets, mapping, accountId) : undefined;
  return getForwardClient().send({ ...outbound, identity });
}

/**
 * Picks the mapping for a forward. With a service there is at most one (the unique key).
 * Without one, every enabled mapping of the URL must name the same certificate.
 */
function chooseMapping(
  candidates: MappingCandidate[],
  serviceId: ServiceId | undefined,
): MappingCandidate | undefined {
  if (candidates.length <= 1 || serviceId !== undefined) {
    return candidates[0];
  }

  const certificates = new Set(candidates.map((candidate) => candidate.certificateId));
  if (certificates.size > 1) {
    throw conflict(
      'forward.mapping_ambiguous',
      `Mappings ${candidates.map((candidate) => candidate.mappingId).join(', ')} match this URL with different certificates; send LP-service-name to choose one.`,
    );
  }
  return candidates[0];
}

/** Reads the mapped certificate's key and chain, or throws a problem naming the certificate. */
async function loadIdentity(
  secrets: SecretStore,
  mapping: MappingCandidate,
  accountId: string,
): Promise<ClientIdentity> {
  const certificateId = mapping.certificateId;
  const now = new Date();
  if (!isUsable(mapping, now)) {
    throw unusableCertificate(mapping, now);
  }

  const cacheKey = `${certificateId}:${mapping.secretVersion}`;
  const cached = materialCache.get(cacheKey);
  if (cached) {
    return cached;
  }

  let secret;
  try {
    secret = await secrets.get(mapping.secretPath, mapping.secretVersion);
  } catch (error) {
    logger.error('Failed to read certificate secret for a forward', {
      accountId,
      certificateId,
      error,
    });
    throw new GatewayError(
      'forward.certificate_unreadable',
      502,
      `The key material of certificate ${certificateId} could not be read from the secret store; retry later.`,
    );
  }

  const data = secret?.data;
  if (!data?.privateKeyPem || !data.leafPem) {
    throw new GatewayError(
      'forward.certificate_missing',
      409,
      `Certificate ${certificateId} of mapping ${mapping.mappingId} has no stored key material; upload its p12 again.`,
    );
  }

  const identity: ClientIdentity = {
    cacheKey,
    privateKeyPem: data.privateKeyPem,
    certificateChainPem: `${data.leafPem.trim()}\n${(data.chainPem ?? '').trim()}\n`,
  };
  materialCache.set(cacheKey, identity);
  return identity;
}

function unusableCertificate(mapping: MappingCandidate, now: Date): GatewayError {
  const id = mapping.certificateId;
  if (!mapping.certificateLive) {
    return new GatewayError(
      'forward.certificate_missing',
      409,
      `Certificate ${id} of mapping ${mapping.mappingId} is deleted or has no stored key; map another certificate.`,
    );
  }
  if (now.getTime() < mapping.certificateNotBefore.getTime()) {
    return new GatewayError(
      'forward.certificate_not_yet_valid',
      409,
      `Certificate ${id} of mapping ${mapping.mappingId} is not valid before ${mapping.certificateNotBefore.toISOString()}.`,
    );
  }
  return new GatewayError(
    'forward.certificate_expired',
    409,
    `Certificate ${id} of mapping ${mapping.mappingId} expired at ${mapping.certificateNotAfter.toISOString()}; upload a renewed certificate.`,
  );
}

function outboundHeaders(
  request: ApiRequest,
  authorizationOverride: string | undefined,
): HeaderMap {
  const incoming: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(request.event.multiValueHeaders ?? {})) {
    if (values && !INGRESS_HEADER.test(name.toLowerCase())) {
      incoming[name.toLowerCase()] = values;
    }
  }
  return withAuthorizationOverride(filterRequestHeaders(incoming), authorizationOverride);
}

/** Returns the target's response: repeated headers as multi-value headers, the body as bytes. */
export function toApiResponse(response: ForwardResponse): ApiResponse {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(response.headers)) {
    if (Array.isArray(value)) {
      multiValueHeaders[name] = value;
    } else {
      headers[name] = value;
    }
  }

  return {
    status: response.status,
    headers,
    multiValueHeaders,
    body: response.body,
  };
}
