/** `06 09 2A 86 48 86 F7 0D 01 07`: the OID arc 1.2.840.113549.1.7 (PKCS#7 content types). */
const PKCS7_OID_PREFIX = [0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07];

export type PrefixMatch =
  /** `declaredLength` is the total size the outer header claims, undefined for BER's indefinite length. */
  { kind: 'pfx'; declaredLength: number | undefined } | { kind: 'truncated' } | { kind: 'other' };

/**
 * Checks, without parsing the rest, that the bytes start like a PFX: a SEQUENCE, INTEGER 3,
 * then a SEQUENCE that starts with a PKCS#7 content type OID. Bytes that stop early but agree
 * so far are a truncated PFX; a DER certificate, a PKCS#8 key or random bytes differ early.
 */
export function sniffPfxPrefix(bytes: Buffer): PrefixMatch {
  if (bytes.length === 0) {
    return { kind: 'other' };
  }

  const reader = new PrefixReader(bytes);
  try {
    reader.expect([0x30]);
    const length = reader.readLength();
    const declaredLength = length === undefined ? undefined : reader.position + length;
    reader.expect([0x02, 0x01, 0x03, 0x30]);
    reader.readLength();
    reader.expect(PKCS7_OID_PREFIX);
    return { kind: 'pfx', declaredLength };
  } catch (error) {
    if (error instanceof PrefixMismatch) {
      return { kind: error.kind };
    }
    throw error;
  }
}

/** Names what non-PFX bytes look like, when that helps the client fix the upload. */
export function describeNonPfx(bytes: Buffer): 'empty' | 'pem' | 'base64' | undefined {
  if (bytes.length === 0) {
    return 'empty';
  }

  const text = bytes.subarray(0, 4096).toString('latin1').trimStart();
  if (text.startsWith('-----BEGIN')) {
    return 'pem';
  }
  if (
    /^[A-Za-z0-9+/=\r\n]+$/.test(text) &&
    sniffPfxPrefix(Buffer.from(text, 'base64')).kind === 'pfx'
  ) {
    return 'base64';
  }
  return undefined;
}

class PrefixMismatch {
  constructor(readonly kind: 'truncated' | 'other') {}
}

class PrefixReader {
  position = 0;

  constructor(private readonly bytes: Buffer) {}

  expect(expected: number[]): void {
    for (const byte of expected) {
      if (this.next() !== byte) {
        throw new PrefixMismatch('other');
      }
    }
  }

  /** Reads a definite length of up to 4 bytes, or returns undefined for the indefinite form. */
  readLength(): number | undefined {
    const first = this.next();
    if (first < 0x80) {
      return first;
    }
    if (first === 0x80) {
      return undefined;
    }

    const count = first - 0x80;
    if (count > 4) {
      throw new PrefixMismatch('other');
    }
    let length = 0;
    for (let index = 0; index < count; index += 1) {
      length = length * 256 + this.next();
    }
    return length;
  }

  private next(): number {
    const byte = this.bytes[this.position];
    if (byte === undefined) {
      throw new PrefixMismatch('truncated');
    }
    this.position += 1;
    return byte;
  }
}
