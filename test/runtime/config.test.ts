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
