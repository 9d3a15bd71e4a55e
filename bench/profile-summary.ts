/**
 * Prints where a V8 CPU profile (`.cpuprofile`, as `npm run bench -- --profile DIR` writes for
 * the gateway process) spends its time: self time per area (package, Node internals, project
 * file), then the functions with the most self time and the most inclusive time.
 *
 * Usage: tsx bench/profile-summary.ts FILE [--top N]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  /** Microseconds between consecutive samples. The first is relative to the profile's start. */
  timeDeltas: number[];
}

/** The entry that V8 reports for time with nothing to run. */
const IDLE_FRAME = '(idle)';

const { values, positionals } = parseArgs({
  options: { top: { type: 'string', default: '25' } },
  allowPositionals: true,
});
const top = Number(values.top);
if (positionals.length !== 1 || !Number.isSafeInteger(top) || top < 1) {
  process.stderr.write(
    'Usage: tsx bench/profile-summary.ts FILE [--top N], N a positive integer\n',
  );
  process.exit(2);
}

const profile = JSON.parse(readFileSync(positionals[0]!, 'utf8')) as CpuProfile;
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const parents = new Map<number, number>();
for (const node of profile.nodes) {
  for (const child of node.children ?? []) {
    parents.set(child, node.id);
  }
}

const selfByFunction = new Map<string, number>();
const inclusiveByFunction = new Map<string, number>();
const selfByArea = new Map<string, number>();
let busyMicros = 0;

// Each sample is charged with the time until the next sample.
profile.samples.forEach((sampleId, index) => {
  const micros = profile.timeDeltas[index + 1] ?? 0;
  const node = nodes.get(sampleId)!;
  if (node.callFrame.functionName === IDLE_FRAME) {
    return;
  }

  busyMicros += micros;
  add(selfByFunction, describeFunction(node.callFrame), micros);
  add(selfByArea, describeArea(node.callFrame), micros);

  const seen = new Set<string>();
  for (let id: number | undefined = sampleId; id !== undefined; id = parents.get(id)) {
    const key = describeFunction(nodes.get(id)!.callFrame);
    if (!seen.has(key)) {
      seen.add(key);
      add(inclusiveByFunction, key, micros);
    }
  }
});

// A reader such as `head` may close the pipe early, which is no error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') {
    throw error;
  }
});
const report = [
  `Busy time: ${(busyMicros / 1000).toFixed(0)} ms (idle excluded)`,
  ...formatTable('Self time by area', selfByArea),
  ...formatTable('Self time by function', selfByFunction),
  ...formatTable('Inclusive time by function', inclusiveByFunction),
];
process.stdout.write(`${report.join('\n')}\n`);

function add(totals: Map<string, number>, key: string, micros: number): void {
  totals.set(key, (totals.get(key) ?? 0) + micros);
}

function describeFunction(frame: CallFrame): string {
  const name = frame.functionName || '(anonymous)';
  return frame.url ? `${name} ${shortUrl(frame.url)}:${frame.lineNumber + 1}` : name;
}

/** Returns the package of a node_modules file, `node: internals` for Node's own modules, else the file. */
function describeArea(frame: CallFrame): string {
  const url = frame.url;
  if (url === '') {
    return frame.functionName.startsWith('(') ? frame.functionName : '(native)';
  }
  if (url.startsWith('node:')) {
    return 'node: internals';
  }

  const inPackage = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  return inPackage ? inPackage[1]! : shortUrl(url);
}

function shortUrl(url: string): string {
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    return url.slice(modules + 'node_modules/'.length);
  }
  return url.replace(/^file:\/\/.*?\/(shared|local|functions|bench|test)\//, '$1/');
}

function formatTable(title: string, totals: Map<string, number>): string[] {
  const sorted = [...totals.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  const rows = sorted.map(([key, micros]) => {
    const share = ((micros / busyMicros) * 100).toFixed(1).padStart(5);
    const ms = (micros / 1000).toFixed(0).padStart(7);
    return `${share}% ${ms} ms  ${key}`;
  });
  return ['', title, ...rows];
}
