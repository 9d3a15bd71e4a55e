import { parseArgs } from 'node:util';

import { isAccountId, isPermission, type Permission } from '../shared/auth/identity.js';

export interface IdentityOptions {
  accounts: string[] | '*';
  permissions: Permission[];
  expiresInSeconds?: number;
}

/** Parses `--account A[,B]|*`, `--permissions p1,p2` and, when allowed, `--expires-in SECONDS`. */
export function parseIdentityOptions(usage: string, allowExpiry: boolean): IdentityOptions {
  const fail = (message: string): never => {
    process.stderr.write(`${message}\nUsage: ${usage}\n`);
    process.exit(2);
  };

  const values = readArguments(allowExpiry, fail);

  const account = String(values.account ?? '');
  const accounts = account === '*' ? '*' : account.split(',').map((id) => id.trim());
  if (accounts !== '*' && (accounts.length === 0 || !accounts.every(isAccountId))) {
    fail(
      '--account is missing or invalid: give account ids of [A-Za-z0-9_-], comma separated, or *.',
    );
  }

  const permissions = String(values.permissions)
    .split(',')
    .map((name) => name.trim());
  if (!permissions.every(isPermission)) {
    fail('--permissions is invalid: use mtls.read, mtls.write and mtls.forward, comma separated.');
  }

  const rawExpiry = (values as Record<string, unknown>)['expires-in'];
  const expiresInSeconds = rawExpiry === undefined ? undefined : Number(rawExpiry);
  if (
    expiresInSeconds !== undefined &&
    (!Number.isSafeInteger(expiresInSeconds) || expiresInSeconds < 1)
  ) {
    fail('--expires-in must be a positive number of seconds.');
  }

  return { accounts, permissions: permissions as Permission[], expiresInSeconds };
}

/** Parses the command line, and fails on an unknown option, a missing value or a positional argument. */
function readArguments(allowExpiry: boolean, fail: (message: string) => never) {
  try {
    return parseArgs({
      options: {
        account: { type: 'string' },
        permissions: { type: 'string', default: 'mtls.read,mtls.write,mtls.forward' },
        ...(allowExpiry ? { 'expires-in': { type: 'string' } } : {}),
      },
      strict: true,
    }).values;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (!code.startsWith('ERR_PARSE_ARGS_')) {
      throw error;
    }
    return fail(`Invalid arguments: ${(error as Error).message.replace(/\.?$/, '.')}`);
  }
}
