import type net from 'node:net';
import tls from 'node:tls';

import { Agent } from 'undici';

import { GatewayError } from '../errors.js';

/** A client certificate for mutual TLS, as PEM. */
export interface ClientIdentity {
  /** Stable id of this key and chain, such as certificate id and version. Each id has an agent. */
  cacheKey: string;
  privateKeyPem: string;
  /** The leaf certificate first, then the chain from the leaf's issuer upwards. */
  certificateChainPem: string;
}

export interface AgentSettings {
  lookup: net.LookupFunction;
  extraCaPem: string | undefined;
  connectTimeoutMs: number;
  totalTimeoutMs: number;
  maxResponseBytes: number;
  agentTtlMs: number;
}

interface CachedAgent {
  agent: Agent;
  createdAt: number;
}

const PLAIN_KEY = 'plain';

/**
 * Keeps one undici `Agent` per client identity, plus one for plain TLS, each with keep-alive
 * pools per origin. An agent is closed and replaced `agentTtlMs` after its creation, so a
 * rotated certificate reaches new connections within that time. Closing waits for the
 * requests the agent is still sending.
 */
export class AgentCache {
  readonly #settings: AgentSettings;
  readonly #agents = new Map<string, CachedAgent>();

  constructor(settings: AgentSettings) {
    this.#settings = settings;
  }

  /** Returns the agent for `identity`, or the plain TLS agent without one. */
  get(identity: ClientIdentity | undefined): Agent {
    this.#evictExpired(Date.now());

    const key = identity === undefined ? PLAIN_KEY : `identity:${identity.cacheKey}`;
    const cached = this.#agents.get(key);
    if (cached !== undefined) {
      return cached.agent;
    }

    const agent = this.#createAgent(identity);
    this.#agents.set(key, { agent, createdAt: Date.now() });
    return agent;
  }

  /** Closes every agent after its requests finish. */
  async closeAll(): Promise<void> {
    const agents = [...this.#agents.values()].map((cached) => cached.agent);
    this.#agents.clear();
    await Promise.all(agents.map((agent) => agent.close()));
  }

  #evictExpired(now: number): void {
    for (const [key, cached] of this.#agents) {
      if (now - cached.createdAt < this.#settings.agentTtlMs) {
        continue;
      }

      this.#agents.delete(key);
      // close() rejects only for a destroyed agent, which has no connection left to close.
      cached.agent.close().catch(() => undefined);
    }
  }

  #createAgent(identity: ClientIdentity | undefined): Agent {
    const settings = this.#settings;
    const secureContext = createContext(identity, settings.extraCaPem);

    return new Agent({
      // HTTP/1.1 only, so hop-by-hop headers and size limits work the same for every target.
      allowH2: false,
      connect: { secureContext, lookup: settings.lookup, timeout: settings.connectTimeoutMs },
      headersTimeout: settings.totalTimeoutMs,
      bodyTimeout: settings.totalTimeoutMs,
      maxResponseSize: settings.maxResponseBytes,
    });
  }
}

/**
 * Builds the TLS context once per agent: Node's root certificates plus `extraCaPem` for the
 * target, and the identity's key and chain when there is one.
 *
 * @throws GatewayError 400 `forward.identity_invalid` when OpenSSL rejects the key or chain,
 * for example a key that does not match the leaf or a digest it considers too weak.
 */
function createContext(identity: ClientIdentity | undefined, extraCaPem: string | undefined) {
  const ca = [...tls.rootCertificates, ...(extraCaPem === undefined ? [] : [extraCaPem])];
  if (identity === undefined) {
    return tls.createSecureContext({ ca });
  }

  try {
    return tls.createSecureContext({
      ca,
      key: identity.privateKeyPem,
      cert: identity.certificateChainPem,
    });
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'unknown reason';
    const message = `The client certificate cannot be used for TLS (${reason}). Upload another.`;
    throw new GatewayError('forward.identity_invalid', 400, message, { cause: error });
  }
}
