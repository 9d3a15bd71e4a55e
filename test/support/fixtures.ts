import { makeP12 } from './p12-files.js';
import { createTestPki, type TestPki } from './pki.js';

/** Password of every p12 fixture. */
export const FIXTURE_PASSWORD = 'fixture-pass';

/** Files that the HTTP tests upload, made at test time so nothing in the repository expires. */
export type FixtureName =
  /** `openssl pkcs12 -export` with OpenSSL 3 defaults, RSA-2048 leaf without chain. */
  | 'rsa-default.p12'
  /** RSA leaf with intermediate and root. */
  | 'rsa-with-chain.p12'
  /** EC P-256 leaf with intermediate and root. */
  | 'ec-with-chain.p12'
  /** `-legacy` export: RC2-40 certificates, 3DES key. */
  | 'rsa-legacy.p12'
  /** `rsa-with-chain.p12` rewritten by `keytool -importkeystore`. */
  | 'java-keytool.p12'
  /** A p12 whose key belongs to another certificate. */
  | 'key-mismatch.p12'
  /** The first half of `rsa-default.p12`. */
  | 'truncated.p12'
  /** A PEM certificate, which is not a p12. */
  | 'not-a-p12.pem'
  | 'root-ca.pem'
  | 'intermediate-ca.pem';

interface FixtureSet {
  pki: TestPki;
  files: Map<FixtureName, Buffer>;
  leaves: Map<FixtureName, string>;
}

let fixtures: FixtureSet | undefined;

/** Makes every fixture once per test process, from one test PKI. */
function fixtureSet(): FixtureSet {
  if (fixtures) {
    return fixtures;
  }

  const pki = createTestPki();
  const client = pki.issueClient('fixture-client.example.test');
  const files = new Map<FixtureName, Buffer>();
  const leaves = new Map<FixtureName, string>();
  const p12Kinds = [
    ['rsa-default.p12', 'openssl-default'],
    ['rsa-with-chain.p12', 'with-chain'],
    ['ec-with-chain.p12', 'ec-p256'],
    ['rsa-legacy.p12', 'openssl-legacy'],
    ['key-mismatch.p12', 'key-mismatch'],
  ] as const;
  for (const [name, kind] of p12Kinds) {
    const file = makeP12(kind, { pki, client, password: FIXTURE_PASSWORD });
    files.set(name, file.bytes);
    leaves.set(name, file.identity.certPem);
  }

  // A leaf of its own, so that a test replacing one certificate by this one can detect the change.
  const keytool = makeP12('java-keytool', {
    pki,
    client: pki.issueClient('fixture-keytool.example.test'),
    password: FIXTURE_PASSWORD,
  });
  files.set('java-keytool.p12', keytool.bytes);
  leaves.set('java-keytool.p12', keytool.identity.certPem);

  const rsaDefault = files.get('rsa-default.p12')!;
  files.set('truncated.p12', rsaDefault.subarray(0, Math.floor(rsaDefault.length / 2)));
  files.set('not-a-p12.pem', Buffer.from(client.certPem));
  files.set('root-ca.pem', Buffer.from(pki.root.certPem));
  files.set('intermediate-ca.pem', Buffer.from(pki.intermediate.certPem));

  fixtures = { pki, files, leaves };
  return fixtures;
}

/** Returns the bytes of a fixture file. */
export function readFixture(name: FixtureName): Buffer {
  return fixtureSet().files.get(name)!;
}

/** Returns the leaf certificate PEM packed in a p12 fixture. */
export function fixtureLeafPem(name: FixtureName): string {
  const leaf = fixtureSet().leaves.get(name);
  if (leaf === undefined) {
    throw new Error(`${name} is not a p12 fixture with a leaf.`);
  }
  return leaf;
}
