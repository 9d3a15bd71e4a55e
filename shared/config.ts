import path from 'node:path';

/** Settings read from the environment. Each default is given where the field is declared. */
export interface GatewayConfig {
  /**
   * Folder for the embedded database, secret files and local keys: `.data` in the working
   * directory, or `MTLS_DATA_DIR` resolved from the folder where npm was started.
   */
  dataDir: string;
  /** Maximum accepted p12 size in bytes. @default 1 MiB */
  maxP12Bytes: number;
  /** Maximum PBKDF iteration count of a p12, checked before any key derivation. @default 200000 */
  maxP12Iterations: number;
  /** Lifetime of the runtime caches in seconds; 0 disables them. @default 300 */
  cacheTtlSeconds: number;
  /** Host names, IP addresses and CIDRs that forwards may reach although they are private. @default none */
  forwardAllow: string | undefined;
  /** PEM file of extra CAs trusted for forward targets, beside Node's roots. @default none */
  forwardCaFile: string | undefined;
  /** Time-out in ms for connecting to a forward target (DNS, TCP, TLS). @default 5000 */
  forwardConnectTimeoutMs: number;
  /** Time-out in ms for a whole forward, under API Gateway's 29 s. @default 25000 */
  forwardTimeoutMs: number;
  /** Requests per second per source IP in the local gateway; 0 disables. @default 10 */
  rateLimitRps: number;
}

/**
 * Reads an integer setting of at least `minimum`. Settings where 0 means off take 0 as the
 * minimum; limits and time-outs take 1, because 0 would fail every request.
 */
function readInteger(name: string, fallback: number, minimum: 0 | 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') {
    return fallback;
  }

  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < minimum) {
    const expected = minimum === 0 ? 'a non-negative integer' : 'an integer of at least 1';
    throw new Error(`Invalid ${name}=${raw}: expected ${expected}.`);
  }
  return value;
}

/**
 * Resolves a path from the environment. npm runs scripts from the project folder and keeps
 * the folder it was started from in `INIT_CWD`, so a relative path means what the user typed.
 */
function resolveUserPath(value: string): string {
  return path.resolve(process.env.INIT_CWD ?? process.cwd(), value);
}

/** Reads the configuration from `process.env` on every call, so tests can change it. */
export function loadConfig(): GatewayConfig {
  return {
    dataDir: process.env.MTLS_DATA_DIR
      ? resolveUserPath(process.env.MTLS_DATA_DIR)
      : path.resolve('.data'),
    maxP12Bytes: readInteger('MTLS_MAX_P12_BYTES', 1024 * 1024, 1),
    maxP12Iterations: readInteger('MTLS_MAX_P12_ITERATIONS', 200_000, 1),
    cacheTtlSeconds: readInteger('MTLS_CACHE_TTL_SECONDS', 300, 0),
    forwardAllow: process.env.MTLS_FORWARD_ALLOW || undefined,
    forwardCaFile: process.env.MTLS_FORWARD_CA_FILE
      ? resolveUserPath(process.env.MTLS_FORWARD_CA_FILE)
      : undefined,
    forwardConnectTimeoutMs: readInteger('MTLS_FORWARD_CONNECT_TIMEOUT_MS', 5_000, 1),
    forwardTimeoutMs: readInteger('MTLS_FORWARD_TIMEOUT_MS', 25_000, 1),
    rateLimitRps: readInteger('MTLS_RATE_LIMIT_RPS', 10, 0),
  };
}
