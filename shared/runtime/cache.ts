import { loadConfig } from '../config.js';

interface Entry<Value> {
  value: Value;
  expiresAt: number;
}

const registry = new Set<TtlCache<unknown>>();

/**
 * A per-process cache whose entries live for MTLS_CACHE_TTL_SECONDS (read at each write,
 * 0 disables caching). Every instance is registered, so one call clears them all after a
 * write through the API.
 */
export class TtlCache<Value> {
  private readonly entries = new Map<string, Entry<Value>>();

  constructor(
    private readonly ttlSeconds: () => number = () => loadConfig().cacheTtlSeconds,
    private readonly now: () => number = Date.now,
    /** Called with each value that leaves the cache, for example to close a connection pool. */
    private readonly onEvict?: (value: Value) => void,
  ) {
    registry.add(this as TtlCache<unknown>);
  }

  get(key: string): Value | undefined {
    const entry = this.entries.get(key);
    if (!entry) {
      return undefined;
    }
    if (entry.expiresAt <= this.now()) {
      this.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** Stores a value for the configured TTL; `ttlOverrideMs` shortens it, never lengthens it. */
  set(key: string, value: Value, ttlOverrideMs?: number): void {
    const ttlMs = this.ttlSeconds() * 1000;
    if (ttlMs <= 0) {
      return;
    }

    const lifetime = ttlOverrideMs === undefined ? ttlMs : Math.min(ttlMs, ttlOverrideMs);
    this.delete(key);
    this.entries.set(key, { value, expiresAt: this.now() + lifetime });
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
      this.onEvict?.(entry.value);
    }
  }

  clear(): void {
    for (const key of [...this.entries.keys()]) {
      this.delete(key);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}

/** Clears every runtime cache of this process. Writes through the API call it. */
export function clearRuntimeCaches(): void {
  for (const cache of registry) {
    cache.clear();
  }
}
