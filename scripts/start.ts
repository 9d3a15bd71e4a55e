import { loadConfig } from '../shared/config.js';
import { getForwardClient } from '../shared/forwarding/runtime.js';
import { logger } from '../shared/logger.js';
import {
  closeDependencies,
  openLocalDependencies,
  setDependencies,
} from '../shared/runtime/dependencies.js';
import { startLocalGateway } from '../local/gateway.js';

/** Example account of the printed commands. */
const EXAMPLE_ACCOUNT = '123';

/** Quotes a value for a POSIX shell unless it contains only characters that need no quoting. */
function shellQuote(value: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * Builds the help printed after start: the npm commands that make a dev token and an app key
 * for this gateway, and a curl call with the token. The commands repeat the settings that
 * the scripts must share with the gateway (data directory, token issuer and audience).
 */
function credentialHelp(url: string): string {
  const shared = ['MTLS_DATA_DIR', 'MTLS_JWT_ISSUER', 'MTLS_JWT_AUDIENCE']
    .filter((name) => process.env[name])
    .map((name) => {
      const value = name === 'MTLS_DATA_DIR' ? loadConfig().dataDir : process.env[name]!;
      return `${name}=${shellQuote(value)} `;
    })
    .join('');
  const permissions = 'mtls.read,mtls.write,mtls.forward';
  const lines = [
    '',
    'Credentials (run these in the project folder while the gateway runs):',
    '  A JWT for the account ids (comma separated, or *), valid --expires-in SECONDS (default 3600):',
    `    TOKEN=$(${shared}npm run --silent dev-token -- --account ${EXAMPLE_ACCOUNT} --permissions ${permissions})`,
    '  An OAuth 1.0a app key, printed as {"consumerKey","consumerSecret","token","tokenSecret"}:',
    `    ${shared}npm run --silent dev-appkey -- --account ${EXAMPLE_ACCOUNT} --permissions ${permissions}`,
    '  A call with the token:',
    `    curl -H "Authorization: Bearer $TOKEN" ${url}/mtls/account/${EXAMPLE_ACCOUNT}/certificates`,
  ];
  if (process.env.MTLS_JWKS_URL) {
    lines.push(
      'Bearer tokens are verified against MTLS_JWKS_URL, so this gateway rejects dev-token tokens.',
    );
  }
  if (process.env.MTLS_LOCAL_SECRET_KEY) {
    lines.push(
      'dev-appkey needs the same MTLS_LOCAL_SECRET_KEY as the gateway in its environment.',
    );
  }
  return `${lines.join('\n')}\n`;
}

const config = loadConfig();
// Builds the forwarding client now, so a wrong CA file or allow-list stops the start.
try {
  getForwardClient();
} catch (error) {
  process.stderr.write(`mtls-gateway did not start: ${(error as Error).message}\n`);
  process.exit(1);
}

const dependencies = await openLocalDependencies(config.dataDir);
setDependencies(dependencies);

const gateway = await startLocalGateway({
  host: process.env.HOST ?? '127.0.0.1',
  port: Number(process.env.PORT ?? 3000),
  rateLimitRps: config.rateLimitRps,
});
logger.info('Local gateway started', { url: gateway.url, dataDir: config.dataDir });
process.stdout.write(`mtls-gateway listening on ${gateway.url} (data in ${config.dataDir})\n`);
process.stdout.write(credentialHelp(gateway.url));

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
