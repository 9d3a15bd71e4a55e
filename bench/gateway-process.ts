/**
 * Child process of the bench: the local gateway over PGlite and the encrypted secret files in
 * MTLS_DATA_DIR, set up as `npm start` does but with throttling off. Its JSON log lines go to
 * stdout, which the parent points at a file. It stops when the parent closes the IPC channel.
 */
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';

import { signDevToken } from '../shared/auth/jwt.js';
import { loadConfig } from '../shared/config.js';
import { resetForwardClient } from '../shared/forwarding/runtime.js';
import { tokenSettings } from '../shared/http/authentication.js';
import {
  closeDependencies,
  openLocalDependencies,
  setDependencies,
} from '../shared/runtime/dependencies.js';
import { startLocalGateway } from '../local/gateway.js';
import { onParentGone, type ReadyMessage } from './children.js';

/** The parent's first message to the gateway process. */
export interface GatewayStart {
  accountId: string;
  /** Lifetime of the returned token in seconds, longer than the whole run. */
  tokenSeconds: number;
}

export interface GatewayReady extends ReadyMessage {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** A Bearer token for `accountId` with every permission. */
  token: string;
}

async function start(message: GatewayStart): Promise<GatewayReady> {
  const { dataDir } = loadConfig();
  setDependencies(await openLocalDependencies(dataDir));
  // The bench sends thousands of requests per second from one address.
  const gateway = await startLocalGateway({ host: '127.0.0.1', port: 0, rateLimitRps: 0 });

  onParentGone(async () => {
    await gateway.close();
    await resetForwardClient();
    await closeDependencies();
  });

  const token = await signDevToken({
    dataDir,
    account: [message.accountId],
    permissions: ['mtls.read', 'mtls.write', 'mtls.forward'],
    expiresInSeconds: message.tokenSeconds,
    ...tokenSettings(),
  });
  return { type: 'ready', url: gateway.url, token };
}

/** Later messages: start the CPU profiler, or stop it and write the profile to `file`. */
export type GatewayCommand = { type: 'profile-start' } | { type: 'profile-stop'; file: string };

const profiler = new Session();

async function runCommand(command: GatewayCommand): Promise<void> {
  if (command.type === 'profile-start') {
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
    return;
  }

  const { profile } = await profiler.post('Profiler.stop');
  profiler.disconnect();
  await writeFile(command.file, JSON.stringify(profile));
}

process.once('message', (message: GatewayStart) => {
  process.on('message', (command: GatewayCommand) => {
    runCommand(command).then(
      () => process.send!({ type: 'done' }),
      (error: unknown) => process.send!({ type: 'failed', message: String(error) }),
    );
  });

  start(message).then(
    (ready) => process.send!(ready),
    (error: unknown) => {
      process.stderr.write(`Gateway failed to start: ${String(error)}\n`);
      process.exit(1);
    },
  );
});
