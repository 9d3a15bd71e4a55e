import path from 'node:path';

/** Settings read from the environment. Each default is given where the field is declared. */
export interface GatewayConfig {
  /** Folder for the embedded database, secret files and local keys. @default `./.data` */
  dataDir: string;
  /** Maximum accepted p12 size in bytes. @default 1 MiB */
  maxP12Bytes: number;
  /** Maximum PBKDF iteration count of a p12, checked before any key derivation. @default 200000 */
  maxP12Iterations: number;
  /** Lifetime of the runtime caches in seconds; 0 disables them. @default 300 */
  cacheTtlSeconds: number;
}

function readInteger(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') {
    return fallback;
  }

  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new Error(`Invalid ${name}=${raw}: expected a non-negative integer.`);
  }
  return value;
}

/** Reads the configuration from `process.env` on every call, so tests can change it. */
export function loadConfig(): GatewayConfig {
  return {
    dataDir: path.resolve(process.env.MTLS_DATA_DIR ?? '.data'),
    maxP12Bytes: readInteger('MTLS_MAX_P12_BYTES', 1024 * 1024),
    maxP12Iterations: readInteger('MTLS_MAX_P12_ITERATIONS', 200_000),
    cacheTtlSeconds: readInteger('MTLS_CACHE_TTL_SECONDS', 300),
  };
}
