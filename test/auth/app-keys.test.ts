import { randomUUID } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { OAuth1Verifier } from '../../shared/auth/oauth1.js';
import { SecretAppKeyStore } from '../../shared/secrets/app-keys.js';
import {
  type SecretData,
  type SecretStore,
  SecretStoreError,
  type SecretVersion,
} from '../../shared/secrets/port.js';
import { rejectionOf } from '../support/errors.js';

/** A secret store double whose reads fail with the store's own error type until `recover()`. */
class FailingSecretStore implements SecretStore {
  readonly #data = new Map<string, SecretData>();
  #failing = true;
  reads = 0;

  recover(): void {
    this.#failing = false;
  }

  async put(path: string, data: SecretData): Promise<{ version: number }> {
    this.#data.set(path, data);
    return { version: 1 };
  }

  async get(path: string): Promise<SecretVersion | undefined> {
    this.reads += 1;
    if (this.#failing) {
      throw new SecretStoreError('Failed to decrypt secret version 1: wrong key.');
    }
    const data = this.#data.get(path);
    return data === undefined ? undefined : { data, version: 1 };
  }

  async destroyVersion(): Promise<void> {}

  async destroy(path: string): Promise<void> {
    this.#data.delete(path);
  }
}

/** Returns a new consumer key, so that no test reads another test's entry in the app key cache. */
function newConsumerKey(): string {
  return randomUUID().replaceAll('-', '');
}

describe('SecretAppKeyStore', () => {
  it('throws 503 when the store fails', async () => {
    const store = new SecretAppKeyStore(new FailingSecretStore());

    const error = await rejectionOf(store.find(newConsumerKey()));

    expect(error.status).toBe(503);
    expect(error.code).toBe('auth.appkey_store_unavailable');
    expect(error.cause).toBeInstanceOf(SecretStoreError);
  });

  it('caches no store failure', async () => {
    const secrets = new FailingSecretStore();
    const store = new SecretAppKeyStore(secrets);
    const created = await store.create({ accounts: ['acme'], permissions: ['mtls.read'] });

    await rejectionOf(store.find(created.consumerKey));
    secrets.recover();
    const found = await store.find(created.consumerKey);

    expect(found?.consumerSecret).toBe(created.consumerSecret);
    expect(secrets.reads).toBe(2);
  });

  it('returns undefined for an absent key', async () => {
    const secrets = new FailingSecretStore();
    secrets.recover();

    const found = await new SecretAppKeyStore(secrets).find(newConsumerKey());

    expect(found).toBeUndefined();
  });

  it('ignores accounts that are not JSON', async () => {
    const secrets = new FailingSecretStore();
    secrets.recover();
    const consumerKey = newConsumerKey();
    await secrets.put(`app-keys/${consumerKey}`, {
      consumerSecret: 'secret',
      token: 'token',
      tokenSecret: 'token-secret',
      accounts: '{not json',
      permissions: '[]',
    });

    const found = await new SecretAppKeyStore(secrets).find(consumerKey);

    expect(found).toBeUndefined();
  });

  it('makes the verifier answer 503', async () => {
    const verifier = new OAuth1Verifier({
      appKeys: new SecretAppKeyStore(new FailingSecretStore()),
      nonces: { remember: async () => true },
    });
    const timestamp = Math.floor(Date.now() / 1000);
    const header =
      `OAuth oauth_consumer_key="${newConsumerKey()}", oauth_token="t", ` +
      `oauth_signature_method="HMAC-SHA1", oauth_timestamp="${timestamp}", ` +
      'oauth_nonce="n", oauth_signature="c2ln"';

    const error = await rejectionOf(
      verifier.verify({ method: 'GET', url: 'https://127.0.0.1/p', authorizationHeader: header }),
    );

    expect(error.status).toBe(503);
    expect(error.code).toBe('auth.appkey_store_unavailable');
  });
});
