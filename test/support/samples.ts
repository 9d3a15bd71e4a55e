import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Folder of real-world p12 files beside the repository, present in CI as well. */
const SAMPLES_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../shared/samples',
);

export const SAMPLE_PASSWORD = 'sample-pass';

export function readSample(name: string): Buffer {
  return readFileSync(path.join(SAMPLES_DIR, name));
}
