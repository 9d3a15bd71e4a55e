import forge from 'node-forge';

export type Asn1 = forge.asn1.Asn1;

const { Class, Type } = forge.asn1;

/** Thrown when DER (or BER) is truncated, malformed, or not the structure a reader expects. */
export class MalformedDerError extends Error {
  override readonly name = 'MalformedDerError';
}

/**
 * Parses one complete DER or BER element with node-forge. Trailing bytes, truncated values
 * and a nesting depth above node-forge's limit (256) all raise {@link MalformedDerError}.
 */
export function parseDer(bytes: Uint8Array, label: string): Asn1 {
  try {
    return forge.asn1.fromDer(forge.util.createBuffer(toBinaryString(bytes)), true);
  } catch (error) {
    throw new MalformedDerError(`${label} is not valid DER`, { cause: error });
  }
}

/** Encodes an element back to DER, for handing a decoded part to node:crypto. */
export function encodeDer(node: Asn1): Buffer {
  return Buffer.from(forge.asn1.toDer(node).getBytes(), 'binary');
}

/** Returns the elements of a SEQUENCE (or of a SET, when `type` is SET). */
export function readChildren(node: Asn1 | undefined, label: string, type = Type.SEQUENCE): Asn1[] {
  if (
    node === undefined ||
    node.tagClass !== Class.UNIVERSAL ||
    node.type !== type ||
    !Array.isArray(node.value)
  ) {
    throw new MalformedDerError(`${label} is malformed`);
  }
  return node.value;
}

/** Returns the single element inside an explicit context tag such as `[0] EXPLICIT`. */
export function readExplicit(node: Asn1 | undefined, tag: number, label: string): Asn1 {
  const inner = isContextTag(node, tag) && Array.isArray(node.value) ? node.value[0] : undefined;
  if (inner === undefined) {
    throw new MalformedDerError(`${label} is malformed`);
  }
  return inner;
}

export function isContextTag(node: Asn1 | undefined, tag: number): node is Asn1 {
  return node !== undefined && node.tagClass === Class.CONTEXT_SPECIFIC && node.type === tag;
}

export function readOid(node: Asn1 | undefined, label: string): string {
  return forge.asn1.derToOid(readPrimitive(node, Type.OID, label));
}

/**
 * Returns the content of an OCTET STRING. BER encoders (Java, Windows) may split it into a
 * constructed string of chunks, which are joined here. With `implicitTag` the string is
 * expected under that context tag instead, as in `[0] IMPLICIT OCTET STRING`.
 */
export function readOctets(node: Asn1 | undefined, label: string, implicitTag?: number): Buffer {
  const tagMatches =
    implicitTag === undefined
      ? node?.tagClass === Class.UNIVERSAL && node.type === Type.OCTETSTRING
      : isContextTag(node, implicitTag);
  if (node === undefined || !tagMatches) {
    throw new MalformedDerError(`${label} is malformed`);
  }

  if (Array.isArray(node.value)) {
    return Buffer.concat(node.value.map((chunk) => readOctets(chunk, label)));
  }
  return Buffer.from(node.value, 'binary');
}

/**
 * Reads a non-negative INTEGER. Values above Number.MAX_SAFE_INTEGER are clamped to it, which
 * is still far above any iteration limit, so callers can compare without overflow.
 */
export function readCount(node: Asn1 | undefined, label: string): number {
  const bytes = readPrimitive(node, Type.INTEGER, label);
  if (bytes.length === 0 || bytes.charCodeAt(0) >= 0x80) {
    throw new MalformedDerError(`${label} is not a non-negative integer`);
  }

  const value = BigInt(`0x${forge.util.bytesToHex(bytes)}`);
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
}

export function isUniversal(node: Asn1 | undefined, type: number): node is Asn1 {
  return node !== undefined && node.tagClass === Class.UNIVERSAL && node.type === type;
}

export function toBinaryString(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('binary');
}

function readPrimitive(node: Asn1 | undefined, type: number, label: string): string {
  if (!isUniversal(node, type) || typeof node.value !== 'string') {
    throw new MalformedDerError(`${label} is malformed`);
  }
  return node.value;
}

export { Type as Asn1Type };
