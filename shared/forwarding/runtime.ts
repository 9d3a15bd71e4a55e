import { X509Certificate } from 'node:crypto';
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
    extraCaPem: config.forwardCaFile ? readCaBundle(config.forwardCaFile) : undefined,
    connectTimeoutMs: config.forwardConnectTimeoutMs,
    totalTimeoutMs: config.forwardTimeoutMs,
    agentTtlMs: config.cacheTtlSeconds * 1000,
  });
  return client;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;

/**
 * Reads the PEM bundle of `MTLS_FORWARD_CA_FILE` and checks that every certificate in it
 * parses, so a wrong path or file fails when the client is built instead of on each forward.
 */
export function readCaBundle(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new Error(`MTLS_FORWARD_CA_FILE ${file} could not be read (${reason}).`);
  }

  const certificates = text.match(PEM_CERTIFICATE) ?? [];
  if (certificates.length === 0) {
    throw new Error(`MTLS_FORWARD_CA_FILE ${file} contains no PEM certificate.`);
  }
  for (const [index, pem] of certificates.entries()) {
    try {
      new X509Certificate(pem);
    } catch {
      throw new Error(`MTLS_FORWARD_CA_FILE ${file}: certificate ${index + 1} is not valid PEM.`);
    }
  }
  return text;
}

/** Closes the client so that the next call builds one from the current configuration. */
export async function resetForwardClient(): Promise<void> {
  const previous = client;
  client = undefined;
  await previous?.close();
}
