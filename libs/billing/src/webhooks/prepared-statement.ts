import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';

interface PgPool {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
}

const names = new Map<string, string>();

/**
 * Runs one statement as a named prepared statement on the data source's pg pool (PostgreSQL parses and plans
 * it once per connection, not per event). For the webhook's hot one-statement path only; everything else goes
 * through TypeORM. The statement's text must depend only on its shape, never on values (those are parameters).
 */
export async function queryPrepared<T>(dataSource: DataSource, text: string, values: unknown[]): Promise<T[]> {
  let name = names.get(text);
  if (!name) {
    name = `wh_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`;
    names.set(text, name);
  }
  const pool = (dataSource.driver as unknown as { master?: PgPool }).master;
  if (!pool) return dataSource.query<T[]>(text, values);
  const result = await pool.query({ name, text, values });
  return result.rows as T[];
}
