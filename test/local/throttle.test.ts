import { setTimeout as sleep } from 'node:timers/promises';

import { afterEach, describe, expect, it } from 'vitest';

import { loadConfig } from '../../shared/config.js';
import { RateLimiter } from '../../local/rate-limit.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import type { TestResponse } from '../support/http.js';
import { errorOf } from '../support/errors.js';

const PATH = '/mtls/account/acme/certificates';

let gateway: TestGateway | undefined;

async function startGateway(rateLimitRps: number): Promise<TestGateway> {
  gateway = await startTestGateway({ rateLimitRps });
  return gateway;
}

/** Sends `count` requests at once and waits for every response. */
function burst(
  target: TestGateway,
  count: number,
  authorization?: string,
): Promise<TestResponse[]> {
  const headers: Record<string, string> = authorization === undefined ? {} : { authorization };
  return Promise.all(Array.from({ length: count }, () => target.request('GET', PATH, { headers })));
}

function statuses(responses: TestResponse[]): number[] {
  return responses.map((response) => response.status);
}

afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
});

describe('local gateway throttling', () => {
  it('rejects burst with 429', async () => {
    const target = await startGateway(5);

    const responses = await burst(target, 20);
    const limited = responses.filter((response) => response.status === 429);
    const first = limited[0]!;

    expect(statuses(responses).filter((status) => status === 200).length).toBeGreaterThanOrEqual(5);
    expect(limited.length).toBeGreaterThan(0);
    expect(first.headers.get('content-type')).toBe('application/problem+json');
    expect(first.body.code).toBe('request.rate_limited');
    expect(first.body.status).toBe(429);
    expect(first.body.detail).toContain('5 per second');
    expect(first.headers.get('retry-after')).toMatch(/^[12]$/);
  });

  it('recovers after Retry-After', async () => {
    const target = await startGateway(5);
    const responses = await burst(target, 20);
    const limited = responses.find((response) => response.status === 429);
    const retryAfterSeconds = Number(limited?.headers.get('retry-after'));
    expect(retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(retryAfterSeconds).toBeLessThanOrEqual(2);

    await sleep(retryAfterSeconds * 1000);
    const again = await burst(target, 5);

    expect(statuses(again)).toEqual([200, 200, 200, 200, 200]);
  });

  it('throttles before authentication', async () => {
    const target = await startGateway(5);

    const responses = await burst(target, 20, '');

    expect(statuses(responses)).toContain(401);
    expect(statuses(responses)).toContain(429);
  });

  it('never throttles when disabled', async () => {
    const target = await startGateway(0);

    const responses = await burst(target, 60);

    expect(statuses(responses).filter((status) => status !== 200)).toEqual([]);
  });
});

describe('RateLimiter', () => {
  it('keeps one bucket per source', () => {
    const limiter = new RateLimiter(2, () => 0);
    limiter.take('10.0.0.1');
    limiter.take('10.0.0.1');

    expect(() => limiter.take('10.0.0.2')).not.toThrow();
    expect(errorOf(() => limiter.take('10.0.0.1')).status).toBe(429);
  });

  it('refills at the configured rate', () => {
    let now = 0;
    const limiter = new RateLimiter(4, () => now);
    for (let index = 0; index < 4; index += 1) {
      limiter.take('client');
    }

    now = 249;
    const early = errorOf(() => limiter.take('client'));
    now = 500;

    expect(early.status).toBe(429);
    expect(() => limiter.take('client')).not.toThrow();
  });

  it('rounds Retry-After up to seconds', () => {
    const limiter = new RateLimiter(1, () => 0);
    limiter.take('client');

    const error = errorOf(() => limiter.take('client'));

    expect(error.headers).toEqual({ 'retry-after': '1' });
  });

  it('defaults to 10 per second', () => {
    const previous = process.env.MTLS_RATE_LIMIT_RPS;
    delete process.env.MTLS_RATE_LIMIT_RPS;
    try {
      expect(loadConfig().rateLimitRps).toBe(10);
    } finally {
      if (previous !== undefined) {
        process.env.MTLS_RATE_LIMIT_RPS = previous;
      }
    }
  });
});
