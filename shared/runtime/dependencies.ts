import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { loadConfig } from '../config.js';
import { logger } from '../logger.js';
import { LocalSecretStore } from '../secrets/local.js';
import type { SecretStore } from '../secrets/port.js';
import type { SqlExecutor } from '../store/executor.js';
import { migrate } from '../store/migrate.js';
import { PgliteExecutor } from '../store/pglite.js';

/** The adapters that handlers use, built once per process (one Lambda container). */
export interface Dependencies {
  sql: SqlExecutor;
  secrets: SecretStore;
  /** Closes the database and releases the data folder lock, if the adapters took one. */
  close(): Promise<void>;
}

/** File in the data folder that contains the pid and start time of the process using it. */
export const DATA_LOCK_FILE = 'gateway.lock';
const MAX_LOCK_ATTEMPTS = 5;

/** Absolute paths of the lock files that this process created and has not released. */
const heldLocks = new Set<string>();

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
    await (await open).close();
  }
}

/**
 * Opens PGlite and the secret store in `dataDir`, after taking the folder's lock file.
 * PGlite does not lock its files, so two processes on one folder would both write and lose
 * rows. Throws when another live process holds the lock.
 */
export async function openLocalDependencies(dataDir = loadConfig().dataDir): Promise<Dependencies> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const releaseLock = await lockDataFolder(dataDir);

  let sql: PgliteExecutor | undefined;
  try {
    // The secret store opens first, so an invalid MTLS_LOCAL_SECRET_KEY stops before PGlite.
    const secrets = await LocalSecretStore.open(dataDir, process.env.MTLS_LOCAL_SECRET_KEY);
    sql = await PgliteExecutor.open(`${dataDir}/pgdata`);
    await migrate(sql);

    const database = sql;
    const close = async () => {
      try {
        await database.close();
      } finally {
        await releaseLock();
      }
    };
    return { sql, secrets, close };
  } catch (error) {
    await sql?.close();
    await releaseLock();
    throw error;
  }
}

/**
 * Creates `<dataDir>/gateway.lock` containing this process's pid and start time, and returns
 * the function that removes it. A lock is stale, and is replaced, when its process exited,
 * when its pid now belongs to a process with another start time (a reused pid), or when it
 * contains this process's pid although this process has not taken it.
 */
async function lockDataFolder(dataDir: string): Promise<() => Promise<void>> {
  const lockFile = path.join(path.resolve(dataDir), DATA_LOCK_FILE);
  const startTime = await readProcessStartTime(process.pid);
  const content = startTime === undefined ? `${process.pid}\n` : `${process.pid}\n${startTime}\n`;

  for (let attempt = 0; attempt < MAX_LOCK_ATTEMPTS; attempt += 1) {
    if (await createExclusive(lockFile, content)) {
      heldLocks.add(lockFile);
      return () => releaseDataFolder(lockFile, content);
    }

    const holder = await readLockHolder(lockFile);
    if (holder === undefined) {
      continue;
    }
    const staleReason = await findStaleReason(lockFile, holder);
    if (staleReason === undefined) {
      throw new Error(
        `Data folder ${dataDir} is in use by process ${holder.pid} (lock file ${lockFile}). ` +
          'Stop that gateway, or set MTLS_DATA_DIR to another folder.',
      );
    }
    await removeStaleLock(lockFile, holder.content);
    logger.warn('Replaced a stale data folder lock', {
      dataDir,
      stalePid: holder.pid,
      reason: staleReason,
    });
  }

  throw new Error(
    `Failed to lock data folder ${dataDir} after ${MAX_LOCK_ATTEMPTS} attempts, because other processes kept taking ${lockFile}.`,
  );
}

/**
 * Returns why the lock of `holder` is stale, or undefined while its process still uses the
 * folder. A lock without a start time (written before start times were recorded, or where
 * /proc is missing) is judged by the pid's liveness alone.
 */
async function findStaleReason(lockFile: string, holder: LockHolder): Promise<string | undefined> {
  if (holder.pid === process.pid) {
    // The lock is this process's own while an earlier open of the folder is not closed. Otherwise
    // an earlier process with the same pid left it, as happens when a container restarts.
    return heldLocks.has(lockFile) ? undefined : 'own pid';
  }

  if (!isProcessAlive(holder.pid)) {
    return 'process exited';
  }

  if (holder.startTime === undefined) {
    return undefined;
  }
  const currentStartTime = await readProcessStartTime(holder.pid);
  if (currentStartTime !== undefined && currentStartTime !== holder.startTime) {
    return 'pid reused';
  }
  return undefined;
}

/**
 * Reads the start time of a process in clock ticks after boot, field 22 of
 * `/proc/<pid>/stat` on Linux. Returns undefined where /proc is missing or the process is gone.
 */
async function readProcessStartTime(pid: number): Promise<string | undefined> {
  let stat: string;
  try {
    stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }

  // Field 2 is the command name in parentheses, which may itself contain spaces and ')'. The
  // fields after the last ')' start at field 3, so field 22 is the 20th of them.
  const fields = stat
    .slice(stat.lastIndexOf(')') + 1)
    .trim()
    .split(/\s+/);
  const startTime = fields[19];
  return startTime !== undefined && /^\d+$/.test(startTime) ? startTime : undefined;
}

/**
 * Creates `file` with `content` unless it exists. The content goes to a temporary file first
 * (opened with `wx`) and link() then fails with EEXIST on an existing lock, so no process
 * ever reads a lock file without its pid.
 */
async function createExclusive(file: string, content: string): Promise<boolean> {
  const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temporary, content, { mode: 0o600, flag: 'wx' });
  try {
    await link(temporary, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      return false;
    }
    throw error;
  } finally {
    await rm(temporary, { force: true });
  }
}

interface LockHolder {
  pid: number;
  /** Start time of the process in clock ticks after boot, when the lock records one. */
  startTime: string | undefined;
  /** The whole lock file, compared again before the file is removed. */
  content: string;
}

/**
 * Reads the pid and the optional start time in a lock file, or returns undefined when the
 * file is gone. The file contains the pid on the first line and the start time on the second.
 */
async function readLockHolder(lockFile: string): Promise<LockHolder | undefined> {
  let content: string;
  try {
    content = await readFile(lockFile, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return undefined;
    }
    throw error;
  }

  // Only a positive pid is safe to probe, because process.kill() signals a process group for 0
  // and negative pids.
  const match = /^(\d+)(?:\n(\d+))?$/.exec(content.trim());
  const pid = match ? Number(match[1]) : 0;
  if (!Number.isSafeInteger(pid) || pid < 1) {
    throw new Error(
      `Lock file ${lockFile} does not contain a process id. Remove it if no gateway uses that folder.`,
    );
  }
  return { pid, startTime: match?.[2], content };
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM means that the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes a stale lock. The lock is first renamed to a unique name, so only one of two
 * processes that found the same stale lock moves it. When the moved file is not the stale
 * one, another process took the lock in between, and the file is put back.
 */
async function removeStaleLock(lockFile: string, staleContent: string): Promise<void> {
  const moved = `${lockFile}.${randomBytes(6).toString('hex')}.stale`;
  try {
    await rename(lockFile, moved);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return;
    }
    throw error;
  }

  try {
    if ((await readFile(moved, 'utf8')) !== staleContent) {
      await link(moved, lockFile);
    }
  } catch (error) {
    // NOTE: when a third process created a lock in this gap, the moved holder runs on
    // without a lock file. The caller's next attempt finds the third process's lock.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw error;
    }
  } finally {
    await rm(moved, { force: true });
  }
}

/** Removes the lock file if it still contains this process's pid. */
async function releaseDataFolder(lockFile: string, content: string): Promise<void> {
  heldLocks.delete(lockFile);
  try {
    if ((await readFile(lockFile, 'utf8')) !== content) {
      return;
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return;
    }
    throw error;
  }
  await rm(lockFile, { force: true });
}
