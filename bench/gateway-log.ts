import { open, stat } from 'node:fs/promises';

/** Durations the gateway logged itself, in milliseconds, for one stretch of its log. */
export interface GatewaySpans {
  /** `durationMs` of "Request handled": the local gateway's whole handling of a forward. */
  handled: number[];
  /** `durationMs` of "Request forwarded": `forwardRequest`, target round trip included. */
  forwarded: number[];
  /** Log lines at WARN level or above, which a clean run has none of. */
  warnings: string[];
}

/** Returns the size of the log file, to mark where a stretch begins or ends. */
export async function logOffset(file: string): Promise<number> {
  return (await stat(file)).size;
}

/** Reads the gateway's JSON log lines between two offsets and collects their spans. */
export async function readGatewaySpans(
  file: string,
  start: number,
  end: number,
): Promise<GatewaySpans> {
  const handle = await open(file, 'r');
  let text: string;
  try {
    const buffer = Buffer.alloc(end - start);
    await handle.read(buffer, 0, buffer.length, start);
    text = buffer.toString('utf8');
  } finally {
    await handle.close();
  }

  const spans: GatewaySpans = { handled: [], forwarded: [], warnings: [] };
  // The last element is empty, or a line still being written at `end`.
  const lines = text.split('\n').slice(0, -1);
  for (const line of lines) {
    collectSpan(line, spans);
  }
  return spans;
}

function collectSpan(line: string, spans: GatewaySpans): void {
  if (!line.startsWith('{')) {
    return;
  }

  const record = JSON.parse(line) as Record<string, unknown>;
  if (record.level === 'WARN' || record.level === 'ERROR' || record.level === 'CRITICAL') {
    spans.warnings.push(line);
  }
  if (typeof record.durationMs !== 'number') {
    return;
  }
  if (record.message === 'Request handled' && record.route === 'runtime-forward') {
    spans.handled.push(record.durationMs);
  } else if (record.message === 'Request forwarded') {
    spans.forwarded.push(record.durationMs);
  }
}
