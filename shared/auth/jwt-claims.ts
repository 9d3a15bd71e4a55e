import type { JWTPayload } from 'jose';

import { isAccountId, isPermission, type Identity, type Permission } from './identity.js';

/**
 * Reads the identity from the claims of a verified token. The claims are:
 * - `sub`: the principal, a non-empty string (required).
 * - `accounts`: an array of account ids, or the string `"*"` for every account (required).
 * - `permissions`: an array of permission names. Without it, the space-separated `scope`
 *   claim is read. Names other than mtls.read, mtls.write and mtls.forward are ignored, so a
 *   token may also carry scopes of other services. Without both, the identity has none.
 *
 * Throws an Error that names the claim when a claim has the wrong form. The message contains
 * no claim values, so it can go to the logs.
 */
export function identityFromClaims(claims: JWTPayload): Identity {
  const { sub } = claims;
  if (typeof sub !== 'string' || sub === '') {
    throw new Error('The "sub" claim is missing or not a non-empty string.');
  }

  return {
    principal: sub,
    accounts: readAccounts(claims.accounts),
    permissions: readPermissions(claims.permissions, claims.scope),
    authType: 'jwt',
  };
}

function readAccounts(value: unknown): string[] | '*' {
  if (value === '*') {
    return '*';
  }

  if (!Array.isArray(value)) {
    throw new Error('The "accounts" claim is missing or neither an array nor "*".');
  }

  if (!value.every(isAccountId)) {
    throw new Error('The "accounts" claim contains a value that is not an account id.');
  }
  return [...value];
}

function readPermissions(permissions: unknown, scope: unknown): Permission[] {
  if (permissions !== undefined) {
    if (!Array.isArray(permissions) || !permissions.every((item) => typeof item === 'string')) {
      throw new Error('The "permissions" claim is not an array of strings.');
    }
    return unique(permissions.filter(isPermission));
  }

  if (scope !== undefined) {
    if (typeof scope !== 'string') {
      throw new Error('The "scope" claim is not a string.');
    }
    return unique(scope.split(/\s+/).filter(isPermission));
  }

  return [];
}

function unique(permissions: Permission[]): Permission[] {
  return [...new Set(permissions)];
}
