import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { logger } from '../logger.js';
import type { SqlExecutor } from './executor.js';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

/**
 * Applies the SQL files of `migrations/` in file-name order, each once, each in its own
 * transaction. Returns the names applied by this call.
 */
export async function migrate(
  executor: SqlExecutor,
  directory = MIGRATIONS_DIR,
): Promise<string[]> {
  await executor.execute(`
    CREATE TABLE IF NOT EXISTS schema_migrations (
      name text PRIMARY KEY,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);

  const applied = new Set(
    (await executor.execute<{ name: string }>('SELECT name FROM schema_migrations')).map(
      (row) => row.name,
    ),
  );
  const files = (await readdir(directory)).filter((file) => file.endsWith('.sql')).sort();
  const newlyApplied: string[] = [];

  for (const file of files) {
    if (applied.has(file)) {
      continue;
    }

    const sql = await readFile(path.join(directory, file), 'utf8');
    await executor.transaction(async (tx) => {
      for (const statement of splitStatements(sql)) {
        await tx.execute(statement);
      }
      await tx.execute('INSERT INTO schema_migrations (name) VALUES (:name)', { name: file });
    });
    logger.info('Applied database migration', { migration: file });
    newlyApplied.push(file);
  }

  return newlyApplied;
}

/** Splits a migration file on semicolons that end a line. Statements must not contain one. */
function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*$/m)
    .map((statement) => statement.replace(/^\s*--.*$/gm, '').trim())
    .filter((statement) => statement.length > 0);
}
