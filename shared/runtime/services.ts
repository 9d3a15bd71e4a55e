import { CertificateService } from '../certificates/service.js';
import { loadConfig } from '../config.js';
import { MappingService } from '../mappings/service.js';
import { clearRuntimeCaches } from './cache.js';
import { getDependencies } from './dependencies.js';

/** Returns a certificate service over the process's dependencies. */
export async function getCertificateService(): Promise<CertificateService> {
  const { sql, secrets } = await getDependencies();
  return new CertificateService({
    sql,
    secrets,
    config: loadConfig(),
    onChange: clearRuntimeCaches,
  });
}

export async function getMappingService(): Promise<MappingService> {
  const { sql } = await getDependencies();
  return new MappingService({ sql, onChange: clearRuntimeCaches });
}
