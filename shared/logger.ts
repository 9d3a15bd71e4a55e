import { Logger } from '@aws-lambda-powertools/logger';

/**
 * The one structured logger: a JSON line per event. Callers pass ids (account, certificate,
 * mapping, request) as attributes; never a p12, password, key, token or signature.
 */
export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'mtls-gateway',
  logLevel: (process.env.LOG_LEVEL ?? (process.env.VITEST ? 'SILENT' : 'INFO')) as 'INFO',
});
