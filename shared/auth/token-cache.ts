import { createHash } from 'node:crypto';

import type { Identity } from './identity.js';

interface CacheEntry {
  identity: Identity;
  /** Time of the verification, in milliseconds since the Unix epoch. */
  verifiedAt: number;
  /** End of the entry's life, in milliseconds since the Unix epoch. */
  expiresAt: number;
}

/** Upper bound of cached tokens per verifier configuration, so memory stays bounded. */
const MAX_ENTRIES = 10_000;

/**
 * Identities of verified tokens, keyed by the SHA-256 of the token so that the cache never
 * contains a token. An entry serves only between its verification time and its expiry.
 */
export class VerifiedTokenCache {
  readonly #entries = new Map<string, CacheEntry>();

  get(token: string, now: number): Identity | undefined {
    const key = hashToken(token);
    const entry = this.#entries.get(key);
    if (!entry) {
      return undefined;
    }

    if (now >= entry.expiresAt) {
      this.#entries.delete(key);
      return undefined;
    }

    if (now < entry.verifiedAt) {
      return undefined;
    }
    return copyIdentity(entry.identity);
  }

  set(token: string, identity: Identity, verifiedAt: number, expiresAt: number): void {
    if (expiresAt <= verifiedAt) {
      return;
    }

    if (this.#entries.size >= MAX_ENTRIES) {
      this.#evict(verifiedAt);
    }
    this.#entries.set(hashToken(token), {
      identity: copyIdentity(identity),
      verifiedAt,
      expiresAt,
    });
  }

  /** Drops expired entries, then the oldest one if the cache is still full. */
  #evict(now: number): void {
    for (const [key, entry] of this.#entries) {
      if (now >= entry.expiresAt) {
        this.#entries.delete(key);
      }
    }

    const oldest = this.#entries.keys().next();
    if (this.#entries.size >= MAX_ENTRIES && !oldest.done) {
      this.#entries.delete(oldest.value);
    }
  }
}

const caches = new Map<string, VerifiedTokenCache>();

/**
 * Returns the process-wide cache of one verifier configuration. Verifiers built with the same
 * issuer, audience, algorithms, tolerance and key source share it, and no others do.
 */
export function sharedTokenCache(configurationKey: string): VerifiedTokenCache {
  let cache = caches.get(configurationKey);
  if (!cache) {
    cache = new VerifiedTokenCache();
    caches.set(configurationKey, cache);
  }
  return cache;
}

function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Copies the identity, so a caller that changes its result cannot change the cache. */
function copyIdentity(identity: Identity): Identity {
  const accounts = identity.accounts === '*' ? '*' : [...identity.accounts];
  return { ...identity, accounts, permissions: [...identity.permissions] };
}
