import { createHmac } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { computeSignature, signatureBaseString } from '../../shared/auth/oauth1.js';
import { percentEncode, splitRequestUrl } from '../../shared/auth/oauth1-encoding.js';

// The worked example of RFC 5849 section 3.4.1.1. The host is only hashed, never contacted.
const RFC_URL = 'http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b';
const RFC_PROTOCOL: [string, string][] = [
  ['oauth_consumer_key', '9djdj82h48djs9d2'],
  ['oauth_token', 'kkk9d7dh3k39sjv7'],
  ['oauth_signature_method', 'HMAC-SHA1'],
  ['oauth_timestamp', '137131201'],
  ['oauth_nonce', '7d8f3e4a'],
];
const RFC_BODY: [string, string][] = [
  ['c2', ''],
  ['a3', '2 q'],
];
const RFC_BASE_STRING =
  'POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7';

describe('signatureBaseString', () => {
  it('matches RFC 5849 example', () => {
    const baseString = signatureBaseString({
      method: 'POST',
      url: RFC_URL,
      params: [...RFC_PROTOCOL, ...RFC_BODY],
    });

    expect(baseString).toBe(RFC_BASE_STRING);
  });

  it('upper-cases lower-case method', () => {
    const baseString = signatureBaseString({
      method: 'get',
      url: 'https://127.0.0.1/p',
      params: [],
    });

    expect(baseString.startsWith('GET&')).toBe(true);
  });

  it('leaves out oauth_signature everywhere', () => {
    const baseString = signatureBaseString({
      method: 'GET',
      url: 'https://127.0.0.1/p?oauth_signature=q',
      params: [
        ['oauth_signature', 'h'],
        ['a', '1'],
      ],
    });

    expect(baseString).toBe('GET&https%3A%2F%2F127.0.0.1%2Fp&a%3D1');
  });

  it('sorts equal names by value', () => {
    const baseString = signatureBaseString({
      method: 'GET',
      url: 'https://127.0.0.1/p?a=z&a=b',
      params: [['a', 'm']],
    });

    expect(baseString).toBe('GET&https%3A%2F%2F127.0.0.1%2Fp&a%3Db%26a%3Dm%26a%3Dz');
  });

  it('sorts name prefixes first', () => {
    const baseString = signatureBaseString({
      method: 'GET',
      url: 'https://127.0.0.1/p?a2=1&a=2',
      params: [],
    });

    expect(baseString).toBe('GET&https%3A%2F%2F127.0.0.1%2Fp&a%3D2%26a2%3D1');
  });
});

describe('computeSignature', () => {
  it('matches RFC 5849 example', () => {
    const signature = computeSignature(RFC_BASE_STRING, 'j49sk3j29djd', 'dh893hdasih9');

    expect(signature).toBe('r6/TJjbCOr97/+UU0NsvSne7s5g=');
  });

  it('percent-encodes secrets in key', () => {
    const expected = createHmac('sha1', 'a%20b&c%26d').update('GET&x&').digest('base64');

    expect(computeSignature('GET&x&', 'a b', 'c&d')).toBe(expected);
  });
});

describe('percentEncode', () => {
  it.each([
    ['AZaz09-._~', 'AZaz09-._~'],
    [' ', '%20'],
    ['+', '%2B'],
    ['*', '%2A'],
    ["!'()", '%21%27%28%29'],
    ['=&%', '%3D%26%25'],
    ['é', '%C3%A9'],
    ['☃', '%E2%98%83'],
  ])('encodes %j as %j', (value, expected) => {
    expect(percentEncode(value)).toBe(expected);
  });
});

describe('splitRequestUrl', () => {
  it.each([
    ['HTTPS://LocalHost:443/a/B', 'https://localhost/a/B'],
    ['http://127.0.0.1:80/p', 'http://127.0.0.1/p'],
    ['https://127.0.0.1:8443/p', 'https://127.0.0.1:8443/p'],
    ['http://127.0.0.1:443/p', 'http://127.0.0.1:443/p'],
    ['https://127.0.0.1', 'https://127.0.0.1/'],
    ['https://[::1]:8443/p?x=1', 'https://[::1]:8443/p'],
    ['https://[::1]/p', 'https://[::1]/p'],
    ['https://127.0.0.1/p%20q?x=1#frag', 'https://127.0.0.1/p%20q'],
  ])('turns %s into base URI', (url, expected) => {
    expect(splitRequestUrl(url).baseUri).toBe(expected);
  });

  it('returns raw query', () => {
    expect(splitRequestUrl('https://127.0.0.1/p?a=1+2&b=%20#f').query).toBe('a=1+2&b=%20');
  });

  it('returns undefined without query', () => {
    expect(splitRequestUrl('https://127.0.0.1/p').query).toBeUndefined();
  });

  it.each([
    '/relative/path',
    'https://user:pass@127.0.0.1/p',
    'https:///p',
    'https://127.0.0.1:x/p',
  ])('rejects %s', (url) => {
    expect(() => splitRequestUrl(url)).toThrow(URIError);
  });
});
