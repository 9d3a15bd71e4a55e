/** Small fetch wrappers for tests against the local gateway on 127.0.0.1. */

export interface TestResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON when the response is JSON, otherwise the text. */
  body: any;
  text: string;
}

export interface RequestOptions {
  json?: unknown;
  body?: RequestInit['body'];
  headers?: Record<string, string>;
}

export async function call(
  baseUrl: string,
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<TestResponse> {
  const headers: Record<string, string> = { ...options.headers };
  let body = options.body;
  if (options.json !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = JSON.stringify(options.json);
  }

  const response = await fetch(`${baseUrl}${path}`, { method, headers, body, redirect: 'manual' });
  const text = await response.text();
  const type = response.headers.get('content-type') ?? '';
  const parsed = type.includes('json') && text !== '' ? JSON.parse(text) : text;
  return { status: response.status, headers: response.headers, body: parsed, text };
}

/** Builds a real multipart/form-data body with a `file` part and a `certificate` JSON part. */
export function certificateForm(
  file: Uint8Array | undefined,
  certificate: unknown,
  fileName = 'client.p12',
): FormData {
  const form = new FormData();
  if (file !== undefined) {
    form.append('file', new Blob([file], { type: 'application/x-pkcs12' }), fileName);
  }
  if (certificate !== undefined) {
    form.append(
      'certificate',
      typeof certificate === 'string' ? certificate : JSON.stringify(certificate),
    );
  }
  return form;
}

/** Path ids that are not safe positive integers, each of which a route must reject with 400. */
export const INVALID_PATH_IDS = [
  '1e3',
  '-1',
  '0',
  '0x10',
  '9223372036854775808',
  '18446744073709551616',
  '9007199254740992',
  '%FF',
  'abc',
];
