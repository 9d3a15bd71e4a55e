import { describe, expect, it } from 'vitest';

import {
  filterRequestHeaders,
  filterResponseHeaders,
  withAuthorizationOverride,
} from '../../shared/forwarding/headers.js';

describe('filterRequestHeaders', () => {
  const incoming = {
    Accept: 'application/json',
    'Content-Type': 'application/json',
    'X-Custom': ['a', 'b'],
    Authorization: 'Bearer caller-token',
    'LP-forward-url': 'https://api.example.com/',
    'LP-authorization-override': 'Bearer target-token',
    'lp-service-name': 'IDP',
    Host: 'gateway.example.com',
    'Content-Length': '12',
    Connection: 'keep-alive, X-Per-Hop',
    'X-Per-Hop': '1',
    'Keep-Alive': 'timeout=5',
    'Transfer-Encoding': 'chunked',
    TE: 'trailers',
    Trailer: 'Expires',
    Upgrade: 'websocket',
    'Proxy-Authorization': 'Basic abc',
    'Proxy-Connection': 'keep-alive',
    'Proxy-Custom': 'x',
    Expect: '100-continue',
    'X-Empty': undefined,
  };

  it('keeps end-to-end headers', () => {
    expect(filterRequestHeaders(incoming)).toEqual({
      accept: 'application/json',
      'content-type': 'application/json',
      'x-custom': ['a', 'b'],
    });
  });

  it('merges names differing in case', () => {
    expect(filterRequestHeaders({ 'X-A': '1', 'x-a': '2' })).toEqual({ 'x-a': ['1', '2'] });
  });
});

describe('withAuthorizationOverride', () => {
  it('sets override as authorization', () => {
    const headers = withAuthorizationOverride({ accept: '*/*' }, 'Bearer target');

    expect(headers).toEqual({ accept: '*/*', authorization: 'Bearer target' });
  });

  it('removes authorization without override', () => {
    const headers = withAuthorizationOverride({ authorization: 'Bearer caller' }, undefined);

    expect(headers).toEqual({});
  });
});

describe('filterResponseHeaders', () => {
  it('drops only hop-by-hop headers', () => {
    const headers = filterResponseHeaders({
      'content-type': 'text/plain',
      'content-encoding': 'gzip',
      'content-length': '10',
      'set-cookie': ['a=1', 'b=2'],
      connection: 'keep-alive, x-hop',
      'x-hop': 'yes',
      'keep-alive': 'timeout=5',
      'transfer-encoding': 'chunked',
      'proxy-authenticate': 'Basic',
      location: '/next',
    });

    expect(headers).toEqual({
      'content-type': 'text/plain',
      'content-encoding': 'gzip',
      'content-length': '10',
      'set-cookie': ['a=1', 'b=2'],
      location: '/next',
    });
  });
});
