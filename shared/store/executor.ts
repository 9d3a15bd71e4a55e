/** A value bound to a named SQL parameter. Dates travel as ISO 8601 strings. */
export type SqlValue = string | number | boolean | null;

/** Named parameters, written `:name` in the SQL text (the RDS Data API form). */
export type SqlParams = Record<string, SqlValue>;

export type SqlRow = Record<string, unknown>;

/**
 * The SQL store port. Both adapters (PGlite locally, the RDS Data API in AWS) run the same
 * PostgreSQL text. Repositories therefore keep to what both accept: named parameters, no
 * array parameters (pass JSON and expand it in SQL), and explicit casts for ambiguous types.
 */
export interface SqlExecutor {
  execute<Row extends SqlRow = SqlRow>(sql: string, params?: SqlParams): Promise<Row[]>;
  /** Runs `work` in one transaction. It commits when `work` resolves and rolls back when it throws. */
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** The SQLSTATE of a unique-constraint violation, which repositories turn into a 409. */
export const UNIQUE_VIOLATION = '23505';

/** Returns the SQLSTATE of a database error from either adapter, if it carries one. */
export function sqlStateOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) {
    return undefined;
  }

  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
    return code;
  }

  const message = (error as { message?: unknown }).message;
  if (typeof message === 'string' && message.includes('duplicate key value')) {
    return UNIQUE_VIOLATION;
  }
  return undefined;
}

/** Returns the name of the violated constraint, when the driver reports it. */
export function constraintOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) {
    return undefined;
  }

  const constraint = (error as { constraint?: unknown }).constraint;
  if (typeof constraint === 'string') {
    return constraint;
  }

  const message = String((error as { message?: unknown }).message ?? '');
  return /constraint "([^"]+)"/.exec(message)?.[1];
}

/**
 * Rewrites `:name` parameters to PostgreSQL's positional `$n` form. A `::type` cast is left
 * alone. Parameter names must not appear inside string literals of the SQL text.
 */
export function toPositional(
  sql: string,
  params: SqlParams = {},
): { text: string; values: SqlValue[] } {
  const order = new Map<string, number>();
  const values: SqlValue[] = [];

  const text = sql.replace(/(?<!:):([A-Za-z_][A-Za-z0-9_]*)/g, (_match, name: string) => {
    if (!Object.hasOwn(params, name)) {
      throw new Error(`SQL parameter :${name} has no value.`);
    }

    let position = order.get(name);
    if (position === undefined) {
      values.push(params[name] ?? null);
      position = values.length;
      order.set(name, position);
    }
    return `$${position}`;
  });

  return { text, values };
}
