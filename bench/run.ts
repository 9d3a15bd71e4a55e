/**
 * `npm run bench`: measures the latency that a warm forward through the local gateway adds over
 * a direct keep-alive mutual TLS call to the same target, all on 127.0.0.1, and records the
 * results in docs/benchmarks.md.
 */
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { Agent } from 'undici';

import { type BenchEnvironment, startEnvironment } from './environment.js';
import { logOffset, readGatewaySpans } from './gateway-log.js';
import {
  measureInterleaved,
  measureThroughput,
  type Send,
  sendSequentially,
  summarize,
} from './measure.js';
import { type BenchOptions, parseBenchOptions, USAGE } from './options.js';
import {
  formatResults,
  type ScenarioResult,
  type ThroughputResult,
  updateBenchmarksPage,
} from './report.js';
import { directSend, gatewaySend, type Scenario, SCENARIOS } from './scenarios.js';
import type { TargetTally } from './target.js';

const BENCHMARKS_PAGE = fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url));

/** Counts the requests sent, to compare with the count the target received. */
class SendCounter {
  total = 0;

  wrap(send: Send): Send {
    return async () => {
      this.total += 1;
      await send();
    };
  }
}

function progress(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

async function runScenario(
  scenario: Scenario,
  paths: PathSends,
  environment: BenchEnvironment,
  options: BenchOptions,
): Promise<ScenarioResult> {
  progress(`${scenario.id}: ${options.warmup} warm-up requests per path`);
  await sendSequentially(paths.direct, options.warmup);
  await sendSequentially(paths.gateway, options.warmup);

  progress(`${scenario.id}: ${options.requests} measured requests per path`);
  const latency = await measureLatency(scenario, paths, environment, options);

  const throughput: ThroughputResult[] = [];
  for (const concurrency of options.concurrency) {
    progress(`${scenario.id}: throughput at concurrency ${concurrency}`);
    throughput.push(await measurePathThroughput(paths, concurrency, options));
  }

  return { scenario, throughput, ...latency };
}

type PathSends = { direct: Send; gateway: Send };

/**
 * Measures the latency of both paths, with the target's handshake count and the gateway's
 * log read before and after, and a CPU profile of the gateway when `--profile` is set.
 */
async function measureLatency(
  scenario: Scenario,
  paths: PathSends,
  environment: BenchEnvironment,
  options: BenchOptions,
): Promise<Omit<ScenarioResult, 'scenario' | 'throughput'>> {
  const logStart = await logOffset(environment.gatewayLogFile);
  const tallyStart = await environment.tallyTarget();
  if (options.profileDir !== undefined) {
    await environment.startGatewayProfile();
  }

  const latencies = await measureInterleaved(paths, options.requests, options.blockSize);

  if (options.profileDir !== undefined) {
    const file = path.join(options.profileDir, `gateway-${scenario.id}.cpuprofile`);
    await environment.stopGatewayProfile(file);
    progress(`wrote ${file}`);
  }
  const tallyEnd = await environment.tallyTarget();
  const logEnd = await logOffset(environment.gatewayLogFile);
  const spans = await readGatewaySpans(environment.gatewayLogFile, logStart, logEnd);
  if (spans.warnings.length > 0) {
    const excerpt = spans.warnings.slice(0, 5).join('\n');
    throw new Error(`The gateway logged warnings during the measurement:\n${excerpt}`);
  }

  return {
    direct: summarize(latencies.direct),
    gateway: summarize(latencies.gateway),
    measuredHandshakes: tallyEnd.handshakes - tallyStart.handshakes,
    handledP50: spans.handled.length > 0 ? summarize(spans.handled).p50 : undefined,
    forwardedP50: spans.forwarded.length > 0 ? summarize(spans.forwarded).p50 : undefined,
  };
}

/** Warms both paths up at `concurrency`, then measures their requests per second. */
async function measurePathThroughput(
  paths: PathSends,
  concurrency: number,
  options: BenchOptions,
): Promise<ThroughputResult> {
  // Every loop needs its own connection, so each warm-up opens all of them.
  const warmup = Math.max(options.warmup, 4 * concurrency);
  await measureThroughput(paths.direct, warmup, concurrency);
  await measureThroughput(paths.gateway, warmup, concurrency);

  return {
    concurrency,
    direct: await measureThroughput(paths.direct, options.requests, concurrency),
    gateway: await measureThroughput(paths.gateway, options.requests, concurrency),
  };
}

/** Throws unless the target received every request sent and saw only the bench certificate. */
function checkTargetTally(tally: TargetTally, sent: number, clientFingerprint: string): void {
  if (tally.requests !== sent) {
    throw new Error(`The target received ${tally.requests} requests, but the bench sent ${sent}.`);
  }

  const seen = tally.clientFingerprints;
  if (seen.length !== 1 || seen[0] !== clientFingerprint) {
    throw new Error(
      `The target saw client certificates ${JSON.stringify(seen)}, expected only ${clientFingerprint}.`,
    );
  }
}

async function main(argv: string[]): Promise<void> {
  let options: BenchOptions;
  try {
    options = parseBenchOptions(argv);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }

  const began = process.hrtime.bigint();
  const loadAtStart = os.loadavg()[0]!;
  let environment: BenchEnvironment | undefined;
  const watchdog = setTimeout(() => {
    const hint = 'Raise --time-limit for runs with more requests.';
    process.stderr.write(
      `bench: stopped after the time limit of ${options.timeLimitSeconds} s. ${hint}\n`,
    );
    // NOTE: a time limit that passes while the processes start leaves the temporary folder.
    // Exiting also closes the IPC channels, which makes both child processes stop.
    const stopped = environment?.stop() ?? Promise.resolve();
    void stopped.finally(() => process.exit(1));
  }, options.timeLimitSeconds * 1000);
  watchdog.unref();

  if (options.profileDir !== undefined) {
    await mkdir(options.profileDir, { recursive: true });
  }

  progress('making certificates and starting the target and the gateway');
  environment = await startEnvironment({
    scenarios: SCENARIOS,
    tokenSeconds: options.timeLimitSeconds + 60,
    keepFiles: options.keepFiles,
  });
  const directAgent = new Agent({
    allowH2: false,
    connect: {
      ca: environment.rootCaPem,
      cert: environment.client.chainPem,
      key: environment.client.keyPem,
    },
  });
  const gatewayAgent = new Agent({ allowH2: false });
  const counter = new SendCounter();

  try {
    const results: ScenarioResult[] = [];
    for (const scenario of SCENARIOS) {
      const paths = {
        direct: counter.wrap(directSend(directAgent, environment.targetOrigin, scenario)),
        gateway: counter.wrap(
          gatewaySend(gatewayAgent, environment.gateway, environment.targetOrigin, scenario),
        ),
      };
      results.push(await runScenario(scenario, paths, environment, options));
    }

    const tally = await environment.tallyTarget();
    checkTargetTally(tally, counter.total, environment.client.fingerprint);

    const markdown = formatResults(results, {
      arguments: argv,
      requests: options.requests,
      warmup: options.warmup,
      blockSize: options.blockSize,
      concurrency: options.concurrency,
      logLevel: process.env.LOG_LEVEL ?? 'INFO',
      handshakes: tally.handshakes,
      targetRequests: tally.requests,
      durationSeconds: Number(process.hrtime.bigint() - began) / 1e9,
      loadAtStart,
      loadAtEnd: os.loadavg()[0]!,
    });
    process.stdout.write(`${markdown}\n`);
    if (options.write) {
      await updateBenchmarksPage(BENCHMARKS_PAGE, markdown);
      progress(`updated ${BENCHMARKS_PAGE}`);
    }
  } finally {
    await Promise.all([directAgent.close(), gatewayAgent.close()]);
    await environment.stop();
    clearTimeout(watchdog);
  }
}

await main(process.argv.slice(2));
