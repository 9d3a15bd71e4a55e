import { loadConfig } from '../shared/config.js';
import { logger } from '../shared/logger.js';
import { closeDependencies, openLocalDependencies, setDependencies } from '../shared/runtime/dependencies.js';
import { startLocalGateway } from '../local/gateway.js';

const config = loadConfig();
const dependencies = await openLocalDependencies(config.dataDir);
setDependencies(dependencies);

const gateway = await startLocalGateway({
  host: process.env.HOST ?? '127.0.0.1',
  port: Number(process.env.PORT ?? 3000),
  rateLimitRps: config.rateLimitRps,
});
logger.info('Local gateway started', { url: gateway.url, dataDir: config.dataDir });
process.stdout.write(`mtls-gateway listening on ${gateway.url} (data in ${config.dataDir})\n`);

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) {
    return;
  }
  stopping = true;

  logger.info('Local gateway stopping', { signal });
  await gateway.close();
  await closeDependencies();
  logger.info('Local gateway stopped', { signal });
}

process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));
