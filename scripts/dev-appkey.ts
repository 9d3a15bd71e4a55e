import { loadConfig } from '../shared/config.js';
import { logger } from '../shared/logger.js';
import { SecretAppKeyStore } from '../shared/secrets/app-keys.js';
import { LocalSecretStore } from '../shared/secrets/local.js';
import { parseIdentityOptions } from './cli-options.js';

/**
 * Creates an OAuth 1.0a app key in the secret files of MTLS_DATA_DIR and prints its
 * credentials as one JSON line. It opens no database, so it works while `npm start` runs.
 */
const options = parseIdentityOptions(
  'npm run dev-appkey -- --account A[,B] [--permissions mtls.read,mtls.write,mtls.forward]',
  false,
);
if (options.accounts === '*') {
  process.stderr.write('--account must name accounts for an app key, not *.\n');
  process.exit(2);
}

// Standard output contains only the credentials line, so info logs stay off unless LOG_LEVEL is set.
if (process.env.LOG_LEVEL === undefined) {
  logger.setLogLevel('WARN');
}

const secrets = await LocalSecretStore.open(
  loadConfig().dataDir,
  process.env.MTLS_LOCAL_SECRET_KEY,
);
const appKey = await new SecretAppKeyStore(secrets).create({
  accounts: options.accounts,
  permissions: options.permissions,
});
const { consumerKey, consumerSecret, token, tokenSecret } = appKey;
process.stdout.write(`${JSON.stringify({ consumerKey, consumerSecret, token, tokenSecret })}\n`);
