import { isIP } from 'node:net';

import { loadConfig } from '../shared/config.js';
import { getForwardClient } from '../shared/forwarding/runtime.js';
import { prepareVerifiers } from '../shared/http/authentication.js';
import { logger } from '../shared/logger.js';
import {
  closeDependencies,
  openLocalDependencies,
  setDependencies,
} from '../shared/runtime/dependencies.js';
import { type LocalGateway, startLocalGateway } from '../local/gateway.js';

/** Example account of the printed commands. */
const EXAMPLE_ACCOUNT = '123';

/** Host name of dot-separated labels of letters, digits and hyphens, at most 253 characters. */
const HOST_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

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

interface ListenAddress {
  host: string;
  port: number;
}

/** Reads HOST (default 127.0.0.1) and PORT (default 3000, 0 picks a free port). */
function readListenAddress(): ListenAddress {
  const host = process.env.HOST?.trim() || '127.0.0.1';
  if (isIP(host) === 0 && !HOST_NAME.test(host)) {
    throw new Error(
      `Invalid HOST=${process.env.HOST}: expected an IP address or a host name, such as 127.0.0.1.`,
    );
  }

  const port = process.env.PORT?.trim() || '3000';
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65_535) {
    throw new Error(
      `Invalid PORT=${process.env.PORT}: expected an integer from 0 to 65535 (0 picks a free port).`,
    );
  }
  return { host, port: Number(port) };
}

/** Rewords the listen errors that a setting causes, so the message names the setting to change. */
function describeListenError(error: unknown, { host, port }: ListenAddress): Error {
  const address = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  switch ((error as NodeJS.ErrnoException).code) {
    case 'EADDRINUSE':
      return new Error(
        `${address} is already in use. Stop the process that listens there, or set PORT to another port (0 picks a free one).`,
      );
    case 'EACCES':
      return new Error(
        `Permission denied to listen on ${address}. Set PORT to 1024 or above, or run with the needed privileges.`,
      );
    case 'EADDRNOTAVAIL':
      return new Error(
        `HOST ${host} is not an address of this machine. Set HOST to one of its addresses, such as 127.0.0.1.`,
      );
    default:
      return error instanceof Error ? error : new Error(String(error));
  }
}

/**
 * Starts the gateway: checks the settings, builds the forwarding client (so a wrong CA file
 * or allow-list stops the start), opens the data folder, builds the token verifiers (so an
 * invalid JWT setting stops the start) and listens. Whatever was opened before a failure is
 * closed again, which releases the data folder lock.
 */
async function start(): Promise<void> {
  const config = loadConfig();
  const address = readListenAddress();
  getForwardClient();

  setDependencies(await openLocalDependencies(config.dataDir));
  try {
    await prepareVerifiers();
  } catch (error) {
    await closeDependencies();
    throw error;
  }

  let gateway: LocalGateway;
  try {
    gateway = await startLocalGateway({ ...address, rateLimitRps: config.rateLimitRps });
  } catch (error) {
    await closeDependencies();
    throw describeListenError(error, address);
  }

  logger.info('Local gateway started', { url: gateway.url, dataDir: config.dataDir });
  process.stdout.write(`mtls-gateway listening on ${gateway.url} (data in ${config.dataDir})\n`);
  process.stdout.write(credentialHelp(gateway.url));

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) {
      return;
    }
    stopping = true;

    logger.info('Local gateway stopping', { signal });
    await gateway.close();
    await closeDependencies();
    logger.info('Local gateway stopped', { signal });
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

try {
  await start();
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`mtls-gateway did not start: ${message}\n`);
  process.exit(1);
}
