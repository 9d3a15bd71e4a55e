/** A function that sends one request and checks its response. It throws when the response is wrong. */
export type Send = () => Promise<void>;

/** Latencies in milliseconds of both paths, measured in the same run. */
export interface PairedLatencies {
  direct: number[];
  gateway: number[];
}

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  mean: number;
}

/** Sends `count` requests one after another, unmeasured. */
export async function sendSequentially(send: Send, count: number): Promise<void> {
  for (let index = 0; index < count; index += 1) {
    await send();
  }
}

/**
 * Measures `requests` sequential requests per path in alternating blocks of `blockSize`, and
 * swaps which path goes first each round, so that drift of the machine hits both paths alike.
 */
export async function measureInterleaved(
  paths: { direct: Send; gateway: Send },
  requests: number,
  blockSize: number,
): Promise<PairedLatencies> {
  const latencies: PairedLatencies = { direct: [], gateway: [] };
  for (let round = 0; latencies.direct.length < requests; round += 1) {
    const count = Math.min(blockSize, requests - latencies.direct.length);
    const order =
      round % 2 === 0 ? (['direct', 'gateway'] as const) : (['gateway', 'direct'] as const);
    for (const name of order) {
      await timeRequests(paths[name], count, latencies[name]);
    }
  }
  return latencies;
}

async function timeRequests(send: Send, count: number, into: number[]): Promise<void> {
  for (let index = 0; index < count; index += 1) {
    const started = process.hrtime.bigint();
    await send();
    into.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
}

/**
 * Sends `requests` requests from `concurrency` loops that each wait for a response before the
 * next request, and returns the completed requests per second of wall-clock time.
 */
export async function measureThroughput(
  send: Send,
  requests: number,
  concurrency: number,
): Promise<number> {
  let started = 0;
  const loop = async () => {
    while (started < requests) {
      started += 1;
      await send();
    }
  };

  const begin = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, loop));
  const seconds = Number(process.hrtime.bigint() - begin) / 1e9;
  return requests / seconds;
}

/** Summarizes latencies with nearest-rank percentiles. */
export function summarize(values: number[]): LatencySummary {
  if (values.length === 0) {
    throw new Error('Cannot summarize an empty list of latencies.');
  }

  const sorted = [...values].sort((a, b) => a - b);
  const percentile = (p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
  const total = sorted.reduce((sum, value) => sum + value, 0);
  return {
    count: sorted.length,
    p50: percentile(50),
    p90: percentile(90),
    p99: percentile(99),
    mean: total / sorted.length,
  };
}
