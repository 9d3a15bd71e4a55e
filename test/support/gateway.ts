import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { type LocalGateway, type LocalGatewayOptions, startLocalGateway } from '../../local/gateway.js';
import {
  closeDependencies,
  type Dependencies,
  openLocalDependencies,
  setDependencies,
} from '../../shared/runtime/dependencies.js';

export interface TestGateway {
  url: string;
  dataDir: string;
  dependencies: Dependencies;
  gateway: LocalGateway;
  /** Stops the gateway and closes the database; the data directory stays for a restart. */
  stop(): Promise<void>;
  /** Stops and removes the data directory. */
  close(): Promise<void>;
}

/**
 * Starts the local gateway on 127.0.0.1 with a free port, over PGlite and the encrypted
 * secret files in `dataDir` (a new temporary folder unless given).
 */
export async function startTestGateway(
  options: { dataDir?: string } & LocalGatewayOptions = {},
): Promise<TestGateway> {
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(tmpdir(), 'mtls-gateway-test-')));
  process.env.MTLS_DATA_DIR = dataDir;

  const dependencies = await openLocalDependencies(dataDir);
  setDependencies(dependencies);
  const gateway = await startLocalGateway({ ...options, host: '127.0.0.1', port: 0 });

  const stop = async () => {
    await gateway.close();
    await closeDependencies();
  };
  return {
    url: gateway.url,
    dataDir,
    dependencies,
    gateway,
    stop,
    close: async () => {
      await stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
