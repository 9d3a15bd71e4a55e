/** Key-value data of one secret version, such as `{ privateKeyPem, chainPem }`. */
export type SecretData = Record<string, string>;

export interface SecretVersion {
  data: SecretData;
  version: number;
}

/**
 * The secret-store port, shaped after Vault KV v2: every put makes a new numbered version
 * under a path, old versions stay readable until destroyed, and destroying a path removes
 * every version and its metadata. The AWS Secrets Manager adapter maps versions to staging
 * labels.
 */
export interface SecretStore {
  /** Writes a new version and returns its number (1 for a new path). */
  put(path: string, data: SecretData): Promise<{ version: number }>;
  /** Reads one version, the latest when `version` is omitted; undefined when absent or destroyed. */
  get(path: string, version?: number): Promise<SecretVersion | undefined>;
  /** Destroys one version for good; other versions stay. Absent versions are ignored. */
  destroyVersion(path: string, version: number): Promise<void>;
  /** Destroys every version and the metadata of a path. An absent path is ignored. */
  destroy(path: string): Promise<void>;
}

/** Failure of the secret store itself, as opposed to a secret that does not exist. */
export class SecretStoreError extends Error {
  override readonly name = 'SecretStoreError';
}
