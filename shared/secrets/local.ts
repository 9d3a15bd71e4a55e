import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmod, link, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { type SecretData, type SecretStore, SecretStoreError, type SecretVersion } from './port.js';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const MAX_PUT_ATTEMPTS = 5;

/**
 * The last queued write of each secret folder in this process. Every write of a folder waits
 * for the one before it, so concurrent puts of one path never race for a version number.
 * The map is shared by all stores of the process, because two stores may open one folder.
 */
const writeQueues = new Map<string, Promise<void>>();

interface SealedVersion {
  iv: string;
  tag: string;
  ciphertext: string;
}

/**
 * Secret store for `npm start` and tests: each version is a JSON file sealed with
 * AES-256-GCM under `<dataDir>/secrets/<sha256(path)>/`. The path and version number are the
 * additional authenticated data, so a file copied to another path or version fails to open.
 */
export class LocalSecretStore implements SecretStore {
  private constructor(
    private readonly root: string,
    private readonly key: Buffer,
  ) {}

  /**
   * Opens the store. The key comes from `keyBase64` (MTLS_LOCAL_SECRET_KEY, 32 bytes in
   * base64) or from `<dataDir>/secret.key`, which the first start creates with mode 0600.
   */
  static async open(dataDir: string, keyBase64?: string): Promise<LocalSecretStore> {
    const key = keyBase64 ? decodeKey(keyBase64) : await loadOrCreateKey(dataDir);
    const root = path.join(dataDir, 'secrets');
    await mkdir(root, { recursive: true, mode: 0o700 });
    return new LocalSecretStore(root, key);
  }

  put(secretPath: string, data: SecretData): Promise<{ version: number }> {
    const folder = this.folderOf(secretPath);
    return serializeWrites(folder, () => this.writeVersion(secretPath, folder, data));
  }

  async get(secretPath: string, version?: number): Promise<SecretVersion | undefined> {
    const folder = this.folderOf(secretPath);
    const readVersion = version ?? (await this.latestVersion(folder));
    if (readVersion < 1) {
      return undefined;
    }

    let text: string;
    try {
      text = await readFile(path.join(folder, `v${readVersion}.json`), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        return undefined;
      }
      throw new SecretStoreError(`Failed to read secret version ${readVersion}.`, { cause: error });
    }

    const plaintext = this.open(secretPath, readVersion, JSON.parse(text) as SealedVersion);
    return { data: JSON.parse(plaintext) as SecretData, version: readVersion };
  }

  destroyVersion(secretPath: string, version: number): Promise<void> {
    const folder = this.folderOf(secretPath);
    return serializeWrites(folder, () =>
      rm(path.join(folder, `v${version}.json`), { force: true }),
    );
  }

  destroy(secretPath: string): Promise<void> {
    const folder = this.folderOf(secretPath);
    return serializeWrites(folder, () => rm(folder, { recursive: true, force: true }));
  }

  /**
   * Writes the next version file of `folder`. Writes of this process are serialized before
   * this runs. Another process may write the same path at the same time (dev-appkey beside
   * the gateway), but link() fails when the version file exists, so they never share a number.
   */
  private async writeVersion(
    secretPath: string,
    folder: string,
    data: SecretData,
  ): Promise<{ version: number }> {
    await mkdir(folder, { recursive: true, mode: 0o700 });

    for (let attempt = 0; attempt < MAX_PUT_ATTEMPTS; attempt += 1) {
      const version = (await this.latestVersion(folder)) + 1;
      const sealed = this.seal(secretPath, version, JSON.stringify(data));
      const file = path.join(folder, `v${version}.json`);
      const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;

      await writeFile(temporary, JSON.stringify(sealed), { mode: 0o600, flag: 'wx' });
      try {
        await link(temporary, file);
        return { version };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw error;
        }
      } finally {
        await rm(temporary, { force: true });
      }
    }
    throw new SecretStoreError(
      `Failed to write a new secret version after ${MAX_PUT_ATTEMPTS} attempts, because other processes kept writing the same path.`,
    );
  }

  private folderOf(secretPath: string): string {
    return path.join(this.root, createHash('sha256').update(secretPath).digest('hex'));
  }

  private async latestVersion(folder: string): Promise<number> {
    let files: string[];
    try {
      files = await readdir(folder);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        return 0;
      }
      throw error;
    }

    const versions = files
      .map((file) => /^v(\d+)\.json$/.exec(file)?.[1])
      .filter((match): match is string => match !== undefined)
      .map(Number);
    return versions.length === 0 ? 0 : Math.max(...versions);
  }

  private seal(secretPath: string, version: number, plaintext: string): SealedVersion {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(`${secretPath}#${version}`));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);

    return {
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      ciphertext: ciphertext.toString('base64'),
    };
  }

  private open(secretPath: string, version: number, sealed: SealedVersion): string {
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(sealed.iv, 'base64'));
      decipher.setAAD(Buffer.from(`${secretPath}#${version}`));
      decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
      const plaintext = Buffer.concat([
        decipher.update(Buffer.from(sealed.ciphertext, 'base64')),
        decipher.final(),
      ]);
      return plaintext.toString('utf8');
    } catch (error) {
      throw new SecretStoreError(
        `Failed to decrypt secret version ${version}: wrong MTLS_LOCAL_SECRET_KEY or a damaged file.`,
        { cause: error },
      );
    }
  }
}

/** Runs `write` after every earlier write of `folder` in this process has settled. */
async function serializeWrites<T>(folder: string, write: () => Promise<T>): Promise<T> {
  const previous = writeQueues.get(folder) ?? Promise.resolve();
  const result = previous.then(write);
  const settled = result.then(
    () => undefined,
    () => undefined,
  );
  writeQueues.set(folder, settled);

  try {
    return await result;
  } finally {
    if (writeQueues.get(folder) === settled) {
      writeQueues.delete(folder);
    }
  }
}

function decodeKey(keyBase64: string): Buffer {
  const key = Buffer.from(keyBase64, 'base64');
  if (key.length !== KEY_BYTES) {
    throw new Error(`Invalid MTLS_LOCAL_SECRET_KEY: expected ${KEY_BYTES} bytes in base64.`);
  }
  return key;
}

async function loadOrCreateKey(dataDir: string): Promise<Buffer> {
  const file = path.join(dataDir, 'secret.key');
  try {
    return decodeKey((await readFile(file, 'utf8')).trim());
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw error;
    }
  }

  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const key = randomBytes(KEY_BYTES);
  try {
    await writeFile(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    // Another process created the key first: use that one.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      return decodeKey((await readFile(file, 'utf8')).trim());
    }
    throw error;
  }
  await chmod(file, 0o600);
  return key;
}
