import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { readCaBundle } from '../../shared/forwarding/runtime.js';
import { createTestPki, type TestPki } from '../support/pki.js';

describe('readCaBundle', () => {
  let folder: string;
  let pki: TestPki;

  const write = (name: string, text: string) => {
    const file = path.join(folder, name);
    writeFileSync(file, text);
    return file;
  };

  beforeAll(() => {
    folder = mkdtempSync(path.join(tmpdir(), 'ca-bundle-'));
    pki = createTestPki();
  });

  afterAll(() => {
    rmSync(folder, { recursive: true, force: true });
  });

  it('returns a bundle of two certificates', () => {
    const bundle = `${pki.root.certPem}${pki.intermediate.certPem}`;

    expect(readCaBundle(write('bundle.pem', bundle))).toBe(bundle);
  });

  it('names a missing file', () => {
    const missing = path.join(folder, 'missing.pem');

    expect(() => readCaBundle(missing)).toThrow(`${missing} could not be read (ENOENT)`);
  });

  it('rejects a file without certificates', () => {
    const file = write('key.pem', pki.root.keyPem);

    expect(() => readCaBundle(file)).toThrow('contains no PEM certificate');
  });

  it('rejects a corrupt certificate', () => {
    const corrupt = pki.root.certPem.replace(/\n[A-Za-z0-9+/]{20}/, '\nAAAAAAAAAAAAAAAAAAAA');
    const file = write('corrupt.pem', `${pki.intermediate.certPem}${corrupt}`);

    expect(() => readCaBundle(file)).toThrow('certificate 2 is not valid PEM');
  });
});
