import { DataSource } from 'typeorm';
import { AdvisoryLock } from './advisory-lock.js';
import { dataSourceOptions } from './data-source-options.js';

/**
 * Applies (or undoes the last of) the migrations under a session advisory lock, so replicas that start
 * together migrate once. Answers the names of the migrations it ran. `url` must reach the server itself, not a
 * transaction-mode pooler (the lock is a session's): callers pass `sessionDatabaseUrl()`.
 */
export async function migrateDatabase(url: string, direction: 'run' | 'revert' = 'run'): Promise<string[]> {
  const dataSource = new DataSource(dataSourceOptions(url, { extra: { max: 2 } }));
  await dataSource.initialize();
  const lock = dataSource.createQueryRunner();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [AdvisoryLock.Migrations]);
    if (direction === 'revert') {
      const before = await dataSource.query(`SELECT name FROM migrations ORDER BY id DESC LIMIT 1`).catch(() => []);
      await dataSource.undoLastMigration();
      return before.map((r: { name: string }) => r.name);
    }
    const ran = await dataSource.runMigrations();
    return ran.map((m) => m.name);
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [AdvisoryLock.Migrations]).catch(() => undefined);
    await lock.release();
    await dataSource.destroy();
  }
}
