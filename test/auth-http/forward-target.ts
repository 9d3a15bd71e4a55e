import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { resetForwardClient } from '../../shared/forwarding/runtime.js';
import type { TestPki } from '../support/pki.js';
import { startTlsServer, type TestServer } from '../support/tls-servers.js';

/** A TLS echo server on 127.0.0.1 that this process's forwards may reach. */
export interface ForwardTarget {
  server: TestServer;
  stop(): Promise<void>;
}

/**
 * Starts a TLS echo server with the PKI's server certificate, then points MTLS_FORWARD_ALLOW
 * at 127.0.0.1 and MTLS_FORWARD_CA_FILE at the PKI's root CA. The forwarding client reads
 * both when it is built, so it is reset before and after.
 */
export async function startForwardTarget(pki: TestPki): Promise<ForwardTarget> {
  const folder = await mkdtemp(path.join(tmpdir(), 'mtls-auth-http-ca-'));
  const caFile = path.join(folder, 'root-ca.pem');
  await writeFile(caFile, pki.root.certPem);

  const previous = {
    allow: process.env.MTLS_FORWARD_ALLOW,
    caFile: process.env.MTLS_FORWARD_CA_FILE,
  };
  process.env.MTLS_FORWARD_ALLOW = '127.0.0.1';
  process.env.MTLS_FORWARD_CA_FILE = caFile;
  await resetForwardClient();

  const server = await startTlsServer({ keyPem: pki.server.keyPem, certPem: pki.server.certPem });
  return {
    server,
    stop: async () => {
      await server.stop();
      await resetForwardClient();
      restoreVariable('MTLS_FORWARD_ALLOW', previous.allow);
      restoreVariable('MTLS_FORWARD_CA_FILE', previous.caFile);
      await rm(folder, { recursive: true, force: true });
    },
  };
}

function restoreVariable(name: string, value: string | undefined): void {
  if (value === undefined) {
    delete process.env[name];
  } else {
    process.env[name] = value;
  }
}
