import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';

import type { LatencySummary } from './measure.js';
import type { Scenario } from './scenarios.js';

/** Maximum added median latency, in milliseconds, that the goal allows. */
export const GOAL_MS = 1;

export const GOAL = `A warm forward adds at most ${GOAL_MS} ms at the median over a direct keep-alive mTLS call.`;

export interface ThroughputResult {
  concurrency: number;
  /** Requests per second. */
  direct: number;
  gateway: number;
}

export interface ScenarioResult {
  scenario: Scenario;
  direct: LatencySummary;
  gateway: LatencySummary;
  throughput: ThroughputResult[];
  /** TLS handshakes that the target completed during the latency measurement. */
  measuredHandshakes: number;
  /** Medians of the gateway's own logged durations during the latency measurement. */
  handledP50: number | undefined;
  forwardedP50: number | undefined;
}

/** Facts about the run that the results depend on. */
export interface RunFacts {
  arguments: string[];
  requests: number;
  warmup: number;
  blockSize: number;
  concurrency: number[];
  logLevel: string;
  /** TLS handshakes that the target completed during the whole run. */
  handshakes: number;
  targetRequests: number;
  durationSeconds: number;
  /** One-minute load averages of the machine when the run began and when it ended. */
  loadAtStart: number;
  loadAtEnd: number;
}

const BEGIN_MARK = '<!-- bench-results:begin -->';
const END_MARK = '<!-- bench-results:end -->';

/** Formats the results of one run as Markdown: run facts, the table and the goal's verdict. */
export function formatResults(results: ScenarioResult[], facts: RunFacts): string {
  const command = [
    'npm run bench',
    ...(facts.arguments.length > 0 ? ['--', ...facts.arguments] : []),
  ];
  const cpus = os.cpus();
  const memoryGiB = (os.totalmem() / 1024 ** 3).toFixed(1);
  const lines = [
    `### Run of ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `- Command: \`${command.join(' ')}\`, which took ${facts.durationSeconds.toFixed(0)} s.`,
    `- Machine: ${os.type()} ${os.release()} ${os.arch()}, ${cpus[0]?.model ?? 'unknown CPU'} ` +
      `(${cpus.length} logical CPUs), ${memoryGiB} GiB memory, Node ${process.version}; ` +
      `load average ${facts.loadAtStart.toFixed(2)} at the start and ${facts.loadAtEnd.toFixed(2)} at the end.`,
    `- Latency: ${facts.requests} measured requests per path and scenario after ${facts.warmup} ` +
      `warm-up requests, one at a time, interleaved in blocks of ${facts.blockSize}.`,
    `- Throughput: ${facts.requests} requests per path, scenario and concurrency ` +
      `(${facts.concurrency.join(', ')}), after a warm-up at that concurrency.`,
    `- Gateway log level ${facts.logLevel}, one JSON line per event written to a file.`,
    `- The target completed ${facts.handshakes} TLS handshakes for ${facts.targetRequests} ` +
      'requests, each with the bench client certificate.',
    '',
    ...latencyTable(results, facts.concurrency),
    '',
    `Goal: ${GOAL}`,
    '',
    ...results.map((result) => verdictLine(result)),
    '',
    ...spanTable(results),
  ];
  return lines.join('\n');
}

function latencyTable(results: ScenarioResult[], concurrency: number[]): string[] {
  const header = ['Scenario', 'Path', 'p50 ms', 'p90 ms', 'p99 ms', 'mean ms'];
  header.push(...concurrency.map((level) => `req/s at ${level}`));
  const rows = [header, header.map(() => '---')];

  for (const result of results) {
    const { scenario, direct, gateway, throughput } = result;
    rows.push([
      scenario.title,
      'direct',
      ...latencyCells(direct),
      ...throughput.map((item) => rate(item.direct)),
    ]);
    rows.push([
      scenario.title,
      'gateway',
      ...latencyCells(gateway),
      ...throughput.map((item) => rate(item.gateway)),
    ]);
    rows.push([
      scenario.title,
      'added by gateway',
      ...(['p50', 'p90', 'p99', 'mean'] as const).map((key) => signed(gateway[key] - direct[key])),
      ...throughput.map(() => ''),
    ]);
  }
  return rows.map((row) => `| ${row.join(' | ')} |`);
}

function spanTable(results: ScenarioResult[]): string[] {
  const rows = [
    'Medians in ms of the same measured requests. Beside the client-side latency of both paths,',
    'the table shows the local gateway\'s own handling of a forward (its "Request handled" log',
    'line). Inside that, `forwardRequest` includes the target round trip ("Request forwarded").',
    '',
    '| Scenario | gateway path | local gateway handling | forwardRequest | direct path |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const result of results) {
    rows.push(
      `| ${result.scenario.title} | ${ms(result.gateway.p50)} | ${ms(result.handledP50)} | ` +
        `${ms(result.forwardedP50)} | ${ms(result.direct.p50)} |`,
    );
  }
  return rows;
}

function verdictLine(result: ScenarioResult): string {
  const added = result.gateway.p50 - result.direct.p50;
  const verdict = added <= GOAL_MS ? 'met' : 'not met';
  const handshakes = `${result.measuredHandshakes} TLS handshakes during the latency measurement`;
  return `- ${result.scenario.title}: added median ${ms(added)} ms, goal ${verdict} (${handshakes}).`;
}

function latencyCells(summary: LatencySummary): string[] {
  return [summary.p50, summary.p90, summary.p99, summary.mean].map((value) => ms(value));
}

function ms(value: number | undefined): string {
  return value === undefined ? 'n/a' : value.toFixed(3);
}

function signed(value: number): string {
  return `${value >= 0 ? '+' : ''}${value.toFixed(3)}`;
}

function rate(value: number): string {
  return Math.round(value).toString();
}

/**
 * Replaces the generated section of the benchmarks page with `results`, keeping the text
 * around it. A page without the section gets it appended, and a missing page is created.
 */
export async function updateBenchmarksPage(file: string, results: string): Promise<void> {
  let page: string;
  try {
    page = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw error;
    }
    page = '# Benchmarks\n';
  }

  const section = `${BEGIN_MARK}\n${results}\n${END_MARK}`;
  const begin = page.indexOf(BEGIN_MARK);
  const end = page.indexOf(END_MARK);
  const updated =
    begin >= 0 && end > begin
      ? `${page.slice(0, begin)}${section}${page.slice(end + END_MARK.length)}`
      : `${page.trimEnd()}\n\n## Latest results\n\n${section}\n`;
  await writeFile(file, updated);
}
