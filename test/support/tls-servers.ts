import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { TLSSocket } from 'node:tls';
import { gzipSync } from 'node:zlib';
import { issueCertificate } from './pki.js';

/** What the echo route saw of one request. */
export interface EchoedRequest {
  method: string;
  path: string;
  /** The query string without `?`, empty when there is none. */
  query: string;
  headers: Record<string, string | string[] | undefined>;
  bodyLength: number;
  bodySha256: string;
  /** SHA-256 fingerprint (`AB:CD:...`) of the client certificate, or null without one. */
  clientFingerprint: string | null;
}

/** One completed TLS handshake as the server saw it. */
export interface Handshake {
  /** The SNI server name, or null when the client sent none. */
  servername: string | null;
  clientFingerprint: string | null;
}

export type RouteHandler = (
  request: IncomingMessage,
  response: ServerResponse,
  body: Buffer,
) => void;

export interface TlsServerOptions {
  keyPem: string;
  certPem: string;
  /** CA that client certificates must chain to. Without it, no client certificate is requested. */
  clientCaPem?: string;
  /**
   * With `optional`, the server requests a client certificate but also completes handshakes
   * without one, so the echo route shows whether the client sent one. @default 'required'
   */
  clientCertificate?: 'required' | 'optional';
  /** Handlers by path, added to or replacing {@link STANDARD_ROUTES}. Other paths echo. */
  routes?: Record<string, RouteHandler>;
}

export interface TestServer {
  port: number;
  /** `https://127.0.0.1:<port>` for TLS servers, `tcp://127.0.0.1:<port>` for the silent one. */
  origin: string;
  /** TCP connections accepted so far. */
  readonly connections: number;
  /** TCP connections that have closed so far. */
  readonly closedConnections: number;
  readonly handshakes: readonly Handshake[];
  /** `METHOD /path` of every request received so far. */
  readonly requests: readonly string[];
  stop(): Promise<void>;
}

/** The JSON document that the `/gzip` route sends gzip-compressed. */
export const GZIP_SOURCE = JSON.stringify({
  items: Array.from({ length: 64 }, (_, index) => `item-${index}`),
});

/**
 * Routes every TLS test server has: `/status/418`-style statuses, repeated `Set-Cookie`,
 * a gzip body, a redirect, a response that never comes, a large body and a raw body echo.
 */
export const STANDARD_ROUTES: Record<string, RouteHandler> = {
  '/set-cookie': (_request, response) => {
    response.setHeader('set-cookie', ['a=1; Path=/', 'b=2; Path=/; HttpOnly']);
    response.end('cookies');
  },
  '/gzip': (_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    response.end(gzipSync(GZIP_SOURCE));
  },
  '/redirect': (_request, response) => {
    response.writeHead(302, { location: '/echo' });
    response.end();
  },
  '/hang': () => undefined,
  '/large': (_request, response) => {
    response.writeHead(200, { 'content-type': 'application/octet-stream' });
    response.end(Buffer.alloc(256 * 1024, 7));
  },
  '/raw': (request, response, body) => {
    const contentType = request.headers['content-type'] ?? 'application/octet-stream';
    response.writeHead(200, { 'content-type': contentType });
    response.end(body);
  },
};

/** Starts an HTTPS server on 127.0.0.1 with an ephemeral port. */
export async function startTlsServer(options: TlsServerOptions): Promise<TestServer> {
  const requestClientCertificate = options.clientCaPem !== undefined;
  const optional = options.clientCertificate === 'optional';
  const routes = { ...STANDARD_ROUTES, ...options.routes };
  const server = https.createServer({
    key: options.keyPem,
    cert: options.certPem,
    ca: options.clientCaPem,
    requestCert: requestClientCertificate,
    rejectUnauthorized: requestClientCertificate && !optional,
  });

  const running = new RunningServer(server);
  server.on('secureConnection', (socket: TLSSocket) => {
    running.handshakes.push({
      servername: typeof socket.servername === 'string' ? socket.servername : null,
      clientFingerprint: peerFingerprint(socket),
    });
  });
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    running.requests.push(`${request.method} ${request.url}`);
    void readBody(request).then((body) => route(routes, request, response, body));
  });

  return running.listen('https');
}

/** Starts a TCP server on 127.0.0.1 that accepts connections and never sends a byte. */
export async function startSilentServer(): Promise<TestServer> {
  const server = net.createServer(() => undefined);
  return new RunningServer(server).listen('tcp');
}

function route(
  routes: Record<string, RouteHandler>,
  request: IncomingMessage,
  response: ServerResponse,
  body: Buffer,
): void {
  const url = new URL(request.url ?? '/', 'https://127.0.0.1');
  const status = /^\/status\/(\d{3})$/.exec(url.pathname);
  if (status !== null) {
    response.writeHead(Number(status[1]), { 'content-type': 'text/plain' });
    response.end(`status ${status[1]}`);
    return;
  }

  const handler = routes[url.pathname] ?? echo;
  handler(request, response, body);
}

function echo(request: IncomingMessage, response: ServerResponse, body: Buffer): void {
  const url = new URL(request.url ?? '/', 'https://127.0.0.1');
  const echoed: EchoedRequest = {
    method: request.method ?? '',
    path: url.pathname,
    query: url.search.replace(/^\?/, ''),
    headers: request.headers,
    bodyLength: body.length,
    bodySha256: createHash('sha256').update(body).digest('hex'),
    clientFingerprint: peerFingerprint(request.socket as TLSSocket),
  };
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(JSON.stringify(echoed));
}

function peerFingerprint(socket: TLSSocket): string | null {
  const certificate = socket.getPeerCertificate();
  return typeof certificate.fingerprint256 === 'string' ? certificate.fingerprint256 : null;
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) {
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

class RunningServer implements TestServer {
  port = 0;
  origin = '';
  connections = 0;
  closedConnections = 0;
  readonly handshakes: Handshake[] = [];
  readonly requests: string[] = [];
  readonly #server: net.Server;
  readonly #sockets = new Set<net.Socket>();

  constructor(server: net.Server) {
    this.#server = server;
    server.on('connection', (socket: net.Socket) => {
      this.connections += 1;
      this.#sockets.add(socket);
      socket.on('close', () => {
        this.closedConnections += 1;
        this.#sockets.delete(socket);
      });
    });
  }

  async listen(scheme: string): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.port = (this.#server.address() as net.AddressInfo).port;
    this.origin = `${scheme}://127.0.0.1:${this.port}`;
    return this;
  }

  /** Stops accepting, destroys open connections (a hanging response included) and waits. */
  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const socket of this.#sockets) {
      socket.destroy();
    }
    await closed;
  }
}

/**
 * Starts an HTTPS server on 127.0.0.1 whose certificate comes from a root CA of its own,
 * which no test client trusts, so every TLS handshake with it fails verification.
 */
export async function startUntrustedServer(): Promise<TestServer> {
  const otherRoot = issueCertificate({ commonName: 'Untrusted Test Root CA', isCa: true });
  const otherServer = issueCertificate({
    commonName: 'localhost',
    issuer: otherRoot,
    serverAuth: true,
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
  });
  return startTlsServer({ keyPem: otherServer.keyPem, certPem: otherServer.certPem });
}
