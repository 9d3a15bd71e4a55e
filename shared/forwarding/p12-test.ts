import { createHash } from 'node:crypto';

import type { CertificateMaterial } from '../certificates/p12.js';
import { parseCertificateUpload } from '../certificates/service.js';
import { loadConfig } from '../config.js';
import { invalidField } from '../errors.js';
import { parseMultipart } from '../http/multipart.js';
import type { ApiRequest } from '../http/request.js';
import { json } from '../http/response.js';
import type { ApiResponse } from '../http/types.js';
import type { ClientIdentity, HeaderMap } from './client.js';
import { toApiResponse } from './forward.js';
import { type ForwardLogContext, withForwardLog } from './forward-log.js';
import { getForwardClient } from './runtime.js';
import { parseTargetUrl } from './url.js';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/**
 * Validates an uploaded p12 and, with LP-forward-url, sends one request with it. Nothing is
 * stored. The key material lives only in this process's agent cache, keyed by a hash of the
 * material, until the cache TTL ends.
 */
export async function testP12(request: ApiRequest): Promise<ApiResponse> {
  const startedAt = performance.now();
  const forwardUrl = request.singleHeader('LP-forward-url');
  const methodOverride = request.singleHeader('LP-method-override');
  const contentTypeOverride = request.singleHeader('LP-content-type-override');
  const authorization = request.singleHeader('LP-authorization-override');
  const config = loadConfig();
  const form = await parseMultipart(request, { maxFileBytes: config.maxP12Bytes + 1 });

  const file = form.files.get('file');
  if (!file) {
    throw invalidField(
      'certificate.file_missing',
      'file',
      'is missing; attach the p12 as the multipart part "file".',
    );
  }
  const password = form.fields.get('password');
  if (password === undefined) {
    throw invalidField(
      'certificate.password_missing',
      'password',
      'is missing; send the p12 password ("" for none) as the part "password".',
    );
  }

  const parsed = parseCertificateUpload(
    { p12: file.bytes, password, fields: { file: 'file', password: 'password' } },
    config,
    new Date(),
  );
  const details = {
    subject: parsed.details.subject,
    issuer: parsed.details.issuer,
    serialNumber: parsed.details.serialNumber,
    fingerprintSha256: parsed.details.fingerprintSha256,
    keyType: parsed.details.keyType,
    chainLength: parsed.details.chainLength,
    notBefore: parsed.details.notBefore.toISOString(),
    expirationDate: parsed.details.notAfter.toISOString(),
  };

  if (forwardUrl === undefined) {
    return json(200, { valid: true, ...details });
  }

  const target = parseTargetUrl(forwardUrl, 'header:LP-forward-url');
  const body = form.fields.get('body');
  const method = (methodOverride ?? (body === undefined ? 'GET' : 'POST')).toUpperCase();
  if (!METHODS.includes(method)) {
    throw invalidField(
      'forward.method_invalid',
      'header:LP-method-override',
      `must be one of ${METHODS.join(', ')}.`,
    );
  }

  const headers: HeaderMap = {};
  const contentType = contentTypeOverride ?? (body === undefined ? undefined : 'application/json');
  if (contentType) {
    headers['content-type'] = contentType;
  }
  if (authorization) {
    headers.authorization = authorization;
  }

  const bodyBytes = body === undefined ? undefined : Buffer.from(body, 'utf8');
  const context: ForwardLogContext = {
    requestId: request.requestId,
    accountId: request.pathParameter('accountId'),
    fingerprintSha256: details.fingerprintSha256,
    targetOrigin: target.origin,
    mtls: true,
    requestBytes: bodyBytes?.length ?? 0,
    startedAt,
  };
  const response = await withForwardLog(context, () =>
    getForwardClient().send({
      url: target,
      method,
      headers,
      body: bodyBytes,
      identity: identityOf(parsed.material),
    }),
  );
  return toApiResponse(response);
}

/**
 * Builds the client identity of an uploaded p12, keyed in the agent cache by a SHA-256 hash
 * of its key and chain, so tests of the same material share one agent.
 */
function identityOf(material: CertificateMaterial): ClientIdentity {
  const chainPem = [material.leafPem, ...material.chainPem].map((pem) => pem.trim()).join('\n');
  const digest = createHash('sha256').update(material.privateKeyPem).update(chainPem).digest('hex');
  return {
    cacheKey: `p12-test:${digest}`,
    privateKeyPem: material.privateKeyPem,
    certificateChainPem: `${chainPem}\n`,
  };
}
