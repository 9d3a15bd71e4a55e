import net from 'node:net';

import { GatewayError } from '../errors.js';
import {
  type AllowList,
  createGuardedLookup,
  isAddressAllowed,
  type Resolver,
  targetRejected,
} from './address-guard.js';
import { AgentCache, type ClientIdentity } from './agents.js';
import { toForwardError } from './failures.js';
import {
  filterResponseHeaders,
  type HeaderMap,
  type IncomingHeaders,
  stripConnectionHeaders,
} from './headers.js';

export type { ClientIdentity } from './agents.js';
export {
  filterRequestHeaders,
  filterResponseHeaders,
  type HeaderMap,
  withAuthorizationOverride,
} from './headers.js';

/** One request to a target, with headers already filtered by `filterRequestHeaders`. */
export interface ForwardRequest {
  url: URL;
  method: string;
  headers: IncomingHeaders;
  body?: Uint8Array;
  /** The client certificate to present; plain TLS without one. */
  identity?: ClientIdentity;
}

export interface ForwardResponse {
  status: number;
  /** Response headers without hop-by-hop ones; `content-length` is the length of `body`. */
  headers: HeaderMap;
  /** The bytes the target sent, still in the encoding named by its `content-encoding`. */
  body: Buffer;
}

export interface ForwardClientOptions {
  /** Targets opened although their addresses are refused. */
  allow: AllowList;
  /** PEM of further CAs trusted for target certificates, beside Node's root certificates. */
  extraCaPem?: string;
  /** Time-out in ms for DNS lookup, TCP connect and TLS handshake together. @default 5000 */
  connectTimeoutMs?: number;
  /** Time-out in ms for the whole request, connecting included. @default 25000 */
  totalTimeoutMs?: number;
  /** Maximum request body in bytes. @default {@link MAX_FORWARD_BODY_BYTES} */
  maxRequestBytes?: number;
  /** Maximum response body in bytes. @default {@link MAX_FORWARD_BODY_BYTES} */
  maxResponseBytes?: number;
  /** Lifetime in ms of an agent and its TLS pools after creation. @default 300000 */
  agentTtlMs?: number;
  /** Accepts `http:` targets, for local development only. @default false */
  allowHttp?: boolean;
  /** Resolves host names for the address guard. @default `dns.promises.lookup`, all addresses */
  resolver?: Resolver;
}

/** Lambda's limit for the request and the response payload of a synchronous invocation. */
const LAMBDA_PAYLOAD_BYTES = 6 * 1024 * 1024;
/** Room left in that payload for headers and the other JSON fields of the event or result. */
const ENVELOPE_RESERVE_BYTES = 256 * 1024;

/**
 * Largest forwarded body, request or response: 4,521,984 bytes. Both cross Lambda as base64,
 * which is 4/3 of the raw size, so a raw 6 MiB body would break the payload limit.
 */
export const MAX_FORWARD_BODY_BYTES = Math.floor(
  ((LAMBDA_PAYLOAD_BYTES - ENVELOPE_RESERVE_BYTES) * 3) / 4,
);
const NO_BODY_STATUSES = new Set([204, 304]);

/**
 * Sends requests to targets over TLS, with a client certificate when the request carries an
 * identity. Targets must pass the address guard, redirects are returned as they are, and
 * bodies are passed through without decompression.
 */
export class ForwardClient {
  readonly #allow: AllowList;
  readonly #agents: AgentCache;
  readonly #schemes: readonly string[];
  readonly #connectTimeoutMs: number;
  readonly #totalTimeoutMs: number;
  readonly #maxRequestBytes: number;
  readonly #maxResponseBytes: number;

  constructor(options: ForwardClientOptions) {
    this.#allow = options.allow;
    this.#schemes = options.allowHttp === true ? ['https:', 'http:'] : ['https:'];
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
    this.#totalTimeoutMs = options.totalTimeoutMs ?? 25_000;
    this.#maxRequestBytes = options.maxRequestBytes ?? MAX_FORWARD_BODY_BYTES;
    this.#maxResponseBytes = options.maxResponseBytes ?? MAX_FORWARD_BODY_BYTES;
    this.#agents = new AgentCache({
      lookup: createGuardedLookup(options.allow, options.resolver),
      extraCaPem: options.extraCaPem,
      connectTimeoutMs: this.#connectTimeoutMs,
      totalTimeoutMs: this.#totalTimeoutMs,
      maxResponseBytes: this.#maxResponseBytes,
      agentTtlMs: options.agentTtlMs ?? 300_000,
    });
  }

  /**
   * Sends `request` and returns the target's status, headers and raw body, whatever the status.
   *
   * @throws GatewayError: 400 `forward.url_scheme`, `forward.target_refused`,
   * `forward.request_invalid` or `forward.identity_invalid`; 413 `forward.request_too_large`;
   * 502 `forward.target_unreachable`, `forward.tls_failed` or `forward.response_too_large`;
   * 504 `forward.connect_timeout` or `forward.timeout`.
   */
  async send(request: ForwardRequest): Promise<ForwardResponse> {
    const { url, body } = request;
    this.#checkTarget(url);
    this.#checkBodySize(body);

    const origin = describeOrigin(url);
    const signal = AbortSignal.timeout(this.#totalTimeoutMs);
    try {
      const agent = this.#agents.get(request.identity);
      const response = await agent.request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: request.method,
        headers: stripConnectionHeaders(request.headers),
        body: body === undefined ? null : body,
        signal,
      });
      const responseBody = Buffer.from(await response.body.arrayBuffer());

      return {
        status: response.statusCode,
        headers: withContentLength(response.statusCode, response.headers, responseBody),
        body: responseBody,
      };
    } catch (error) {
      // The caller logs the failure with its request and mapping ids, and with the undici error
      // as the cause of the problem.
      throw toForwardError(error, {
        origin,
        timedOut: signal.aborted,
        connectTimeoutMs: this.#connectTimeoutMs,
        totalTimeoutMs: this.#totalTimeoutMs,
        maxResponseBytes: this.#maxResponseBytes,
      });
    }
  }

  /** Closes every agent after the requests in progress finish. */
  async close(): Promise<void> {
    await this.#agents.closeAll();
  }

  /**
   * Checks the scheme and, for an IP-literal host, the address: Node connects to an IP
   * literal without calling the guarded lookup.
   */
  #checkTarget(url: URL): void {
    if (!this.#schemes.includes(url.protocol)) {
      const message = `The target URL must use https, not ${url.protocol.slice(0, -1)}.`;
      throw new GatewayError('forward.url_scheme', 400, message);
    }

    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    if (net.isIP(host) !== 0 && !isAddressAllowed(host, host, this.#allow)) {
      throw targetRejected(url.hostname);
    }
  }

  #checkBodySize(body: Uint8Array | undefined): void {
    if (body === undefined || body.byteLength <= this.#maxRequestBytes) {
      return;
    }

    const limit = `the maximum of ${this.#maxRequestBytes} bytes`;
    const message = `The request body is ${body.byteLength} bytes, more than ${limit}.`;
    throw new GatewayError('forward.request_too_large', 413, message);
  }
}

/** Formats `scheme://host:port` with the port always written, for messages and logs. */
function describeOrigin(url: URL): string {
  const defaultPort = url.protocol === 'http:' ? '80' : '443';
  return `${url.protocol}//${url.hostname}:${url.port || defaultPort}`;
}

/**
 * Filters the response headers and sets `content-length` to the bytes returned, which equal
 * the target's own `content-length` because bodies are never decoded. Responses that have no
 * body by definition (204, 304) get none.
 */
function withContentLength(status: number, headers: IncomingHeaders, body: Buffer): HeaderMap {
  const { 'content-length': _target, ...filtered } = filterResponseHeaders(headers);
  if (NO_BODY_STATUSES.has(status)) {
    return filtered;
  }
  return { ...filtered, 'content-length': String(body.length) };
}
