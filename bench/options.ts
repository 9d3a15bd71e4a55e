import path from 'node:path';
import { parseArgs } from 'node:util';

/** Settings of one benchmark run, from the command line. */
export interface BenchOptions {
  /** Measured requests per path (direct and gateway) and scenario. @default 2000 */
  requests: number;
  /** Unmeasured requests per path and scenario before measuring. @default 200 */
  warmup: number;
  /** Requests of one path in a row before the other path takes over. @default 100 */
  blockSize: number;
  /** Parallel requests of each throughput run. @default [1, 16] */
  concurrency: number[];
  /** Seconds after which the run stops, whatever its state. @default 110 */
  timeLimitSeconds: number;
  /** Folder for V8 CPU profiles of the gateway process during each latency measurement. */
  profileDir: string | undefined;
  /** Whether to update docs/benchmarks.md. @default true */
  write: boolean;
  /** Whether to keep the temporary folder with the logs and the gateway's data. @default false */
  keepFiles: boolean;
}

export const USAGE = `Usage: npm run bench -- [options]
  --requests N        measured requests per path and scenario (default 2000)
  --warmup N          unmeasured requests per path and scenario first (default 200)
  --block N           requests of one path in a row while interleaving (default 100)
  --concurrency LIST  parallel requests of the throughput runs, comma separated (default 1,16)
  --time-limit S      seconds before the run is stopped as hung (default 110)
  --profile DIR       write a CPU profile of the gateway per latency measurement into DIR
  --no-write          print the results without updating docs/benchmarks.md
  --keep-files        keep the temporary folder with the gateway and target logs`;

/** Parses `argv`, or throws an Error whose message names the invalid option. */
export function parseBenchOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      requests: { type: 'string', default: '2000' },
      warmup: { type: 'string', default: '200' },
      block: { type: 'string', default: '100' },
      concurrency: { type: 'string', default: '1,16' },
      'time-limit': { type: 'string', default: '110' },
      profile: { type: 'string' },
      write: { type: 'boolean', default: true },
      'keep-files': { type: 'boolean', default: false },
    },
    allowNegative: true,
    strict: true,
  });

  const concurrency = values.concurrency
    .split(',')
    .map((item) => readCount('--concurrency', item.trim(), 1, 256));

  return {
    requests: readCount('--requests', values.requests, 1, 1_000_000),
    warmup: readCount('--warmup', values.warmup, 0, 1_000_000),
    blockSize: readCount('--block', values.block, 1, 1_000_000),
    concurrency: [...new Set(concurrency)],
    timeLimitSeconds: readCount('--time-limit', values['time-limit'], 1, 24 * 3600),
    profileDir: values.profile === undefined ? undefined : path.resolve(values.profile),
    write: values.write,
    keepFiles: values['keep-files'],
  };
}

function readCount(option: string, raw: string, min: number, max: number): number {
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new Error(
      `Invalid ${option} ${JSON.stringify(raw)}: expected an integer from ${min} to ${max}.`,
    );
  }
  return value;
}
