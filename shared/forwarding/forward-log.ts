import { GatewayError } from '../errors.js';
import { logger } from '../logger.js';
import type { ServiceId } from '../mappings/services.js';
import type { ForwardResponse } from './client.js';

/**
 * Log fields of one forward, filled in while it runs. Route code sets the mapping fields once
 * the mapping is chosen, so a failure line names whatever was known when the forward failed.
 */
export interface ForwardLogContext {
  requestId: string | undefined;
  accountId: string;
  serviceId?: ServiceId;
  mappingId?: number;
  certificateId?: number;
  /** SHA-256 fingerprint of a client certificate that is not stored, as in the p12 tester. */
  fingerprintSha256?: string;
  /** `scheme://host[:port]` of the target, never its path, query or credentials. */
  targetOrigin: string;
  /**
   * True once a mapping is chosen, because a mapped forward presents its certificate or fails.
   * False for plain TLS and for a failure before any mapping was chosen.
   */
  mtls: boolean;
  /** Bytes of the request body sent to the target. */
  requestBytes: number;
  /** `performance.now()` when the route started work on the request. */
  startedAt: number;
}

function baseFields(context: ForwardLogContext) {
  const { startedAt, ...fields } = context;
  return { ...fields, durationMs: Math.round((performance.now() - startedAt) * 1000) / 1000 };
}

/**
 * Runs `send` and writes one log line for the forward. A target response of any status logs
 * "Request forwarded". A failure logs "Forward request failed" with the problem code and
 * status that the caller gets, and is rethrown.
 */
export async function withForwardLog(
  context: ForwardLogContext,
  send: () => Promise<ForwardResponse>,
): Promise<ForwardResponse> {
  let response: ForwardResponse;
  try {
    response = await send();
  } catch (error) {
    logFailure(context, error);
    throw error;
  }

  logger.info('Request forwarded', {
    ...baseFields(context),
    status: response.status,
    responseBytes: response.body.length,
  });
  return response;
}

/** Logs a failed forward. `responseBytes` is 0 because no target body reaches the caller. */
function logFailure(context: ForwardLogContext, error: unknown): void {
  const failure = error instanceof GatewayError ? error : undefined;
  logger.warn('Forward request failed', {
    ...baseFields(context),
    code: failure?.code ?? 'internal',
    status: failure?.status ?? 500,
    responseBytes: 0,
    error,
  });
}
