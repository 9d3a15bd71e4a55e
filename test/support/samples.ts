import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Folder of real-world p12 exports beside the repository, where the team keeps them. A clone
 * elsewhere has no such folder, so tests that read it run only when it exists. The files made
 * at test time cover the same formats.
 */
const SAMPLES_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../shared/samples',
);

export const SAMPLES_PRESENT = existsSync(SAMPLES_DIR);

export const SAMPLE_PASSWORD = 'sample-pass';

export function readSample(name: string): Buffer {
  return readFileSync(path.join(SAMPLES_DIR, name));
}
