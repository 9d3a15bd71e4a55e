import { GatewayError } from '../shared/errors.js';

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/** Number of idle buckets kept before full ones are dropped, which bounds memory per source. */
const MAX_BUCKETS = 10_000;

/**
 * A token bucket per source IP: each source may send `ratePerSecond` requests per second on
 * average, with bursts up to the same number. The local stand-in for the AWS WAF rate rule.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly ratePerSecond: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Takes one token for `source`, or throws a 429 with Retry-After in whole seconds. */
  take(source: string): void {
    if (this.ratePerSecond <= 0) {
      return;
    }

    const now = this.now();
    const bucket = this.refill(source, now);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return;
    }

    const retryAfterSeconds = Math.max(1, Math.ceil((1 - bucket.tokens) / this.ratePerSecond));
    throw new GatewayError(
      'request.rate_limited',
      429,
      `Too many requests from ${source}; the limit is ${this.ratePerSecond} per second. Retry after ${retryAfterSeconds} s.`,
      { headers: { 'retry-after': String(retryAfterSeconds) } },
    );
  }

  private refill(source: string, now: number): Bucket {
    let bucket = this.buckets.get(source);
    if (!bucket) {
      this.evictFullBuckets(now);
      bucket = { tokens: this.ratePerSecond, updatedAt: now };
      this.buckets.set(source, bucket);
      return bucket;
    }

    const elapsedSeconds = (now - bucket.updatedAt) / 1000;
    bucket.tokens = Math.min(
      this.ratePerSecond,
      bucket.tokens + elapsedSeconds * this.ratePerSecond,
    );
    bucket.updatedAt = now;
    return bucket;
  }

  /** Drops buckets that have refilled completely: a new bucket starts full anyway. */
  private evictFullBuckets(now: number): void {
    if (this.buckets.size < MAX_BUCKETS) {
      return;
    }
    for (const [source, bucket] of this.buckets) {
      const elapsedSeconds = (now - bucket.updatedAt) / 1000;
      if (bucket.tokens + elapsedSeconds * this.ratePerSecond >= this.ratePerSecond) {
        this.buckets.delete(source);
      }
    }
  }
}
