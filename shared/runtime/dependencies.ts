import { mkdir } from 'node:fs/promises';

import { loadConfig } from '../config.js';
import { LocalSecretStore } from '../secrets/local.js';
import type { SecretStore } from '../secrets/port.js';
import type { SqlExecutor } from '../store/executor.js';
import { migrate } from '../store/migrate.js';
import { PgliteExecutor } from '../store/pglite.js';

/** The adapters that handlers use, built once per process (one Lambda container). */
export interface Dependencies {
  sql: SqlExecutor;
  secrets: SecretStore;
}

let current: Promise<Dependencies> | undefined;

/**
 * Returns the process's dependencies, opening them on first use: PGlite under
 * MTLS_DATA_DIR with migrations applied, and the encrypted-file secret store there.
 */
export function getDependencies(): Promise<Dependencies> {
  current ??= openLocalDependencies();
  return current;
}

/** Replaces the dependencies, for tests and for the local gateway that opened them itself. */
export function setDependencies(dependencies: Dependencies): void {
  current = Promise.resolve(dependencies);
}

export async function closeDependencies(): Promise<void> {
  const open = current;
  current = undefined;
  if (open) {
    await (await open).sql.close();
  }
}

export async function openLocalDependencies(dataDir = loadConfig().dataDir): Promise<Dependencies> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const sql = await PgliteExecutor.open(`${dataDir}/pgdata`);
  await migrate(sql);
  const secrets = await LocalSecretStore.open(dataDir, process.env.MTLS_LOCAL_SECRET_KEY);
  return { sql, secrets };
}
