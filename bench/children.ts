import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

/** The first message a child sends once it serves requests. */
export interface ReadyMessage {
  type: 'ready';
}

export interface ChildOptions {
  /** Module path relative to this folder. */
  module: string;
  env: NodeJS.ProcessEnv;
  /** File descriptor that receives the child's stdout and stderr. */
  outputFd: number;
  /** Message sent to the child right after it starts. */
  startMessage?: unknown;
  /** Milliseconds to wait for the ready message. */
  startTimeoutMs: number;
}

export interface BenchChild<Ready> {
  ready: Ready;
  process: ChildProcess;
  /** Sends `message` and returns the child's next message. */
  ask<Answer>(message: unknown): Promise<Answer>;
  /** Closes the IPC channel, which makes the child shut down, and waits for its exit. */
  stop(): Promise<void>;
}

/** Milliseconds a child takes at most to shut down after its IPC channel closes. */
const STOP_TIMEOUT_MS = 10_000;
/** Milliseconds after which the parent kills a child that has not exited yet. */
const KILL_AFTER_MS = STOP_TIMEOUT_MS + 5_000;

/**
 * Forks a bench child with the same loader flags as this process (tsx), and returns once the
 * child sends `{ type: 'ready' }`. A child that exits or stays silent first is an error.
 */
export async function startChild<Ready extends ReadyMessage>(
  options: ChildOptions,
): Promise<BenchChild<Ready>> {
  const modulePath = fileURLToPath(new URL(options.module, import.meta.url));
  const child = fork(modulePath, {
    env: options.env,
    execArgv: process.execArgv,
    stdio: ['ignore', options.outputFd, options.outputFd, 'ipc'],
  });

  try {
    const ready = await waitForMessage<Ready>(child, options.startTimeoutMs, () => {
      if (options.startMessage !== undefined) {
        child.send(options.startMessage as object);
      }
    });
    if (ready.type !== 'ready') {
      throw new Error(
        `${options.module} sent ${JSON.stringify(ready)} instead of a ready message.`,
      );
    }
    return {
      ready,
      process: child,
      ask: <Answer>(message: unknown) =>
        waitForMessage<Answer>(child, options.startTimeoutMs, () => child.send(message as object)),
      stop: () => stopChild(child),
    };
  } catch (error) {
    await stopChild(child);
    throw error;
  }
}

function waitForMessage<Message>(
  child: ChildProcess,
  timeoutMs: number,
  afterListening: () => void,
): Promise<Message> {
  return new Promise<Message>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanUp();
      reject(new Error(`Child process ${child.pid} sent no message within ${timeoutMs} ms.`));
    }, timeoutMs);
    const onMessage = (message: Message) => {
      cleanUp();
      resolve(message);
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      cleanUp();
      reject(new Error(`Child process ${child.pid} exited (code ${code}, signal ${signal}).`));
    };
    const cleanUp = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };

    child.on('message', onMessage);
    child.on('exit', onExit);
    afterListening();
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return;
  }

  const exited = once(child, 'exit');
  if (child.connected) {
    child.disconnect();
  }
  const timer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
  await exited;
  clearTimeout(timer);
}

/**
 * Stops this child process when its parent closes the IPC channel or dies, so that no bench
 * process outlives the run.
 */
export function onParentGone(stop: () => Promise<void>): void {
  process.once('disconnect', () => {
    setTimeout(() => {
      process.stderr.write(
        `Failed to stop within ${STOP_TIMEOUT_MS} ms, so the process exits now.\n`,
      );
      process.exit(1);
    }, STOP_TIMEOUT_MS).unref();
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`Failed to stop cleanly: ${String(error)}\n`);
        process.exit(1);
      },
    );
  });
}
