import { PGlite, type Transaction } from '@electric-sql/pglite';

import { type SqlExecutor, type SqlParams, type SqlRow, toPositional } from './executor.js';

type Queryable = Pick<PGlite, 'query'> | Transaction;

class PgliteQueries implements SqlExecutor {
  constructor(
    protected readonly target: Queryable,
    private readonly begin: <T>(work: (tx: SqlExecutor) => Promise<T>) => Promise<T>,
  ) {}

  async execute<Row extends SqlRow = SqlRow>(sql: string, params?: SqlParams): Promise<Row[]> {
    const { text, values } = toPositional(sql, params);
    const result = await this.target.query<Row>(text, values);
    return result.rows;
  }

  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.begin(work);
  }

  async close(): Promise<void> {}
}

/**
 * SQL executor on PGlite, the embedded PostgreSQL used by `npm start` and the tests. The
 * database lives in `dataDir`, or in memory when `dataDir` is undefined.
 */
export class PgliteExecutor extends PgliteQueries {
  private constructor(private readonly database: PGlite) {
    super(database, (work) =>
      database.transaction((tx) => {
        // A nested transaction() call joins the open one: PGlite has no savepoint API here.
        const inner: SqlExecutor = new PgliteQueries(tx, (nested) => nested(inner));
        return work(inner);
      }),
    );
  }

  static async open(dataDir?: string): Promise<PgliteExecutor> {
    const database = dataDir === undefined ? new PGlite() : new PGlite(dataDir);
    await database.waitReady;
    return new PgliteExecutor(database);
  }

  override async close(): Promise<void> {
    await this.database.close();
  }
}
