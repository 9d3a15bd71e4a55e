import { readFileSync } from 'node:fs';

import { loadConfig } from '../config.js';
import { parseAllowList } from './address-guard.js';
import { ForwardClient } from './client.js';

let client: ForwardClient | undefined;

/** Returns the process's forwarding client, built from the configuration on first use. */
export function getForwardClient(): ForwardClient {
  if (client) {
    return client;
  }

  const config = loadConfig();
  client = new ForwardClient({
    allow: parseAllowList(config.forwardAllow),
    extraCaPem: config.forwardCaFile ? readFileSync(config.forwardCaFile, 'utf8') : undefined,
    connectTimeoutMs: config.forwardConnectTimeoutMs,
    totalTimeoutMs: config.forwardTimeoutMs,
    agentTtlMs: config.cacheTtlSeconds * 1000,
  });
  return client;
}

/** Closes the client so that the next call builds one from the current configuration. */
export async function resetForwardClient(): Promise<void> {
  const previous = client;
  client = undefined;
  await previous?.close();
}
