import { describe, expect, it } from 'vitest';

import { MAX_URL_LENGTH, normalizeUrl, parseTargetUrl } from '../../shared/forwarding/url.js';
import { errorOf } from '../support/errors.js';

describe('normalizeUrl', () => {
  const equalPairs: [string, string][] = [
    ['HTTPS://API.Example.COM/a', 'https://api.example.com/a'],
    ['https://api.example.com:443/a', 'https://api.example.com/a'],
    ['http://api.example.com:80/a', 'http://api.example.com/a'],
    ['https://api.example.com', 'https://api.example.com/'],
    ['https://api.example.com/a?x=1#top', 'https://api.example.com/a'],
    ['https://api.example.com/%7euser/%41', 'https://api.example.com/~user/A'],
    ['https://api.example.com/a%2db%2E%5F', 'https://api.example.com/a-b._'],
    ['https://api.example.com/a%2fb', 'https://api.example.com/a%2Fb'],
    ['https://api.example.com/%c3%a9', 'https://api.example.com/%C3%A9'],
    ['https://api.example.com/é', 'https://api.example.com/%C3%A9'],
    ['https://api.example.com/a/./b/../c', 'https://api.example.com/a/c'],
    ['https://BÜCHER.example/', 'https://xn--bcher-kva.example/'],
    ['https://[0:0:0:0:0:0:0:1]/', 'https://[::1]/'],
    ['https://[::FFFF:127.0.0.1]/', 'https://[::ffff:7f00:1]/'],
    ['https://2130706433/', 'https://127.0.0.1/'],
    ['https://user:secret@api.example.com/a', 'https://api.example.com/a'],
  ];

  it.each(equalPairs)('treats %s as %s', (left, right) => {
    expect(normalizeUrl(left)).toBe(normalizeUrl(right));
  });

  const unequalPairs: [string, string][] = [
    ['https://api.example.com/a', 'https://api.example.com/a/'],
    ['https://api.example.com/a', 'https://api.example.com/A'],
    ['https://api.example.com/a', 'http://api.example.com/a'],
    ['https://api.example.com/a', 'https://api.example.com:8443/a'],
    ['https://api.example.com/a%2Fb', 'https://api.example.com/a/b'],
    ['https://api.example.com/a', 'https://other.example.com/a'],
  ];

  it.each(unequalPairs)('keeps %s apart from %s', (left, right) => {
    expect(normalizeUrl(left)).not.toBe(normalizeUrl(right));
  });

  it('writes canonical form', () => {
    expect(normalizeUrl('HTTPS://Api.Example.com:443/v1/%7eItems/?q=1')).toBe(
      'https://api.example.com/v1/~Items/',
    );
  });

  it('rejects relative URL', () => {
    const error = errorOf(() => normalizeUrl('/relative/path'));

    expect(error.status).toBe(400);
    expect(error.code).toBe('forward.url_invalid');
  });
});

describe('parseTargetUrl', () => {
  const field = 'header:LP-forward-url';

  it('returns parsed https URL', () => {
    const url = parseTargetUrl('https://api.example.com/a?b=1', field);

    expect(url.href).toBe('https://api.example.com/a?b=1');
  });

  it.each([undefined, '', '   '])('rejects missing value %j', (raw) => {
    const error = errorOf(() => parseTargetUrl(raw, field));

    expect(error.status).toBe(400);
    expect(error.code).toBe('forward.url_missing');
    expect(error.errors).toEqual([{ field, message: expect.stringContaining('missing') }]);
  });

  const invalid = [
    '/relative',
    'api.example.com/a',
    'https://',
    'not a url',
    'https:///api.example.com/a',
    'https:api.example.com/a',
    'https://api.example.com/a\u0000b',
    'https://api.example.com/a b',
    'https://api.example.com/a\r\nX-Injected: 1',
    'https://api.example.com:0/a',
    `https://${'a'.repeat(64)}.example.com/`,
    `https://${'abcdefghi.'.repeat(26)}com/`,
  ];
  it.each(invalid)('rejects invalid %s', (raw) => {
    const error = errorOf(() => parseTargetUrl(raw, field));

    expect(error.code).toBe('forward.url_invalid');
    expect(error.errors?.[0]?.field).toBe(field);
  });

  it.each(['http://api.example.com/', 'ftp://api.example.com/', 'file:///etc/passwd'])(
    'rejects scheme of %s',
    (raw) => {
      const error = errorOf(() => parseTargetUrl(raw, field));

      expect(error.code).toBe('forward.url_scheme');
    },
  );

  it('accepts http when allowed', () => {
    const url = parseTargetUrl('http://127.0.0.1:8080/', field, { allowHttp: true });

    expect(url.protocol).toBe('http:');
  });

  it('rejects userinfo without echoing password', () => {
    const error = errorOf(() => parseTargetUrl('https://user:s3cr3t@api.example.com/', field));

    expect(error.code).toBe('forward.url_userinfo');
    expect(error.message).not.toContain('s3cr3t');
    expect(JSON.stringify(error.errors)).not.toContain('s3cr3t');
  });

  it('rejects user name alone', () => {
    const error = errorOf(() => parseTargetUrl('https://user@api.example.com/', field));

    expect(error.code).toBe('forward.url_userinfo');
  });

  it('rejects URL over maximum length', () => {
    const raw = `https://api.example.com/${'a'.repeat(MAX_URL_LENGTH)}`;

    const error = errorOf(() => parseTargetUrl(raw, field));

    expect(error.code).toBe('forward.url_too_long');
    expect(error.message).toContain(String(MAX_URL_LENGTH));
  });

  it('accepts URL at maximum length', () => {
    const prefix = 'https://api.example.com/';
    const raw = `${prefix}${'a'.repeat(MAX_URL_LENGTH - prefix.length)}`;

    expect(parseTargetUrl(raw, field).pathname.length).toBe(MAX_URL_LENGTH - prefix.length + 1);
  });
});
