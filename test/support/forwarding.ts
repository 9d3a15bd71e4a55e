import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http, { type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { resetForwardClient } from '../../shared/forwarding/runtime.js';
import { startTestGateway, type TestGateway } from './gateway.js';
import { certificateForm } from './http.js';
import type { P12File } from './p12-files.js';
import type { TestPki } from './pki.js';
import type { EchoedRequest } from './tls-servers.js';

/** Environment values by variable name. An `undefined` value removes the variable. */
export type EnvironmentValues = Record<string, string | undefined>;

/**
 * Sets environment variables and returns a function that restores their earlier values.
 * Forward settings are read when the forwarding client is built, so callers that change
 * them also call `resetForwardClient()`.
 */
export function setEnvironment(values: EnvironmentValues): () => void {
  const previous: EnvironmentValues = {};
  for (const [name, value] of Object.entries(values)) {
    previous[name] = process.env[name];
    assignVariable(name, value);
  }

  return () => {
    for (const [name, value] of Object.entries(previous)) {
      assignVariable(name, value);
    }
  };
}

function assignVariable(name: string, value: string | undefined): void {
  if (value === undefined) {
    delete process.env[name];
  } else {
    process.env[name] = value;
  }
}

export interface ForwardGateway {
  gateway: TestGateway;
  /** Stops the gateway, closes the forwarding client and restores the environment. */
  close(): Promise<void>;
}

/**
 * Starts a test gateway whose forwards trust the root CA of `pki` (through
 * MTLS_FORWARD_CA_FILE, a temporary PEM file) and may reach 127.0.0.1. `environment`
 * overrides or removes further variables, such as MTLS_FORWARD_TIMEOUT_MS.
 */
export async function startForwardGateway(
  pki: TestPki,
  environment: EnvironmentValues = {},
): Promise<ForwardGateway> {
  const caFolder = await mkdtemp(path.join(tmpdir(), 'mtls-forward-ca-'));
  const caFile = path.join(caFolder, 'root-ca.pem');
  await writeFile(caFile, pki.root.certPem);

  const restore = setEnvironment({
    MTLS_FORWARD_ALLOW: '127.0.0.1',
    MTLS_FORWARD_CA_FILE: caFile,
    ...environment,
  });
  await resetForwardClient();
  const gateway = await startTestGateway();

  return {
    gateway,
    close: async () => {
      await gateway.close();
      await resetForwardClient();
      restore();
      await rm(caFolder, { recursive: true, force: true });
    },
  };
}

/** Uploads a p12 through the JSON route or the multipart route and returns the new id. */
export async function uploadCertificate(
  gateway: TestGateway,
  account: string,
  name: string,
  file: P12File,
  route: 'json' | 'multipart' = 'json',
): Promise<number> {
  const base = `/mtls/account/${account}/certificates`;
  const response =
    route === 'json'
      ? await gateway.request('POST', base, {
          json: [{ name, p12: file.bytes.toString('base64'), password: file.password }],
        })
      : await gateway.request('POST', `${base}/by-file`, {
          body: certificateForm(file.bytes, { name, password: file.password }),
        });

  const saved = response.body?.successfulySavedCertificates?.[0];
  if (response.status !== 201 || saved === undefined) {
    throw new Error(`Upload of ${name} failed with ${response.status}: ${response.text}`);
  }
  return saved.id as number;
}

export interface MappingInput {
  certificateId: number;
  /** Service name or digit, such as `IDP` or `"1"`. */
  serviceId: string;
  url: string;
  name: string;
}

/** Creates an enabled mapping through the mapping route and returns its id. */
export async function createMapping(
  gateway: TestGateway,
  account: string,
  mapping: MappingInput,
): Promise<number> {
  const response = await gateway.request(
    'POST',
    `/api/account/${account}/configuration/ac-common/mtls?v=3.0`,
    {
      json: [
        {
          certificationId: mapping.certificateId,
          serviceId: mapping.serviceId,
          enable: true,
          url: mapping.url,
          siteId: account,
          name: mapping.name,
          deleted: false,
        },
      ],
    },
  );

  if (response.status !== 201) {
    throw new Error(`Mapping ${mapping.name} failed with ${response.status}: ${response.text}`);
  }
  return response.body[0].id as number;
}

export interface RawResponse {
  status: number;
  /** Headers as Node's HTTP client parses them, with `set-cookie` as an array. */
  headers: IncomingHttpHeaders;
  /** The body bytes as they arrived, never decompressed. */
  body: Buffer;
}

export interface ForwardCall {
  method?: string;
  /**
   * Headers sent as given, hop-by-hop ones included. An array value sends one header line
   * per item. `authorization` defaults to the admin token.
   */
  headers?: Record<string, string | string[]>;
  body?: Uint8Array | string;
}

/**
 * Calls `POST|GET|... /mtls/account/{account}` on the gateway with node:http, which, unlike
 * fetch, sends hop-by-hop headers and returns a gzip body undecoded.
 */
export function callForward(
  gateway: TestGateway,
  account: string,
  call: ForwardCall = {},
): Promise<RawResponse> {
  return callGateway(gateway, `/mtls/account/${account}`, call);
}

/** Calls any gateway path as {@link callForward} does; GET unless `call.method` is set. */
export function callGateway(
  gateway: TestGateway,
  path: string,
  call: ForwardCall = {},
): Promise<RawResponse> {
  const headers: Record<string, string | string[]> = {
    authorization: `Bearer ${gateway.adminToken}`,
    ...call.headers,
  };
  const body = call.body === undefined ? undefined : Buffer.from(call.body);
  if (body !== undefined) {
    headers['content-length'] = String(body.length);
  }

  return new Promise((resolve, reject) => {
    const request = http.request(
      `${gateway.url}${path}`,
      { method: call.method ?? 'GET', headers, agent: false },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks),
          }),
        );
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

/** Parses a JSON response body, such as a problem or what the echo route saw. */
export function jsonOf<Value = any>(response: RawResponse): Value {
  return JSON.parse(response.body.toString('utf8')) as Value;
}

export function echoOf(response: RawResponse): EchoedRequest {
  return jsonOf<EchoedRequest>(response);
}

/** Returns the SHA-256 fingerprint as TLS servers report it: upper-case hex pairs with colons. */
export function fingerprintOf(certPem: string): string {
  return new X509Certificate(certPem).fingerprint256;
}
