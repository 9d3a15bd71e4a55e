import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import forge from 'node-forge';

import type { TestIdentity, TestPki } from './pki.js';

const { asn1 } = forge;
const { Class, Type } = forge.asn1;

/** The kinds of p12 file the tests need, each made the way a real tool makes it. */
export type P12Kind =
  /** `openssl pkcs12 -export` with OpenSSL 3 defaults: PBES2, AES-256-CBC, SHA-256 MAC. */
  | 'openssl-default'
  /** `-legacy`: RC2-40 certificates, 3DES key, SHA-1 MAC. */
  | 'openssl-legacy'
  | 'openssl-nomac'
  /** `-passout pass:`, the password is `""`. */
  | 'empty-password'
  /** Leaf plus intermediate and root, given to openssl root first. */
  | 'with-chain'
  /** The `with-chain` file rewritten by `keytool -importkeystore`, as a Java keystore export. */
  | 'java-keytool'
  /** EC P-256 key and leaf made by openssl, signed by the test intermediate, with the chain. */
  | 'ec-p256'
  /** Ed25519 key and leaf made by openssl, signed by the test intermediate. */
  | 'ed25519'
  /** node-forge's own export of the leaf with the server's key. */
  | 'key-mismatch'
  | 'expired'
  | 'not-yet-valid'
  /** node-forge-built: the client key, a second key and the leaf. */
  | 'two-keys'
  | 'certificate-only'
  | 'key-only'
  /** `-iter 300000`, which also sets the MAC iteration count. */
  | 'high-iterations'
  /** node-forge-built: a key-less trusted root bag as Java adds it, then key, leaf, intermediate. */
  | 'trusted-before-leaf'
  /** The default export with its encrypted certificates repeated, five times in all, and no MAC. */
  | 'repeated-encrypted-parts'
  /** The default export re-encoded with BER indefinite lengths and a chunked OCTET STRING. */
  | 'ber-indefinite'
  /** node-forge export with a null password: plain key bag, MAC keyed from no password bytes. */
  | 'forge-no-password'
  /**
   * node-forge export (3DES key, SHA-1 MAC) keyed from each UTF-8 byte of the password as one
   * BMP character, as OpenSSL 1.0 wrote non-ASCII passwords.
   */
  | 'bytewise-password';

export interface P12Options {
  pki: TestPki;
  /** RSA client certificate to pack; issued by the test intermediate when omitted. */
  client?: TestIdentity;
  /** @default 'test-pass' ('' for `empty-password`) */
  password?: string;
  /** Extra `openssl pkcs12 -export` arguments, such as `['-macalg', 'sha512']`. */
  opensslArgs?: string[];
}

/** The key, leaf and chain a p12 file was made from; the chain is in issuer order. */
export interface P12Identity {
  keyPem: string;
  certPem: string;
  chainPem: string[];
}

export interface P12File {
  bytes: Buffer;
  password: string;
  identity: P12Identity;
}

const DAY_MS = 24 * 3600_000;

/** Makes a p12 file of `kind` in a temporary folder, which is removed before returning. */
export function makeP12(kind: P12Kind, options: P12Options): P12File {
  const folder = mkdtempSync(path.join(tmpdir(), 'p12-files-'));
  try {
    return makeInFolder(kind, options, new Workspace(folder));
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

function makeInFolder(kind: P12Kind, options: P12Options, workspace: Workspace): P12File {
  const { pki } = options;
  const password = options.password ?? (kind === 'empty-password' ? '' : 'test-pass');
  const client = () => options.client ?? pki.issueClient('p12-client.example.test');
  const chain = [pki.intermediate.certPem, pki.root.certPem];
  const exportWith = (identity: P12Identity, args: string[] = []): P12File => ({
    bytes: workspace.exportP12(identity, password, [...args, ...(options.opensslArgs ?? [])]),
    password,
    identity,
  });

  switch (kind) {
    case 'openssl-default':
    case 'empty-password':
      return exportWith(rsaIdentity(client()));
    case 'openssl-legacy':
      return exportWith(rsaIdentity(client()), ['-legacy']);
    case 'openssl-nomac':
      return exportWith(rsaIdentity(client()), ['-nomac']);
    case 'high-iterations':
      return exportWith(rsaIdentity(client()), ['-iter', '300000']);
    case 'with-chain':
      return exportWith(rsaIdentity(client(), chain), [
        '-certfile',
        workspace.write('chain.pem', [...chain].reverse().join('')),
      ]);
    case 'java-keytool': {
      const file = exportWith(rsaIdentity(client(), chain), [
        '-certfile',
        workspace.write('chain.pem', chain.join('')),
      ]);
      return { ...file, bytes: workspace.rewriteWithKeytool(file.bytes, password) };
    }
    case 'ec-p256':
      return exportWith(
        workspace.issueWithOpenssl(
          pki.intermediate,
          ['ecparam', '-name', 'prime256v1', '-genkey', '-noout'],
          chain,
        ),
        ['-certfile', workspace.write('chain.pem', chain.join(''))],
      );
    case 'ed25519':
      return exportWith(
        workspace.issueWithOpenssl(pki.intermediate, ['genpkey', '-algorithm', 'ed25519'], []),
      );
    case 'expired':
      return exportWith(
        rsaIdentity(
          pki.issueClient('expired.example.test', {
            notBefore: new Date(Date.now() - 3 * DAY_MS),
            notAfter: new Date(Date.now() - DAY_MS),
          }),
        ),
      );
    case 'not-yet-valid':
      return exportWith(
        rsaIdentity(
          pki.issueClient('future.example.test', {
            notBefore: new Date(Date.now() + DAY_MS),
            notAfter: new Date(Date.now() + 30 * DAY_MS),
          }),
        ),
      );
    case 'certificate-only':
      return exportWith(rsaIdentity(client()), ['-nokeys']);
    case 'key-only':
      return exportWith(rsaIdentity(client()), ['-nocerts']);
    case 'key-mismatch':
      return makeKeyMismatch(client(), pki.server, password);
    case 'two-keys':
      return makeTwoKeys(client(), pki.server, password);
    case 'trusted-before-leaf':
      return makeTrustedBeforeLeaf(client(), pki, password);
    case 'repeated-encrypted-parts': {
      const file = exportWith(rsaIdentity(client()));
      return { ...file, bytes: repeatEncryptedParts(file.bytes, 4) };
    }
    case 'forge-no-password':
      return makeForgeExport(client(), null, '');
    case 'bytewise-password':
      return makeForgeExport(client(), Buffer.from(password, 'utf8').toString('latin1'), password);
    case 'ber-indefinite': {
      const file = exportWith(rsaIdentity(client()));
      return { ...file, bytes: toIndefiniteLengths(file.bytes) };
    }
  }
}

function rsaIdentity(identity: TestIdentity, chainPem: string[] = []): P12Identity {
  return { keyPem: identity.keyPem, certPem: identity.certPem, chainPem };
}

/** A temporary folder where the openssl CLI reads and writes its files. */
class Workspace {
  constructor(private readonly folder: string) {}

  write(name: string, content: string): string {
    const file = path.join(this.folder, name);
    writeFileSync(file, content);
    return file;
  }

  /** Runs `openssl pkcs12 -export`; the password travels in the environment, not in argv. */
  exportP12(identity: P12Identity, password: string, args: string[]): Buffer {
    const output = path.join(this.folder, 'out.p12');
    const keyArgs = args.includes('-nokeys')
      ? []
      : ['-inkey', this.write('leaf.key', identity.keyPem)];
    const certArgs = args.includes('-nocerts')
      ? []
      : ['-in', this.write('leaf.pem', identity.certPem)];
    this.openssl(
      [
        'pkcs12',
        '-export',
        ...keyArgs,
        ...certArgs,
        '-out',
        output,
        '-passout',
        'env:P12_PASSWORD',
        ...args,
      ],
      password,
    );
    return readFileSync(output);
  }

  /** Runs `keytool -importkeystore` from PKCS12 to PKCS12; passwords travel in the environment. */
  rewriteWithKeytool(p12: Buffer, password: string): Buffer {
    const source = path.join(this.folder, 'keytool-in.p12');
    const target = path.join(this.folder, 'keytool-out.p12');
    writeFileSync(source, p12);
    execFileSync(
      'keytool',
      [
        '-importkeystore',
        '-noprompt',
        '-srckeystore',
        source,
        '-srcstoretype',
        'PKCS12',
        '-srcstorepass:env',
        'P12_PASSWORD',
        '-destkeystore',
        target,
        '-deststoretype',
        'PKCS12',
        '-deststorepass:env',
        'P12_PASSWORD',
      ],
      { cwd: this.folder, env: { ...process.env, P12_PASSWORD: password }, stdio: 'pipe' },
    );
    return readFileSync(target);
  }

  /** Makes a key with `keyCommand` and a client certificate for it signed by `issuer`. */
  issueWithOpenssl(issuer: TestIdentity, keyCommand: string[], chainPem: string[]): P12Identity {
    const key = path.join(this.folder, 'new.key');
    const request = path.join(this.folder, 'new.csr');
    const certificate = path.join(this.folder, 'new.pem');
    const extensions = this.write(
      'client.ext',
      'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n',
    );

    this.openssl([...keyCommand, '-out', key]);
    this.openssl([
      'req',
      '-new',
      '-key',
      key,
      '-subj',
      '/O=Example Tenant/CN=openssl-client.example.test',
      '-out',
      request,
    ]);
    this.openssl([
      'x509',
      '-req',
      '-in',
      request,
      '-out',
      certificate,
      '-days',
      '30',
      '-extfile',
      extensions,
      '-CA',
      this.write('issuer.pem', issuer.certPem),
      '-CAkey',
      this.write('issuer.key', issuer.keyPem),
      '-set_serial',
      `0x${forge.util.bytesToHex(forge.random.getBytesSync(8))}`,
    ]);
    return {
      keyPem: readFileSync(key, 'utf8'),
      certPem: readFileSync(certificate, 'utf8'),
      chainPem,
    };
  }

  private openssl(args: string[], password = ''): void {
    execFileSync('openssl', args, {
      cwd: this.folder,
      env: { ...process.env, P12_PASSWORD: password },
      stdio: 'pipe',
    });
  }
}

function makeKeyMismatch(client: TestIdentity, other: TestIdentity, password: string): P12File {
  const pfx = forge.pkcs12.toPkcs12Asn1(
    other.key as forge.pki.rsa.PrivateKey,
    client.cert,
    password,
    { algorithm: '3des' },
  );
  return { bytes: toBuffer(asn1.toDer(pfx).getBytes()), password, identity: rsaIdentity(client) };
}

/** `forgePassword` keys the file, `password` is what a user types to open it. */
function makeForgeExport(
  client: TestIdentity,
  forgePassword: string | null,
  password: string,
): P12File {
  const pfx = forge.pkcs12.toPkcs12Asn1(
    client.key as forge.pki.rsa.PrivateKey,
    client.cert,
    forgePassword,
    {
      algorithm: '3des',
    },
  );
  return { bytes: toBuffer(asn1.toDer(pfx).getBytes()), password, identity: rsaIdentity(client) };
}

function makeTwoKeys(client: TestIdentity, other: TestIdentity, password: string): P12File {
  const bags = [
    keyBag(client.key, password, '01'),
    keyBag(other.key, password, '02'),
    certificateBag(client.certPem, { localKeyId: '01' }),
  ];
  return { bytes: buildPfx(bags, password), password, identity: rsaIdentity(client) };
}

function makeTrustedBeforeLeaf(client: TestIdentity, pki: TestPki, password: string): P12File {
  const bags = [
    certificateBag(pki.root.certPem, { trusted: true }),
    keyBag(client.key, password, '01'),
    certificateBag(client.certPem, { localKeyId: '01' }),
    certificateBag(pki.intermediate.certPem, {}),
  ];
  const identity = rsaIdentity(client, [pki.intermediate.certPem, pki.root.certPem]);
  return { bytes: buildPfx(bags, password), password, identity };
}

const BAG_OIDS = {
  shroudedKey: '1.2.840.113549.1.12.10.1.2',
  certificate: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  localKeyId: '1.2.840.113549.1.9.21',
  /** Java's trustedKeyUsage attribute, which keytool puts on trusted certificate entries. */
  javaTrustedKeyUsage: '2.16.840.1.113894.746875.1.1',
  anyExtendedKeyUsage: '2.5.29.37.0',
  data: '1.2.840.113549.1.7.1',
  sha256: '2.16.840.1.101.3.4.2.1',
};

function keyBag(key: forge.pki.PrivateKey, password: string, localKeyId: string): forge.asn1.Asn1 {
  const privateKeyInfo = forge.pki.wrapRsaPrivateKey(
    forge.pki.privateKeyToAsn1(key as forge.pki.rsa.PrivateKey),
  );
  const encrypted = forge.pki.encryptPrivateKeyInfo(privateKeyInfo, password, {
    algorithm: 'aes256',
    prfAlgorithm: 'sha256',
  });
  return safeBag(BAG_OIDS.shroudedKey, encrypted, [
    attribute(BAG_OIDS.localKeyId, octets(forge.util.hexToBytes(localKeyId))),
  ]);
}

function certificateBag(
  certPem: string,
  options: { localKeyId?: string; trusted?: boolean },
): forge.asn1.Asn1 {
  const der = forge.pem.decode(certPem)[0]?.body ?? '';
  const value = sequence([oid(BAG_OIDS.x509Certificate), explicit(octets(der))]);
  const attributes: forge.asn1.Asn1[] = [];
  if (options.localKeyId !== undefined) {
    attributes.push(
      attribute(BAG_OIDS.localKeyId, octets(forge.util.hexToBytes(options.localKeyId))),
    );
  }
  if (options.trusted === true) {
    attributes.push(attribute(BAG_OIDS.javaTrustedKeyUsage, oid(BAG_OIDS.anyExtendedKeyUsage)));
  }
  return safeBag(BAG_OIDS.certificate, value, attributes);
}

/** Packs `bags` into one unencrypted SafeContents with a SHA-256 MAC made by node-forge. */
function buildPfx(bags: forge.asn1.Asn1[], password: string): Buffer {
  const safeContents = asn1.toDer(sequence(bags)).getBytes();
  const authSafe = asn1.toDer(sequence([dataContentInfo(safeContents)])).getBytes();

  const salt = forge.random.getBytesSync(8);
  const iterations = 2048;
  const macKey = forge.pkcs12.generateKey(
    password,
    forge.util.createBuffer(salt),
    3,
    iterations,
    32,
    forge.md.sha256.create(),
  );
  const hmac = forge.hmac.create();
  hmac.start(forge.md.sha256.create(), macKey);
  hmac.update(authSafe);
  const digestInfo = sequence([
    sequence([oid(BAG_OIDS.sha256), asn1.create(Class.UNIVERSAL, Type.NULL, false, '')]),
    octets(hmac.digest().getBytes()),
  ]);
  const macData = sequence([
    digestInfo,
    octets(salt),
    asn1.create(Class.UNIVERSAL, Type.INTEGER, false, asn1.integerToDer(iterations).getBytes()),
  ]);

  const pfx = sequence([version3(), dataContentInfo(authSafe), macData]);
  return toBuffer(asn1.toDer(pfx).getBytes());
}

/** Repeats each encrypted ContentInfo of a p12 `copies` more times and drops the MAC. */
function repeatEncryptedParts(bytes: Buffer, copies: number): Buffer {
  const pfx = asn1.fromDer(bytes.toString('binary'));
  const authSafeOctets = readDataContent(pfx);
  const contentInfos = asn1.fromDer(authSafeOctets).value as forge.asn1.Asn1[];
  const encryptedDataOid = asn1.oidToDer('1.2.840.113549.1.7.6').getBytes();

  const repeated = contentInfos.flatMap((contentInfo) => {
    const isEncrypted = (contentInfo.value as forge.asn1.Asn1[])[0]?.value === encryptedDataOid;
    return isEncrypted ? Array.from({ length: copies + 1 }, () => contentInfo) : [contentInfo];
  });
  const authSafe = asn1.toDer(sequence(repeated)).getBytes();
  return toBuffer(asn1.toDer(sequence([version3(), dataContentInfo(authSafe)])).getBytes());
}

/**
 * Re-encodes the outer PFX the way NSS and some Windows versions write it: constructed values
 * with indefinite lengths, and the authSafe content split into 512-byte OCTET STRING chunks.
 * The content octets stay the same, so the MAC still verifies.
 */
function toIndefiniteLengths(bytes: Buffer): Buffer {
  const pfx = asn1.fromDer(bytes.toString('binary'));
  const [version, authSafe, macData] = pfx.value as forge.asn1.Asn1[];
  const content = readDataContent(pfx);
  const chunks: string[] = [];
  for (let start = 0; start < content.length; start += 512) {
    chunks.push(derOf(octets(content.slice(start, start + 512))));
  }

  const contentType = derOf((authSafe?.value as forge.asn1.Asn1[])[0]);
  const octetString = indefinite(0x24, chunks.join(''));
  const contentInfo = indefinite(0x30, contentType + indefinite(0xa0, octetString));
  const encoded = indefinite(
    0x30,
    derOf(version) + contentInfo + (macData === undefined ? '' : derOf(macData)),
  );
  return toBuffer(encoded);
}

function readDataContent(pfx: forge.asn1.Asn1): string {
  const authSafe = (pfx.value as forge.asn1.Asn1[])[1] as forge.asn1.Asn1;
  const explicitContent = (authSafe.value as forge.asn1.Asn1[])[1] as forge.asn1.Asn1;
  return ((explicitContent.value as forge.asn1.Asn1[])[0] as forge.asn1.Asn1).value as string;
}

function indefinite(tag: number, content: string): string {
  return String.fromCharCode(tag, 0x80) + content + '\x00\x00';
}

function derOf(node: forge.asn1.Asn1 | undefined): string {
  return node === undefined ? '' : asn1.toDer(node).getBytes();
}

function safeBag(
  bagOid: string,
  value: forge.asn1.Asn1,
  attributes: forge.asn1.Asn1[],
): forge.asn1.Asn1 {
  const parts = [oid(bagOid), explicit(value)];
  if (attributes.length > 0) {
    parts.push(asn1.create(Class.UNIVERSAL, Type.SET, true, attributes));
  }
  return sequence(parts);
}

function attribute(attributeOid: string, value: forge.asn1.Asn1): forge.asn1.Asn1 {
  return sequence([oid(attributeOid), asn1.create(Class.UNIVERSAL, Type.SET, true, [value])]);
}

function dataContentInfo(content: string): forge.asn1.Asn1 {
  return sequence([oid(BAG_OIDS.data), explicit(octets(content))]);
}

function version3(): forge.asn1.Asn1 {
  return asn1.create(Class.UNIVERSAL, Type.INTEGER, false, asn1.integerToDer(3).getBytes());
}

function sequence(children: forge.asn1.Asn1[]): forge.asn1.Asn1 {
  return asn1.create(Class.UNIVERSAL, Type.SEQUENCE, true, children);
}

function explicit(child: forge.asn1.Asn1): forge.asn1.Asn1 {
  return asn1.create(Class.CONTEXT_SPECIFIC, 0, true, [child]);
}

function oid(value: string): forge.asn1.Asn1 {
  return asn1.create(Class.UNIVERSAL, Type.OID, false, asn1.oidToDer(value).getBytes());
}

function octets(bytes: string): forge.asn1.Asn1 {
  return asn1.create(Class.UNIVERSAL, Type.OCTETSTRING, false, bytes);
}

function toBuffer(binary: string): Buffer {
  return Buffer.from(binary, 'binary');
}
