import { createHash } from 'node:crypto';

import type { HashAlgorithm } from './p12-algorithms.js';

/** The encodings of one password that p12 key derivations take. */
export interface PasswordForms {
  /** UTF-8 bytes, the input of PBKDF2 (PBES2). */
  utf8: Buffer;
  /** BMPString (UTF-16BE) with a two-byte terminator, the input of the PKCS#12 KDF. */
  bmp: Buffer;
}

/** Purpose bytes of the PKCS#12 KDF (RFC 7292 appendix B.3). */
export const KDF_PURPOSE = { key: 1, iv: 2, mac: 3 } as const;

/**
 * Lists the encodings of `password` that producers are known to use, standard first.
 * An empty password is `00 00` in OpenSSL and Java, but some Windows and NSS exports derive
 * from no bytes at all. OpenSSL 1.0 and older read each UTF-8 byte of a non-ASCII password
 * as one BMP character. The MAC check tries each form, so every form costs one derivation.
 */
export function passwordForms(password: string): PasswordForms[] {
  const utf8 = Buffer.from(password, 'utf8');
  const forms: PasswordForms[] = [{ utf8, bmp: toBmpString(password) }];

  if (password === '') {
    forms.push({ utf8, bmp: Buffer.alloc(0) });
  }
  if (/[^\x00-\x7f]/.test(password)) {
    forms.push({ utf8, bmp: toBmpString(utf8.toString('latin1')) });
  }
  return forms;
}

function toBmpString(text: string): Buffer {
  const bmp = Buffer.alloc(text.length * 2 + 2);
  for (let index = 0; index < text.length; index += 1) {
    bmp.writeUInt16BE(text.charCodeAt(index), index * 2);
  }
  return bmp;
}

/**
 * Derives `length` bytes with the PKCS#12 KDF (RFC 7292 appendix B.2). node:crypto has no
 * such function, so each hash round is one node:crypto call from this loop, several times
 * slower than the native PBKDF2; callers check the iteration count before calling.
 */
export function derivePkcs12Key(
  hash: HashAlgorithm,
  password: Buffer,
  salt: Buffer,
  purpose: number,
  iterations: number,
  length: number,
): Buffer {
  const v = hash.blockBytes;
  const diversifier = Buffer.alloc(v, purpose);
  const input = Buffer.concat([repeatToBlocks(salt, v), repeatToBlocks(password, v)]);
  const output: Buffer[] = [];

  for (let produced = 0; produced < length;) {
    let block = createHash(hash.name).update(diversifier).update(input).digest();
    for (let round = 1; round < iterations; round += 1) {
      block = createHash(hash.name).update(block).digest();
    }
    output.push(block);
    produced += block.length;

    if (produced < length) {
      addBlockToInput(input, repeatToBlocks(block, v).subarray(0, v));
    }
  }
  return Buffer.concat(output).subarray(0, length);
}

/** Repeats `bytes` to fill the smallest whole number of `v`-byte blocks (none when empty). */
function repeatToBlocks(bytes: Buffer, v: number): Buffer {
  const filled = Buffer.alloc(v * Math.ceil(bytes.length / v));
  for (let index = 0; index < filled.length; index += 1) {
    filled[index] = bytes[index % bytes.length] ?? 0;
  }
  return filled;
}

/** Sets each `v`-byte block I_j of `input` to (I_j + B + 1) mod 2^(8v), step 6C of B.2. */
function addBlockToInput(input: Buffer, b: Buffer): void {
  const v = b.length;
  for (let start = 0; start < input.length; start += v) {
    let carry = 1;
    for (let index = v - 1; index >= 0; index -= 1) {
      const sum = (input[start + index] ?? 0) + (b[index] ?? 0) + carry;
      input[start + index] = sum & 0xff;
      carry = sum >> 8;
    }
  }
}
