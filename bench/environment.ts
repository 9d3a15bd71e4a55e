import { X509Certificate } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { makeP12 } from '../test/support/p12-files.js';
import { createTestPki } from '../test/support/pki.js';
import { call, certificateForm } from '../test/support/http.js';
import { type BenchChild, startChild } from './children.js';
import type { GatewayCommand, GatewayReady, GatewayStart } from './gateway-process.js';
import type { GatewayAccess, Scenario } from './scenarios.js';
import type { TargetReady, TargetStart, TargetTally } from './target.js';

const ACCOUNT_ID = 'bench';
/** Milliseconds a child process gets to start: PGlite and its migrations take a few seconds. */
const START_TIMEOUT_MS = 60_000;

/** The client certificate that both paths present, as PEM. */
export interface ClientIdentityPem {
  keyPem: string;
  /** The leaf, then the intermediate and root CAs. */
  chainPem: string;
  /** SHA-256 fingerprint of the leaf, `AB:CD:...` as Node's TLS reports it. */
  fingerprint: string;
}

/** The target and gateway processes, ready to serve, and what the clients need to call them. */
export interface BenchEnvironment {
  targetOrigin: string;
  /** PEM of the root CA that issued the target's certificate and the client certificate. */
  rootCaPem: string;
  client: ClientIdentityPem;
  gateway: GatewayAccess;
  /** File with the gateway's JSON log lines. */
  gatewayLogFile: string;
  /** Returns the target's request and handshake counts so far. */
  tallyTarget(): Promise<TargetTally>;
  /** Starts the V8 CPU profiler in the gateway process. */
  startGatewayProfile(): Promise<void>;
  /** Stops the gateway's CPU profiler and writes the profile to `file` (`.cpuprofile`). */
  stopGatewayProfile(file: string): Promise<void>;
  /** Stops both processes and removes the temporary folder unless `keepFiles` is set. Idempotent. */
  stop(): Promise<void>;
}

export interface EnvironmentOptions {
  scenarios: readonly Scenario[];
  /** Lifetime of the gateway token in seconds. */
  tokenSeconds: number;
  keepFiles: boolean;
}

/**
 * Starts the target and the gateway in their own processes, all on 127.0.0.1, then uploads the
 * client p12 and maps every scenario's URL to it through the gateway's own routes.
 */
export async function startEnvironment(options: EnvironmentOptions): Promise<BenchEnvironment> {
  const workDir = await mkdtemp(path.join(tmpdir(), 'mtls-gateway-bench-'));
  const children: BenchChild<{ type: 'ready' }>[] = [];
  const logFds: number[] = [];
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= stopAll());
  const stopAll = async () => {
    await Promise.all(children.map((child) => child.stop()));
    logFds.forEach((fd) => closeSync(fd));
    if (options.keepFiles) {
      process.stderr.write(`bench: kept logs and data in ${workDir}\n`);
    } else {
      await rm(workDir, { recursive: true, force: true });
    }
  };

  try {
    // 1. Certificates: a root CA, an intermediate CA, the target's certificate and a client p12.
    const pki = createTestPki();
    const p12 = makeP12('with-chain', {
      pki,
      client: pki.issueClient('bench-client.example.test'),
    });
    const caFile = path.join(workDir, 'ca.pem');
    await writeFile(caFile, pki.root.certPem);

    // 2. The target, which accepts only client certificates issued under the root CA.
    const targetLogFd = openSync(path.join(workDir, 'target.log'), 'a');
    logFds.push(targetLogFd);
    const targetStart: TargetStart = {
      keyPem: pki.server.keyPem,
      certPem: pki.server.certPem,
      clientCaPem: pki.root.certPem,
    };
    const target = await startChild<TargetReady>({
      module: './target-process.ts',
      env: process.env,
      outputFd: targetLogFd,
      startMessage: targetStart,
      startTimeoutMs: START_TIMEOUT_MS,
    });
    children.push(target);

    // 3. The gateway, allowed to forward to 127.0.0.1 and trusting the test root CA.
    const gatewayLogFile = path.join(workDir, 'gateway.log');
    const gatewayLogFd = openSync(gatewayLogFile, 'a');
    logFds.push(gatewayLogFd);
    const gatewayStart: GatewayStart = {
      accountId: ACCOUNT_ID,
      tokenSeconds: options.tokenSeconds,
    };
    const gatewayChild = await startChild<GatewayReady>({
      module: './gateway-process.ts',
      env: {
        ...process.env,
        MTLS_DATA_DIR: path.join(workDir, 'data'),
        MTLS_FORWARD_ALLOW: '127.0.0.1',
        MTLS_FORWARD_CA_FILE: caFile,
      },
      outputFd: gatewayLogFd,
      startMessage: gatewayStart,
      startTimeoutMs: START_TIMEOUT_MS,
    });
    children.push(gatewayChild);

    // 4. The certificate and the mappings, through the management routes.
    const gateway: GatewayAccess = {
      url: gatewayChild.ready.url,
      token: gatewayChild.ready.token,
      accountId: ACCOUNT_ID,
    };
    const certificateId = await uploadCertificate(gateway, p12.bytes, p12.password);
    await createMappings(gateway, certificateId, target.ready.origin, options.scenarios);

    return {
      targetOrigin: target.ready.origin,
      rootCaPem: pki.root.certPem,
      client: {
        keyPem: p12.identity.keyPem,
        chainPem: [p12.identity.certPem, ...p12.identity.chainPem].join(''),
        fingerprint: new X509Certificate(p12.identity.certPem).fingerprint256,
      },
      gateway,
      gatewayLogFile,
      tallyTarget: () => target.ask<TargetTally>({ type: 'tally' }),
      startGatewayProfile: () => commandGateway(gatewayChild, { type: 'profile-start' }),
      stopGatewayProfile: (file) => commandGateway(gatewayChild, { type: 'profile-stop', file }),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function commandGateway(
  gateway: BenchChild<GatewayReady>,
  command: GatewayCommand,
): Promise<void> {
  const answer = await gateway.ask<{ type: string; message?: string }>(command);
  if (answer.type !== 'done') {
    throw new Error(`The gateway process failed to run ${command.type}: ${answer.message}`);
  }
}

async function uploadCertificate(
  gateway: GatewayAccess,
  p12: Buffer,
  password: string,
): Promise<number> {
  const response = await call(
    gateway.url,
    'POST',
    `/mtls/account/${gateway.accountId}/certificates/by-file`,
    {
      headers: { authorization: `Bearer ${gateway.token}` },
      body: certificateForm(p12, { name: 'bench-client', password }),
    },
  );
  if (response.status !== 201) {
    throw new Error(`Failed to upload the client p12: status ${response.status}, ${response.text}`);
  }
  return response.body.successfulySavedCertificates[0].id;
}

async function createMappings(
  gateway: GatewayAccess,
  certificateId: number,
  targetOrigin: string,
  scenarios: readonly Scenario[],
): Promise<void> {
  const mappings = scenarios.map((scenario) => ({
    certificationId: certificateId,
    serviceId: 'IDP',
    enable: true,
    url: `${targetOrigin}${scenario.path}`,
    siteId: gateway.accountId,
    name: `bench-${scenario.id}`,
    deleted: false,
  }));
  const response = await call(
    gateway.url,
    'POST',
    `/api/account/${gateway.accountId}/configuration/ac-common/mtls?v=3.0`,
    { headers: { authorization: `Bearer ${gateway.token}` }, json: mappings },
  );
  if (response.status !== 201) {
    throw new Error(`Failed to create the mappings: status ${response.status}, ${response.text}`);
  }
}
