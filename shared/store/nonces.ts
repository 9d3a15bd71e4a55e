import type { SqlExecutor } from './executor.js';

/** Purges expired nonces on about one insert in this many, so the table stays small. */
const PURGE_EVERY = 100;

/** OAuth 1.0a nonce records in SQL, shared by every Lambda instance. */
export class SqlNonceStore {
  constructor(
    private readonly sql: SqlExecutor,
    private readonly random: () => number = Math.random,
  ) {}

  /** Records the nonce; returns false when it was already recorded and has not expired. */
  async remember(
    consumerKey: string,
    nonce: string,
    _timestamp: number,
    expiresAt: Date,
  ): Promise<boolean> {
    if (this.random() < 1 / PURGE_EVERY) {
      await this.sql.execute('DELETE FROM oauth_nonces WHERE expires_at < now()');
    }

    // An expired row with the same nonce is replaced: the timestamp check already refuses its request.
    const rows = await this.sql.execute(
      `INSERT INTO oauth_nonces (consumer_key, nonce, expires_at)
       VALUES (:consumerKey, :nonce, CAST(:expiresAt AS timestamptz))
       ON CONFLICT (consumer_key, nonce) DO UPDATE SET expires_at = EXCLUDED.expires_at
         WHERE oauth_nonces.expires_at < now()
       RETURNING consumer_key`,
      { consumerKey, nonce, expiresAt: expiresAt.toISOString() },
    );
    return rows.length > 0;
  }
}
