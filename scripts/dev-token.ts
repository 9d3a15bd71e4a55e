import { signDevToken } from '../shared/auth/jwt.js';
import { loadConfig } from '../shared/config.js';
import { tokenSettings } from '../shared/http/authentication.js';
import { parseIdentityOptions } from './cli-options.js';

/** Prints a JWT signed with the local key of MTLS_DATA_DIR, for calls to `npm start`. */
const options = parseIdentityOptions(
  'npm run dev-token -- --account A[,B]|* [--permissions mtls.read,mtls.write,mtls.forward] [--expires-in SECONDS]',
  true,
);
const token = await signDevToken({
  dataDir: loadConfig().dataDir,
  account: options.accounts,
  permissions: options.permissions,
  expiresInSeconds: options.expiresInSeconds,
  ...tokenSettings(),
});
process.stdout.write(`${token}\n`);
