import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import {
  DATA_LOCK_FILE,
  type Dependencies,
  openLocalDependencies,
} from '../../shared/runtime/dependencies.js';
import { setEnvironment } from '../support/forwarding.js';

let dataDir: string;
let opened: Dependencies[];

/** Opens the folder and closes the result after the test. */
async function open(): Promise<Dependencies> {
  const dependencies = await openLocalDependencies(dataDir);
  opened.push(dependencies);
  return dependencies;
}

/** Returns the message of the error that `promise` rejects with. */
async function failureOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('Expected the promise to reject.');
}

/** Returns the pid of a process that has exited and been reaped, so it is no longer alive. */
async function exitedPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await once(child, 'exit');
  return child.pid!;
}

function lockFile(): string {
  return path.join(dataDir, DATA_LOCK_FILE);
}

/** Reads field 22 of /proc/<pid>/stat, the process start time in clock ticks after boot. */
async function startTimeOf(pid: number): Promise<string> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const afterName = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return afterName[22 - 3]!;
}

/** Starts a Node process that waits for stdin to close, and returns it once it runs. */
async function startSleeper(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', 'process.stdin.resume()'], {
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  await once(child, 'spawn');
  return child;
}

async function stopSleeper(child: ChildProcess): Promise<void> {
  const exited = once(child, 'exit');
  child.stdin!.end();
  await exited;
}

const hasProc = existsSync('/proc/self/stat');

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'mtls-data-lock-'));
  opened = [];
});

afterEach(async () => {
  for (const dependencies of opened) {
    await dependencies.close();
  }
  await rm(dataDir, { recursive: true, force: true });
});

describe('data folder lock', () => {
  it('writes the pid while open', async () => {
    await open();

    const lines = (await readFile(lockFile(), 'utf8')).split('\n');
    expect(lines[0]).toBe(`${process.pid}`);
  });

  it.runIf(hasProc)('writes the start time while open', async () => {
    await open();

    const lines = (await readFile(lockFile(), 'utf8')).split('\n');
    expect(lines[1]).toBe(await startTimeOf(process.pid));
    expect(lines).toHaveLength(3);
  });

  it('rejects second open naming pid', async () => {
    await open();

    const message = await failureOf(openLocalDependencies(dataDir));

    expect(message).toContain(`Data folder ${dataDir} is in use by process ${process.pid}`);
    expect(message).toContain('set MTLS_DATA_DIR to another folder');
  });

  it('rejects lock of live process', async () => {
    await writeFile(lockFile(), `${process.ppid}\n`);

    const message = await failureOf(openLocalDependencies(dataDir));

    expect(message).toContain(`is in use by process ${process.ppid}`);
    expect(await readFile(lockFile(), 'utf8')).toBe(`${process.ppid}\n`);
  });

  it('removes lock on close', async () => {
    const dependencies = await open();

    await dependencies.close();
    opened = [];

    expect(await readdir(dataDir)).not.toContain(DATA_LOCK_FILE);
  });

  it('opens again after close', async () => {
    const first = await open();
    await first.sql.execute('CREATE TABLE lock_probe (value text)');
    await first.sql.execute("INSERT INTO lock_probe VALUES ('kept')");
    await first.close();
    opened = [];

    const second = await open();
    const rows = await second.sql.execute<{ value: string }>('SELECT value FROM lock_probe');

    expect(rows).toEqual([{ value: 'kept' }]);
  });

  it('replaces stale lock', async () => {
    const stalePid = await exitedPid();
    await writeFile(lockFile(), `${stalePid}\n`);

    await open();

    expect((await readFile(lockFile(), 'utf8')).split('\n')[0]).toBe(`${process.pid}`);
  });

  it('replaces lock of own pid', async () => {
    await writeFile(lockFile(), `${process.pid}\n`);

    await open();

    expect((await readFile(lockFile(), 'utf8')).split('\n')[0]).toBe(`${process.pid}`);
  });

  it.runIf(hasProc)('replaces lock of reused pid', async () => {
    const sleeper = await startSleeper();
    try {
      const wrongStartTime = `${Number(await startTimeOf(sleeper.pid!)) + 1}`;
      await writeFile(lockFile(), `${sleeper.pid}\n${wrongStartTime}\n`);

      await open();
    } finally {
      await stopSleeper(sleeper);
    }

    expect((await readFile(lockFile(), 'utf8')).split('\n')[0]).toBe(`${process.pid}`);
  });

  it.runIf(hasProc)('rejects lock with matching start time', async () => {
    const sleeper = await startSleeper();
    const content = `${sleeper.pid}\n${await startTimeOf(sleeper.pid!)}\n`;
    await writeFile(lockFile(), content);

    let message: string;
    try {
      message = await failureOf(openLocalDependencies(dataDir));
    } finally {
      await stopSleeper(sleeper);
    }

    expect(message).toContain(`is in use by process ${sleeper.pid}`);
    expect(await readFile(lockFile(), 'utf8')).toBe(content);
  });

  it('rejects lock without pid', async () => {
    await writeFile(lockFile(), 'not a pid\n');

    const message = await failureOf(openLocalDependencies(dataDir));

    expect(message).toContain(`Lock file ${lockFile()} does not contain a process id`);
  });

  it('releases lock when open fails', async () => {
    const restore = setEnvironment({ MTLS_LOCAL_SECRET_KEY: 'short' });
    let message: string;
    try {
      message = await failureOf(openLocalDependencies(dataDir));
    } finally {
      restore();
    }

    expect(message).toContain('Invalid MTLS_LOCAL_SECRET_KEY');
    expect(await readdir(dataDir)).not.toContain(DATA_LOCK_FILE);
  });
});
