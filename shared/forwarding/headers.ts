/** Header values keyed by lower-case name, with a repeated header as an array. */
export type HeaderMap = Record<string, string | string[]>;

/** Headers as they arrive from an event or a client, with names in any case. */
export type IncomingHeaders = Record<string, string | string[] | undefined>;

/**
 * Hop-by-hop headers, which describe one connection and never cross the gateway.
 * `Proxy-Connection` is a non-standard one that some clients still send.
 */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * Headers that the outbound connection sets itself: `Host` and `Content-Length` come from the
 * target URL and the body, and `Expect: 100-continue` is negotiated per connection.
 */
const CONNECTION_SET = new Set(['host', 'content-length', 'expect']);

/**
 * Filters the caller's headers for the target. Drops hop-by-hop headers and the headers that
 * `Connection` lists, every `Proxy-*` header, `Host`, `Content-Length`, `Expect`, every
 * `LP-*` header (they are addressed to the gateway) and the caller's `Authorization` (it
 * authenticates the caller to the gateway). Use {@link withAuthorizationOverride} afterwards
 * to send `LP-authorization-override` as the target's `Authorization`.
 */
export function filterRequestHeaders(headers: IncomingHeaders): HeaderMap {
  return pickHeaders(headers, (name) => {
    const gatewayOnly = name === 'authorization' || name.startsWith('lp-');
    return !gatewayOnly && !name.startsWith('proxy-') && !CONNECTION_SET.has(name);
  });
}

/**
 * Filters the target's response headers for the caller. Drops hop-by-hop headers and the
 * headers that `Connection` lists, and keeps everything else, repeated headers as arrays.
 */
export function filterResponseHeaders(headers: IncomingHeaders): HeaderMap {
  return pickHeaders(headers, () => true);
}

/**
 * Returns a copy of filtered request headers with `authorization` set to `override`, the
 * value of `LP-authorization-override`. Without an override the copy has no `authorization`.
 */
export function withAuthorizationOverride(
  headers: HeaderMap,
  override: string | undefined,
): HeaderMap {
  const { authorization: _caller, ...rest } = headers;
  if (override === undefined || override === '') {
    return rest;
  }
  return { ...rest, authorization: override };
}

/**
 * Drops only what the outbound connection must set itself, so headers that a caller already
 * filtered keep their `authorization`.
 */
export function stripConnectionHeaders(headers: IncomingHeaders): HeaderMap {
  return pickHeaders(headers, (name) => !CONNECTION_SET.has(name));
}

/**
 * Copies the headers with lower-case names, dropping hop-by-hop headers, the names that
 * `Connection` lists and the names `keep` rejects. Names that differ only in case are merged.
 */
function pickHeaders(headers: IncomingHeaders, keep: (name: string) => boolean): HeaderMap {
  const listed = connectionOptions(headers);
  const picked = new Map<string, string[]>();

  for (const [rawName, value] of Object.entries(headers)) {
    const name = rawName.toLowerCase();
    if (value === undefined || HOP_BY_HOP.has(name) || listed.has(name) || !keep(name)) {
      continue;
    }

    const values = Array.isArray(value) ? value : [value];
    picked.set(name, [...(picked.get(name) ?? []), ...values]);
  }

  return Object.fromEntries(
    [...picked].map(([name, values]) => [name, values.length === 1 ? values[0] : values]),
  ) as HeaderMap;
}

/** Returns the lower-case names that `Connection` lists, such as `x-trace` in `close, X-Trace`. */
function connectionOptions(headers: IncomingHeaders): Set<string> {
  const options = new Set<string>();

  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() !== 'connection' || value === undefined) {
      continue;
    }

    const values = Array.isArray(value) ? value : [value];
    for (const token of values.join(',').split(',')) {
      options.add(token.trim().toLowerCase());
    }
  }
  return options;
}
