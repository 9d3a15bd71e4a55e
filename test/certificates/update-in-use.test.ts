import { X509Certificate } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { MappingRepository } from '../../shared/mappings/repository.js';
import { getCertificateService } from '../../shared/runtime/services.js';
import type { SqlExecutor } from '../../shared/store/executor.js';
import {
  callForward,
  createMapping,
  echoOf,
  fingerprintOf,
  type ForwardGateway,
  startForwardGateway,
  uploadCertificate,
} from '../support/forwarding.js';
import type { TestGateway } from '../support/gateway.js';
import { certificateForm } from '../support/http.js';
import { uniqueName } from '../support/objects.js';
import { makeP12, type P12File } from '../support/p12-files.js';
import { createTestPki, type TestPki } from '../support/pki.js';
import { startTlsServer, type TestServer } from '../support/tls-servers.js';

const ACCOUNT = 'acme';
const BASE = `/mtls/account/${ACCOUNT}/certificates`;
const MAPPINGS = `/api/account/${ACCOUNT}/configuration/ac-common/mtls?v=3.0`;

let pki: TestPki;
let setup: ForwardGateway;
let gateway: TestGateway;
/** Demands a client certificate issued by the test intermediate. */
let server: TestServer;
/** A p12 whose leaf becomes valid one day from now. */
let future: P12File;
let futureNotBefore: string;

beforeAll(async () => {
  pki = createTestPki();
  future = makeP12('not-yet-valid', { pki });
  futureNotBefore = new X509Certificate(future.identity.certPem).validFromDate.toISOString();
  server = await startTlsServer({
    keyPem: pki.server.keyPem,
    certPem: pki.server.certPem,
    clientCaPem: `${pki.root.certPem}${pki.intermediate.certPem}`,
  });
  setup = await startForwardGateway(pki);
  gateway = setup.gateway;
});

afterAll(async () => {
  await setup.close();
  await server.stop();
});

interface UsedCertificate {
  id: number;
  name: string;
  file: P12File;
  /** Ids of the enabled mappings, each with its own URL on the TLS server. */
  mappingIds: number[];
  urls: string[];
}

/** Uploads a currently valid certificate and maps `mappings` URLs of the TLS server to it. */
async function uploadUsed(mappings = 1): Promise<UsedCertificate> {
  const name = uniqueName('in-use');
  const file = makeP12('openssl-default', { pki, client: pki.issueClient(`${name}.test`) });
  const id = await uploadCertificate(gateway, ACCOUNT, name, file);

  const mappingIds: number[] = [];
  const urls: string[] = [];
  for (let index = 0; index < mappings; index += 1) {
    const url = `${server.origin}/${name}/${index}`;
    const mappingName = uniqueName('in-use-mapping');
    mappingIds.push(
      await createMapping(gateway, ACCOUNT, {
        certificateId: id,
        serviceId: 'IDP',
        url,
        name: mappingName,
      }),
    );
    urls.push(url);
  }
  return { id, name, file, mappingIds, urls };
}

function putJson(items: object[]) {
  return gateway.request('PUT', BASE, { json: items });
}

function futureItem(certificate: { id: number; name: string }) {
  return {
    id: certificate.id,
    name: certificate.name,
    p12: future.bytes.toString('base64'),
    password: future.password,
  };
}

async function storedRow(id: number) {
  const [row] = await gateway.dependencies.sql.execute<{
    secret_path: string;
    secret_version: number;
    fingerprint_sha256: string;
  }>('SELECT secret_path, secret_version, fingerprint_sha256 FROM certificates WHERE id = :id', {
    id,
  });
  return row!;
}

/** Returns the fingerprint of the client certificate that a forward to `url` presented. */
async function forwardedFingerprint(url: string): Promise<string | null> {
  const response = await callForward(gateway, ACCOUNT, { headers: { 'lp-forward-url': url } });
  expect(response.status).toBe(200);
  return echoOf(response).clientFingerprint;
}

describe('certificate update in use', () => {
  it('rejects future p12 by JSON', async () => {
    const used = await uploadUsed();
    const before = await storedRow(used.id);

    const response = await putJson([futureItem(used)]);

    expect(response.status).toBe(409);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(response.body.code).toBe('certificate.in_use');
    expect(response.body.detail).toContain(futureNotBefore);
    expect(response.body.detail).toContain(`mappings ${used.mappingIds[0]} use`);
    expect(response.body.errors[0].field).toBe('[0].p12');
    expect(response.body.notBefore).toBe(futureNotBefore);
    expect(response.body.mappings.map((mapping: { id: number }) => mapping.id)).toEqual(
      used.mappingIds,
    );
    expect(await storedRow(used.id)).toEqual(before);
  });

  it('rejects future p12 by file', async () => {
    const used = await uploadUsed();
    const before = await storedRow(used.id);

    const response = await gateway.request('PUT', `${BASE}/by-file`, {
      body: certificateForm(future.bytes, {
        id: used.id,
        name: used.name,
        password: future.password,
      }),
    });

    expect(response.status).toBe(409);
    expect(response.body.code).toBe('certificate.in_use');
    expect(response.body.detail).toContain(futureNotBefore);
    expect(response.body.detail).toContain(String(used.mappingIds[0]));
    expect(response.body.errors[0].field).toBe('file');
    expect(await storedRow(used.id)).toEqual(before);
  });

  it('keeps forwarding old certificate', async () => {
    const used = await uploadUsed();
    const before = await storedRow(used.id);

    await putJson([futureItem(used)]);
    const latest = await gateway.dependencies.secrets.get(before.secret_path);

    expect(await forwardedFingerprint(used.urls[0]!)).toBe(
      fingerprintOf(used.file.identity.certPem),
    );
    expect(latest?.version).toBe(before.secret_version);
    expect((await gateway.request('GET', `${BASE}/${used.id}`)).body.status).toBe('Available');
  });

  it('names every enabled mapping', async () => {
    const used = await uploadUsed(2);

    const response = await putJson([futureItem(used)]);

    expect(response.status).toBe(409);
    expect(response.body.detail).toContain(`mappings ${used.mappingIds.join(', ')} use`);
  });

  it('lists failed item in batch', async () => {
    const used = await uploadUsed();
    const free = await uploadUsed(0);
    const renamed = uniqueName('renamed');

    const response = await putJson([futureItem(used), { id: free.id, name: renamed }]);
    const failed = response.body.failedSaveToVaultCertificates;

    expect(response.status).toBe(200);
    expect(
      response.body.successfulySavedCertificates.map((entity: { name: string }) => entity.name),
    ).toEqual([renamed]);
    expect(failed).toHaveLength(1);
    expect(failed[0].name).toBe(used.name);
    expect(failed[0].code).toBe('certificate.in_use');
    expect(failed[0].reason).toContain(futureNotBefore);
    expect(failed[0].reason).toContain(String(used.mappingIds[0]));
  });

  it('accepts future p12 unmapped', async () => {
    const free = await uploadUsed(0);

    const response = await putJson([futureItem(free)]);
    const saved = response.body.successfulySavedCertificates;

    expect(response.status).toBe(200);
    expect(saved[0].status).toBe('UnAvailable');
    expect(saved[0].notBefore).toBe(futureNotBefore);
  });

  it('accepts future p12 behind disabled mapping', async () => {
    const free = await uploadUsed(0);
    const created = await gateway.request('POST', MAPPINGS, {
      json: [
        {
          certificationId: free.id,
          serviceId: 'IDP',
          enable: false,
          url: `${server.origin}/${free.name}/disabled`,
          siteId: ACCOUNT,
          name: uniqueName('disabled-mapping'),
          deleted: false,
        },
      ],
    });

    const response = await putJson([futureItem(free)]);

    expect(created.status).toBe(201);
    expect(response.status).toBe(200);
    expect(response.body.successfulySavedCertificates[0].status).toBe('UnAvailable');
  });

  it('accepts valid p12 in use', async () => {
    const used = await uploadUsed();
    const renewed = makeP12('openssl-default', {
      pki,
      client: pki.issueClient(`${used.name}-renewed.test`),
    });

    const response = await putJson([
      {
        id: used.id,
        name: used.name,
        p12: renewed.bytes.toString('base64'),
        password: renewed.password,
      },
    ]);

    expect(response.status).toBe(200);
    expect(await forwardedFingerprint(used.urls[0]!)).toBe(fingerprintOf(renewed.identity.certPem));
  });

  it('rechecks inside transaction', async () => {
    const free = await uploadUsed(0);
    const before = await storedRow(free.id);
    const service = await getCertificateService();
    let calls = 0;
    // The first read returns the mappings before one is enabled, as if that mapping's request
    // committed between the check before the secret write and the transaction.
    const listEnabledMappings = async (sql: SqlExecutor) => {
      calls += 1;
      const current = await new MappingRepository(sql).listEnabledByCertificate(ACCOUNT, free.id);
      if (calls === 1) {
        await createMapping(gateway, ACCOUNT, {
          certificateId: free.id,
          serviceId: 'IDP',
          url: `${server.origin}/${free.name}/late`,
          name: uniqueName('late-mapping'),
        });
      }
      return current;
    };

    const update = service.update(
      ACCOUNT,
      {
        id: free.id,
        name: free.name,
        p12: future.bytes,
        password: future.password,
        fields: { id: 'id', name: 'name', file: 'p12', password: 'password' },
      },
      listEnabledMappings,
    );

    await expect(update).rejects.toMatchObject({ code: 'certificate.in_use', status: 409 });
    expect(calls).toBe(2);
    expect(await storedRow(free.id)).toEqual(before);
    expect((await gateway.dependencies.secrets.get(before.secret_path))?.version).toBe(
      before.secret_version,
    );
  });
});
