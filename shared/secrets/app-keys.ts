import { randomBytes } from 'node:crypto';

import { appKeyStoreUnavailable } from '../auth/errors.js';
import { isAccountId, isPermission, type Permission } from '../auth/identity.js';
import type { AppKey, AppKeyLookup } from '../auth/oauth1.js';
import { logger } from '../logger.js';
import { TtlCache } from '../runtime/cache.js';
import type { SecretStore } from './port.js';

const cache = new TtlCache<AppKey | null>();

function pathOf(consumerKey: string): string {
  return `app-keys/${consumerKey}`;
}

/** App keys (OAuth 1.0a client credentials) kept in the secret store, cached for the cache TTL. */
export class SecretAppKeyStore implements AppKeyLookup {
  constructor(private readonly secrets: SecretStore) {}

  /** Creates an app key with new random credentials for the given accounts and permissions. */
  async create(options: {
    accounts: string[];
    permissions: Permission[];
    principal?: string;
  }): Promise<AppKey> {
    const appKey: AppKey = {
      consumerKey: randomBytes(16).toString('hex'),
      consumerSecret: randomBytes(24).toString('base64url'),
      token: randomBytes(16).toString('hex'),
      tokenSecret: randomBytes(24).toString('base64url'),
      accounts: options.accounts,
      permissions: options.permissions,
      ...(options.principal ? { principal: options.principal } : {}),
    };

    await this.secrets.put(pathOf(appKey.consumerKey), {
      consumerSecret: appKey.consumerSecret,
      token: appKey.token,
      tokenSecret: appKey.tokenSecret,
      accounts: JSON.stringify(appKey.accounts),
      permissions: JSON.stringify(appKey.permissions),
      principal: appKey.principal ?? '',
    });
    cache.delete(appKey.consumerKey);
    logger.info('App key created', { consumerKey: appKey.consumerKey, accounts: appKey.accounts });
    return appKey;
  }

  /**
   * Reads the app key of `consumerKey`, or returns undefined when there is none or it is
   * malformed. Throws a 503 GatewayError when the secret store fails, and caches no failure.
   */
  async find(consumerKey: string): Promise<AppKey | undefined> {
    if (!/^[A-Za-z0-9_-]{1,128}$/.test(consumerKey)) {
      return undefined;
    }

    const cached = cache.get(consumerKey);
    if (cached !== undefined) {
      return cached ?? undefined;
    }

    let secret;
    try {
      secret = await this.secrets.get(pathOf(consumerKey));
    } catch (error) {
      logger.error('Failed to read app key from the secret store', { consumerKey, error });
      throw appKeyStoreUnavailable(error);
    }
    const appKey = secret ? toAppKey(consumerKey, secret.data) : undefined;
    cache.set(consumerKey, appKey ?? null);
    return appKey;
  }
}

function toAppKey(consumerKey: string, data: Record<string, string>): AppKey | undefined {
  const accounts = parseJsonList(data.accounts);
  const permissions = parseJsonList(data.permissions);
  if (
    !Array.isArray(accounts) ||
    !Array.isArray(permissions) ||
    !data.consumerSecret ||
    !data.tokenSecret
  ) {
    logger.error('Stored app key is malformed; it is ignored', { consumerKey });
    return undefined;
  }

  return {
    consumerKey,
    consumerSecret: data.consumerSecret,
    token: data.token ?? '',
    tokenSecret: data.tokenSecret,
    accounts: accounts.filter(isAccountId),
    permissions: permissions.filter(isPermission),
    ...(data.principal ? { principal: data.principal } : {}),
  };
}

/** Parses a stored JSON list. Text that is not JSON yields undefined, so the key is malformed. */
function parseJsonList(text: string | undefined): unknown {
  try {
    return JSON.parse(text ?? '[]');
  } catch {
    return undefined;
  }
}
