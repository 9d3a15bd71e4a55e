import dns from 'node:dns';
import type { LookupAddress, LookupOptions } from 'node:dns';
import net from 'node:net';

import ipaddr from 'ipaddr.js';

import { GatewayError } from '../errors.js';

type IpAddress = ipaddr.IPv4 | ipaddr.IPv6;
type IpRange = readonly [IpAddress, number];

/** Targets opened by the `MTLS_FORWARD_ALLOW` setting although their addresses are refused. */
export interface AllowList {
  /** Lower-cased host names without a trailing dot. Each opens its host whatever it resolves to. */
  readonly hosts: ReadonlySet<string>;
  /** Address ranges (base address and prefix length) whose addresses are allowed. */
  readonly ranges: readonly IpRange[];
}

/** Resolves a host name to every address it has, in the order the connection should try them. */
export type Resolver = (host: string) => Promise<{ address: string; family: number }[]>;

const LABEL = '[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?';
const HOST_NAME = new RegExp(`^${LABEL}(?:\\.${LABEL})*\\.?$`);

/**
 * IPv4-compatible IPv6 addresses (::/96, a deprecated form), which ipaddr.js 2.5 calls
 * unicast although they embed an IPv4 address.
 */
const REJECTED_UNICAST: readonly IpRange[] = [[ipaddr.parse('::'), 96]];

/**
 * Parses a comma-separated allow-list of host names, IP addresses and CIDR ranges, such as
 * `127.0.0.1,10.0.0.0/8,api.partner.test`. An empty or missing value allows nothing extra.
 *
 * @throws Error naming the entry when one is neither a host name, an IP address nor a CIDR
 * range, because a mistyped allow-list is a deployment error that must stop the start-up.
 */
export function parseAllowList(raw: string | undefined): AllowList {
  const hosts = new Set<string>();
  const ranges: IpRange[] = [];

  for (const entry of (raw ?? '').split(',')) {
    const value = entry.trim().toLowerCase();
    if (value === '') {
      continue;
    }

    const range = parseRange(value);
    const host = range === undefined ? parseHostName(value) : undefined;
    if (range !== undefined) {
      ranges.push(range);
    } else if (host !== undefined) {
      hosts.add(host);
    } else {
      const expected = 'Expected a host name, an IP address or a CIDR range';
      throw new Error(`Invalid MTLS_FORWARD_ALLOW entry "${entry.trim()}". ${expected}.`);
    }
  }

  return { hosts, ranges };
}

/** Parses `10.0.0.0/8`, `::1` or `[::1]`, or returns undefined for anything else. */
function parseRange(value: string): IpRange | undefined {
  const [base = '', prefix, ...rest] = stripBrackets(value).split('/');
  if (rest.length > 0 || net.isIP(base) === 0) {
    return undefined;
  }

  const address = ipaddr.parse(base);
  const maxBits = address.kind() === 'ipv4' ? 32 : 128;
  const bits = prefix === undefined ? maxBits : Number(prefix);
  const prefixValid = prefix === undefined || /^\d{1,3}$/.test(prefix);
  if (!prefixValid || bits > maxBits) {
    return undefined;
  }

  if (address instanceof ipaddr.IPv6 && address.isIPv4MappedAddress() && bits >= 96) {
    return [address.toIPv4Address(), bits - 96];
  }
  return [address, bits];
}

/**
 * Returns the host name as the URL parser writes it, or undefined when the parser would
 * change it (`127.1` becomes `127.0.0.1`) so the entry could never match a target.
 */
function parseHostName(value: string): string | undefined {
  const url = HOST_NAME.test(value) ? URL.parse(`https://${value}/`) : null;
  if (url === null || url.hostname !== value) {
    return undefined;
  }
  return normalizeHost(value);
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function normalizeHost(host: string): string {
  return stripBrackets(host.toLowerCase()).replace(/\.$/, '');
}

/**
 * Checks whether the gateway may connect to `address`, reached through the URL host `host`.
 *
 * An address is allowed when `host` is an allow-listed host name, when the address lies in
 * an allow-listed range, or when it is a public unicast address. Everything else is refused:
 * loopback, RFC 1918 and unique-local (fc00::/7), link-local (169.254.0.0/16 with the cloud
 * metadata address, fe80::/10), carrier-grade NAT (100.64.0.0/10), multicast, broadcast,
 * unspecified, documentation, benchmarking and other reserved ranges, and the IPv6 transition
 * ranges (6to4, Teredo, NAT64, IPv4-compatible). An IPv4-mapped IPv6 address
 * (`::ffff:127.0.0.1`) is judged as the IPv4 address it carries. Text that is not an IP
 * address is refused.
 */
export function isAddressAllowed(address: string, host: string, allow: AllowList): boolean {
  if (allow.hosts.has(normalizeHost(host))) {
    return true;
  }

  const candidate = stripBrackets(address);
  if (net.isIP(candidate.split('%')[0] ?? '') === 0) {
    return false;
  }

  const parsed = ipaddr.process(candidate);
  if (allow.ranges.some((range) => isInRange(parsed, range))) {
    return true;
  }
  if (REJECTED_UNICAST.some((range) => isInRange(parsed, range))) {
    return false;
  }
  return parsed.range() === 'unicast';
}

function isInRange(address: IpAddress, [base, bits]: IpRange): boolean {
  return address.kind() === base.kind() && address.match(base, bits);
}

/**
 * Builds the 400 for a refused target. The message names the host the caller sent and never
 * the addresses it resolved to, so the gateway cannot be used to map internal DNS.
 */
export function targetRejected(host: string): GatewayError {
  const message =
    `The target host ${host} is not allowed because the gateway never connects to ` +
    'loopback, private, link-local, multicast or reserved addresses.';
  return new GatewayError('forward.target_refused', 400, message);
}

/**
 * Resolves `host` once with `resolver` and checks every address it returns.
 *
 * @returns the addresses in resolver order, all of them checked.
 * @throws GatewayError 400 `forward.target_refused` when any address is refused, and the
 * resolver's own error (such as `ENOTFOUND`) when resolution fails.
 */
export async function resolveAllowed(
  host: string,
  allow: AllowList,
  resolver: Resolver = resolveWithDns,
): Promise<LookupAddress[]> {
  const addresses = await resolver(host);
  if (addresses.length === 0) {
    throw notFound(`No address found for ${host}.`);
  }

  if (!addresses.every(({ address }) => isAddressAllowed(address, host, allow))) {
    throw targetRejected(host);
  }
  return addresses.map(({ address, family }) => ({ address, family }));
}

function notFound(message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code: 'ENOTFOUND' });
}

async function resolveWithDns(host: string): Promise<LookupAddress[]> {
  return dns.promises.lookup(host, { all: true, order: 'verbatim' });
}

/**
 * Creates a `lookup` function for `net.connect` and `tls.connect` options. It resolves the
 * host once, checks every address and passes only checked addresses to the socket. The
 * connection therefore goes to an address that was checked, and no second DNS query can
 * change it.
 *
 * Node skips `lookup` for IP-literal hosts, so callers must check those with
 * {@link isAddressAllowed} before connecting.
 */
export function createGuardedLookup(allow: AllowList, resolver?: Resolver): net.LookupFunction {
  return (hostname, options, callback) => {
    resolveAllowed(hostname, allow, resolver)
      .then((addresses) => {
        const matching = filterFamily(addresses, options);
        const [first] = matching;
        if (first === undefined) {
          callback(notFound(`No address of the requested family for ${hostname}.`), []);
        } else if (options.all === true) {
          callback(null, matching);
        } else {
          callback(null, first.address, first.family);
        }
      })
      .catch((error: NodeJS.ErrnoException) => callback(error, []));
  };
}

const FAMILY_NUMBERS: Record<string, number> = { IPv4: 4, IPv6: 6 };

/** Keeps the addresses of the family that `options.family` requests (4, 6, `IPv4`, `IPv6`). */
function filterFamily(addresses: LookupAddress[], options: LookupOptions): LookupAddress[] {
  const requested = options.family;
  const family = typeof requested === 'string' ? FAMILY_NUMBERS[requested] : requested;
  if (family !== 4 && family !== 6) {
    return addresses;
  }
  return addresses.filter((address) => address.family === family);
}
