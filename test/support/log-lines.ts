import { vi } from 'vitest';

import { logger } from '../../shared/logger.js';

export interface LogCapture {
  /** Every JSON log line written since the capture started, stdout and stderr together. */
  entries(): Record<string, unknown>[];
  /** The entries whose `message` is `message`. */
  withMessage(message: string): Record<string, unknown>[];
  /** Everything written, JSON or not. */
  text(): string;
  /** Restores the streams and silences the logger again. */
  stop(): void;
}

/**
 * Captures what the Powertools logger writes at INFO and above. Its console sends INFO to
 * stdout and WARN and ERROR to stderr, so both streams are read.
 */
export function captureLogs(): LogCapture {
  const output: string[] = [];
  const record = (chunk: string | Uint8Array): boolean => {
    output.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  };
  logger.setLogLevel('INFO');
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(record);
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(record);

  const entries = () =>
    output
      .join('')
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);

  return {
    entries,
    withMessage: (message) => entries().filter((entry) => entry.message === message),
    text: () => output.join(''),
    stop: () => {
      stdout.mockRestore();
      stderr.mockRestore();
      logger.setLogLevel('SILENT');
    },
  };
}

/** The forward lines and the gateway's own request line that one request wrote. */
export interface ForwardLines<Response> {
  response: Response;
  forwarded: Record<string, unknown>[];
  failed: Record<string, unknown>[];
  handled: Record<string, unknown>[];
}

/** Runs `send` and returns its response with the log lines written meanwhile, by message. */
export async function forwardLinesOf<Response>(
  logs: LogCapture,
  send: () => Promise<Response>,
): Promise<ForwardLines<Response>> {
  const before = logs.entries().length;
  const response = await send();
  const written = logs.entries().slice(before);
  const withMessage = (message: string) => written.filter((entry) => entry.message === message);
  return {
    response,
    forwarded: withMessage('Request forwarded'),
    failed: withMessage('Forward request failed'),
    handled: withMessage('Request handled'),
  };
}
