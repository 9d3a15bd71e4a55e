import type { Identity, Permission } from '../auth/identity.js';
import { GatewayError, invalidField } from '../errors.js';

const ACCOUNT_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Throws a 400 unless `accountId` has the account id form: 1 to 64 of `[A-Za-z0-9_-]`. */
export function validateAccountId(accountId: string, field = 'accountId'): void {
  if (!ACCOUNT_ID.test(accountId)) {
    throw invalidField(
      'request.account_invalid',
      field,
      'must be 1 to 64 characters of letters, digits, "_" or "-".',
    );
  }
}

export function canUseAccount(identity: Identity, accountId: string): boolean {
  return identity.accounts === '*' || identity.accounts.includes(accountId);
}

/** Throws 403 unless the identity has `permission` and, when given, may use `accountId`. */
export function authorize(identity: Identity, permission: Permission, accountId?: string): void {
  if (!identity.permissions.includes(permission)) {
    throw new GatewayError(
      'auth.permission_missing',
      403,
      `The caller lacks the ${permission} permission that this route requires.`,
    );
  }

  if (accountId !== undefined && !canUseAccount(identity, accountId)) {
    throw new GatewayError(
      'auth.account_forbidden',
      403,
      `The caller may not use account ${accountId}.`,
    );
  }
}
