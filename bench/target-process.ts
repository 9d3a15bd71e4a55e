/**
 * Child process of the bench: the target, an HTTPS server on 127.0.0.1 that requires a client
 * certificate issued under `clientCaPem`. It stops when the parent closes the IPC channel.
 */
import { startTlsServer, type TestServer } from '../test/support/tls-servers.js';
import { onParentGone } from './children.js';
import {
  LARGE_BODY_BYTES,
  largeBody,
  SMALL_BODY,
  type TargetReady,
  type TargetStart,
  type TargetTally,
} from './target.js';

const large = largeBody();

async function start(message: TargetStart): Promise<TestServer> {
  return startTlsServer({
    keyPem: message.keyPem,
    certPem: message.certPem,
    clientCaPem: message.clientCaPem,
    routes: {
      '/small': (_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(SMALL_BODY);
      },
      '/large': (_request, response) => {
        response.writeHead(200, {
          'content-type': 'application/octet-stream',
          'content-length': String(LARGE_BODY_BYTES),
        });
        response.end(large);
      },
    },
  });
}

process.once('message', (message: TargetStart) => {
  void start(message).then((server) => {
    onParentGone(() => server.stop());
    process.on('message', () => {
      const tally: TargetTally = {
        requests: server.requests.length,
        handshakes: server.handshakes.length,
        clientFingerprints: [
          ...new Set(server.handshakes.map((handshake) => handshake.clientFingerprint)),
        ],
      };
      process.send!(tally);
    });

    const ready: TargetReady = { type: 'ready', origin: server.origin };
    process.send!(ready);
  }, exitWithError);
});

function exitWithError(error: unknown): void {
  process.stderr.write(`Target failed to start: ${String(error)}\n`);
  process.exit(1);
}
