import forge from 'node-forge';
import { describe, expect, it } from 'vitest';

import { MAC_DIGESTS } from '../../shared/certificates/p12-algorithms.js';
import { derivePkcs12Key, passwordForms } from '../../shared/certificates/p12-kdf.js';

const SALT = Buffer.from('0123456789abcdef', 'hex');

/** node-forge's independent PKCS#12 KDF, the reference for these tests. */
function forgeKey(
  password: string,
  md: forge.md.MessageDigest,
  purpose: number,
  length: number,
): Buffer {
  const salt = forge.util.createBuffer(SALT.toString('binary'));
  const key = forge.pkcs12.generateKey(password, salt, purpose, 1000, length, md);
  return Buffer.from(key.getBytes(), 'binary');
}

function digestFor(name: string) {
  const digest = Object.values(MAC_DIGESTS).find((candidate) => candidate.name === name);
  if (digest === undefined) {
    throw new Error(`no MAC digest named ${name}`);
  }
  return digest;
}

describe('derivePkcs12Key', () => {
  it.each([
    { hash: 'sha1', md: () => forge.md.sha1.create(), purpose: 1, length: 24 },
    { hash: 'sha1', md: () => forge.md.sha1.create(), purpose: 2, length: 8 },
    { hash: 'sha256', md: () => forge.md.sha256.create(), purpose: 3, length: 32 },
    { hash: 'sha256', md: () => forge.md.sha256.create(), purpose: 1, length: 80 },
    { hash: 'sha512', md: () => forge.md.sha512.create(), purpose: 3, length: 150 },
  ])('matches node-forge for $hash, $length bytes', ({ hash, md, purpose, length }) => {
    const [form] = passwordForms('test-pass');

    const key = derivePkcs12Key(digestFor(hash), form!.bmp, SALT, purpose, 1000, length);

    expect(key.toString('hex')).toBe(forgeKey('test-pass', md(), purpose, length).toString('hex'));
  });
});

describe('passwordForms', () => {
  it('encodes BMP with a terminator', () => {
    const [form] = passwordForms('ab');

    expect(form?.bmp.toString('hex')).toBe('006100620000');
  });

  it('adds the no-bytes form for ""', () => {
    const forms = passwordForms('');

    expect(forms.map((form) => form.bmp.toString('hex'))).toEqual(['0000', '']);
  });

  it('adds the byte-wise form for non-ASCII', () => {
    const forms = passwordForms('ä');

    expect(forms.map((form) => form.bmp.toString('hex'))).toEqual(['00e40000', '00c300a40000']);
  });

  it('keeps UTF-8 for PBKDF2', () => {
    const [form] = passwordForms('ä');

    expect(form?.utf8.toString('hex')).toBe('c3a4');
  });
});
