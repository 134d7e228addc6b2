import type { DataSourceOptions } from 'typeorm';
import { migrations } from '../../../migrations/index.js';
import { SnakeNamingStrategy } from './snake-naming.strategy.js';

/**
 * The one data source definition: the API, the worker, the migration CLI and the tests all start from it.
 * Entities are registered by each lib's module (`autoLoadEntities`); migrations are explicit classes, so the
 * same list works compiled (dist/) and under jest.
 */
export function dataSourceOptions(url: string, overrides: Partial<DataSourceOptions> = {}): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    synchronize: false,
    migrationsRun: false,
    migrations,
    migrationsTransactionMode: 'each',
    namingStrategy: new SnakeNamingStrategy(),
    extra: { max: Number(process.env.DATABASE_POOL_SIZE ?? 20), application_name: process.env.APP_NAME ?? 'vendor-billing' },
    ...overrides,
  } as DataSourceOptions;
}

/**
 * The URL for what needs a PostgreSQL session (migrations, the worker's session advisory locks):
 * DATABASE_DIRECT_URL when set, since DATABASE_URL may be a transaction-mode pooler; else DATABASE_URL. Without
 * DATABASE_URL (the embedded database) none: the direct URL only ever stands beside a DATABASE_URL.
 */
export function sessionDatabaseUrl(env: { DATABASE_URL?: string; DATABASE_DIRECT_URL?: string } = process.env): string | undefined {
  if (!env.DATABASE_URL) return undefined;
  return env.DATABASE_DIRECT_URL || env.DATABASE_URL;
}
