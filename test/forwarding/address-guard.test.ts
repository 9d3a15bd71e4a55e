import type { LookupAddress } from 'node:dns';

import { describe, expect, it } from 'vitest';

import { GatewayError } from '../../shared/errors.js';
import {
  createGuardedLookup,
  isAddressAllowed,
  parseAllowList,
  type Resolver,
} from '../../shared/forwarding/address-guard.js';

const NOTHING = parseAllowList(undefined);

describe('isAddressAllowed', () => {
  // Only strings are classified here; no test connects to these addresses.
  const rejected = [
    '127.0.0.1',
    '127.255.255.254',
    '10.1.2.3',
    '172.16.0.1',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '255.255.255.255',
    '224.0.0.1',
    '240.0.0.1',
    '192.0.2.1',
    '198.51.100.1',
    '203.0.113.1',
    '198.18.0.1',
    '::',
    '::1',
    '::ffff:127.0.0.1',
    '::ffff:169.254.169.254',
    '::ffff:10.0.0.1',
    '::127.0.0.1',
    'fc00::1',
    'fd12:3456::1',
    'fe80::1',
    'fe80::1%eth0',
    'ff02::1',
    '2001:db8::1',
    '2002:7f00:1::1',
    '2001:0:4136:e378::1',
    '64:ff9b::7f00:1',
    'not-an-address',
    '',
  ];

  it.each(rejected)('rejects %s', (address) => {
    expect(isAddressAllowed(address, 'target.test', NOTHING)).toBe(false);
  });

  it.each(['93.184.215.14', '8.8.8.8', '2606:4700:4700::1111', '::ffff:93.184.215.14'])(
    'allows public %s',
    (address) => {
      expect(isAddressAllowed(address, 'target.test', NOTHING)).toBe(true);
    },
  );

  it('allows address inside CIDR', () => {
    const allow = parseAllowList('10.0.0.0/8');

    expect(isAddressAllowed('10.20.30.40', 'target.test', allow)).toBe(true);
  });

  it('refuses address outside CIDR', () => {
    const allow = parseAllowList('10.0.0.0/8');

    expect(isAddressAllowed('192.168.0.1', 'target.test', allow)).toBe(false);
  });

  it('judges mapped address by IPv4 entry', () => {
    const allow = parseAllowList('127.0.0.1');

    expect(isAddressAllowed('::ffff:127.0.0.1', '[::ffff:7f00:1]', allow)).toBe(true);
    expect(isAddressAllowed('::ffff:127.0.0.2', '[::ffff:7f00:2]', allow)).toBe(false);
  });

  it('allows any address of listed host', () => {
    const allow = parseAllowList('API.Partner.test.');

    expect(isAddressAllowed('10.0.0.5', 'api.partner.test', allow)).toBe(true);
    expect(isAddressAllowed('10.0.0.5', 'other.partner.test', allow)).toBe(false);
  });

  it('allows IPv6 entry in brackets', () => {
    const allow = parseAllowList('[::1]');

    expect(isAddressAllowed('::1', '[::1]', allow)).toBe(true);
  });
});

describe('parseAllowList', () => {
  it('reads hosts and ranges', () => {
    const allow = parseAllowList(' 127.0.0.1 , 10.0.0.0/8,api.partner.test,fd00::/8 ,');

    expect([...allow.hosts]).toEqual(['api.partner.test']);
    expect(allow.ranges.map(([base, bits]) => `${base.toString()}/${bits}`)).toEqual([
      '127.0.0.1/32',
      '10.0.0.0/8',
      'fd00::/8',
    ]);
  });

  it('reads mapped entry as IPv4', () => {
    const allow = parseAllowList('::ffff:127.0.0.1');

    expect(allow.ranges.map(([base, bits]) => `${base.toString()}/${bits}`)).toEqual([
      '127.0.0.1/32',
    ]);
  });

  const invalidEntries = ['10.0.0.0/33', '10.0.0.0/', '10.0.0.0/x', 'https://api.test', 'a b'];
  it.each([...invalidEntries, '127.1', 'host:443'])('rejects entry %s', (entry) => {
    expect(() => parseAllowList(entry)).toThrow(`Invalid MTLS_FORWARD_ALLOW entry "${entry}"`);
  });
});

describe('createGuardedLookup', () => {
  type LookupResult = { error: NodeJS.ErrnoException | null; address: unknown; family?: number };

  function lookup(resolver: Resolver, options: { all?: boolean; family?: number }) {
    const guarded = createGuardedLookup(parseAllowList('127.0.0.1,::1'), resolver);
    return new Promise<LookupResult>((resolve) => {
      guarded('target.test', options, (error, address, family) => {
        resolve({ error, address, family });
      });
    });
  }

  const both: Resolver = async () => [
    { address: '::1', family: 6 },
    { address: '127.0.0.1', family: 4 },
  ];

  it('returns every checked address', async () => {
    const result = await lookup(both, { all: true });

    expect(result.error).toBeNull();
    expect(result.address).toEqual([
      { address: '::1', family: 6 },
      { address: '127.0.0.1', family: 4 },
    ] satisfies LookupAddress[]);
  });

  it('returns first address without all', async () => {
    const result = await lookup(both, {});

    expect(result.address).toBe('::1');
    expect(result.family).toBe(6);
  });

  it('filters requested family', async () => {
    const result = await lookup(both, { family: 4 });

    expect(result.address).toBe('127.0.0.1');
  });

  it('fails on rejected address', async () => {
    const resolver: Resolver = async () => [
      { address: '127.0.0.1', family: 4 },
      { address: '169.254.169.254', family: 4 },
    ];

    const result = await lookup(resolver, { all: true });

    expect(result.error).toBeInstanceOf(GatewayError);
    expect((result.error as GatewayError).code).toBe('forward.target_refused');
    expect(result.error?.message).not.toContain('169.254');
  });

  it('fails on empty answer', async () => {
    const result = await lookup(async () => [], { all: true });

    expect(result.error?.code).toBe('ENOTFOUND');
  });

  it('passes resolver errors through', async () => {
    const resolver: Resolver = async () => {
      throw Object.assign(new Error('timeout'), { code: 'EAI_AGAIN' });
    };

    const result = await lookup(resolver, { all: true });

    expect(result.error?.code).toBe('EAI_AGAIN');
  });
});
