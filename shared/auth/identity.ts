/** Right to read certificates and mappings, to change them, or to forward requests. */
export type Permission = 'mtls.read' | 'mtls.write' | 'mtls.forward';

export const PERMISSIONS: readonly Permission[] = ['mtls.read', 'mtls.write', 'mtls.forward'];

/** The authenticated caller, as produced by a verifier and checked by each route. */
export interface Identity {
  /** Name of the caller: the JWT `sub`, or the app key's principal. */
  principal: string;
  /** Accounts the caller may use, or `'*'` for every account. */
  accounts: string[] | '*';
  permissions: Permission[];
  authType: 'jwt' | 'oauth1' | 'local';
}

const ACCOUNT_ID = /^[A-Za-z0-9_-]{1,64}$/;

export function isPermission(value: unknown): value is Permission {
  return typeof value === 'string' && (PERMISSIONS as readonly string[]).includes(value);
}

/** Checks the account id form: 1 to 64 characters of `[A-Za-z0-9_-]`. */
export function isAccountId(value: unknown): value is string {
  return typeof value === 'string' && ACCOUNT_ID.test(value);
}
