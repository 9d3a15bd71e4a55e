import path from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { loadConfig } from '../../shared/config.js';
import { setEnvironment } from '../support/forwarding.js';

describe('loadConfig paths', () => {
  let restore: (() => void) | undefined;

  afterEach(() => {
    restore?.();
    restore = undefined;
  });

  it('resolves a relative CA file from INIT_CWD', () => {
    restore = setEnvironment({ INIT_CWD: '/tmp/caller', MTLS_FORWARD_CA_FILE: 'ca.pem' });

    expect(loadConfig().forwardCaFile).toBe('/tmp/caller/ca.pem');
  });

  it('resolves a relative data folder from INIT_CWD', () => {
    restore = setEnvironment({ INIT_CWD: '/tmp/caller', MTLS_DATA_DIR: 'data' });

    expect(loadConfig().dataDir).toBe('/tmp/caller/data');
  });

  it('keeps absolute paths', () => {
    restore = setEnvironment({ INIT_CWD: '/tmp/caller', MTLS_FORWARD_CA_FILE: '/etc/ca.pem' });

    expect(loadConfig().forwardCaFile).toBe('/etc/ca.pem');
  });

  it('defaults the data folder to the working directory', () => {
    restore = setEnvironment({ INIT_CWD: '/tmp/caller', MTLS_DATA_DIR: undefined });

    expect(loadConfig().dataDir).toBe(path.resolve('.data'));
  });
});

describe('loadConfig integers', () => {
  let restore: (() => void) | undefined;

  afterEach(() => {
    restore?.();
    restore = undefined;
  });

  /** Returns the message that loadConfig throws with `name` set to `value`. */
  function messageFor(name: string, value: string): string {
    restore = setEnvironment({ [name]: value });
    try {
      loadConfig();
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error(`Expected loadConfig to reject ${name}=${value}.`);
  }

  it.each([
    'MTLS_FORWARD_TIMEOUT_MS',
    'MTLS_FORWARD_CONNECT_TIMEOUT_MS',
    'MTLS_MAX_P12_BYTES',
    'MTLS_MAX_P12_ITERATIONS',
  ])('rejects zero %s', (name) => {
    expect(messageFor(name, '0')).toBe(`Invalid ${name}=0: expected an integer of at least 1.`);
  });

  it.each([
    ['MTLS_FORWARD_TIMEOUT_MS', 'forwardTimeoutMs'],
    ['MTLS_FORWARD_CONNECT_TIMEOUT_MS', 'forwardConnectTimeoutMs'],
    ['MTLS_MAX_P12_BYTES', 'maxP12Bytes'],
    ['MTLS_MAX_P12_ITERATIONS', 'maxP12Iterations'],
  ] as const)('accepts one for %s', (name, field) => {
    restore = setEnvironment({ [name]: '1' });

    expect(loadConfig()[field]).toBe(1);
  });

  it.each([
    ['MTLS_CACHE_TTL_SECONDS', 'cacheTtlSeconds'],
    ['MTLS_RATE_LIMIT_RPS', 'rateLimitRps'],
  ] as const)('accepts zero %s as off', (name, field) => {
    restore = setEnvironment({ [name]: '0' });

    expect(loadConfig()[field]).toBe(0);
  });

  it.each(['MTLS_CACHE_TTL_SECONDS', 'MTLS_RATE_LIMIT_RPS'])('rejects negative %s', (name) => {
    expect(messageFor(name, '-1')).toBe(`Invalid ${name}=-1: expected a non-negative integer.`);
  });

  it.each(['MTLS_FORWARD_TIMEOUT_MS', 'MTLS_MAX_P12_BYTES'])('rejects fraction %s', (name) => {
    expect(messageFor(name, '1.5')).toBe(`Invalid ${name}=1.5: expected an integer of at least 1.`);
  });

  it('keeps defaults when unset', () => {
    restore = setEnvironment({
      MTLS_FORWARD_TIMEOUT_MS: undefined,
      MTLS_FORWARD_CONNECT_TIMEOUT_MS: undefined,
    });
    const config = loadConfig();

    expect(config.forwardTimeoutMs).toBe(25_000);
    expect(config.forwardConnectTimeoutMs).toBe(5_000);
  });
});
