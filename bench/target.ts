import type { ReadyMessage } from './children.js';

/** The small scenario's response: a short JSON document. */
export const SMALL_BODY = JSON.stringify({ status: 'ok', items: [1, 2, 3] });

/** Size of the large scenario's response body. */
export const LARGE_BODY_BYTES = 64 * 1024;

/** Builds the large scenario's body, a fixed pattern of byte values that is the same each run. */
export function largeBody(): Buffer {
  const body = Buffer.alloc(LARGE_BODY_BYTES);
  for (let index = 0; index < body.length; index += 1) {
    body[index] = (index * 31) % 251;
  }
  return body;
}

/** The parent's first message to the target process. */
export interface TargetStart {
  keyPem: string;
  certPem: string;
  /** CA that client certificates must chain to. */
  clientCaPem: string;
}

export interface TargetReady extends ReadyMessage {
  /** `https://127.0.0.1:<port>` */
  origin: string;
}

/** Counts of the target's requests and handshakes since it started. */
export interface TargetTally {
  requests: number;
  handshakes: number;
  /** Distinct SHA-256 fingerprints of the client certificates presented, null for none. */
  clientFingerprints: (string | null)[];
}
