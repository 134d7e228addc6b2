import 'reflect-metadata';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { Server } from 'node:http';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { Clock } from '@app/common';
import { createTestDatabase, expectPgbouncerClient, onTestServer, throughPgbouncer } from './database.js';
import { testTempDir } from './temp-dir.js';

export const TEST_JWT_SECRET = 'test-secret-test-secret-test-secret-0123456789';

export interface TestApp {
  app: NestFastifyApplication;
  http: Server;
  db: DataSource;
  clock: Clock;
  /** The app's DATABASE_URL: the server, or PgBouncer in front of it (`pgbouncer`). */
  databaseUrl: string;
  /** The same database on the server itself (DATABASE_DIRECT_URL when through PgBouncer). */
  directDatabaseUrl: string;
  pgbouncer: boolean;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /**
   * DATABASE_URL through the run's PgBouncer in transaction mode (same database), DATABASE_DIRECT_URL at the
   * server. Default: on in the `pgbouncer` jest project (TEST_THROUGH_PGBOUNCER=1), off otherwise.
   */
  pgbouncer?: boolean;
}

/** Whether this test file runs through PgBouncer by default (the second pass of the core suites, jest.config.mjs). */
export function throughPgbouncerByDefault(): boolean {
  return process.env.TEST_THROUGH_PGBOUNCER === '1';
}

/** Variables every test app gets unless the test overrides them. STRIPE_* are cleared: a test opts in. */
function baseEnvironment(databaseUrl: string, directUrl?: string): Record<string, string | undefined> {
  return {
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    DATABASE_DIRECT_URL: directUrl,
    JWT_SECRET: TEST_JWT_SECRET,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    AUTH_RATE_LIMIT_PER_MINUTE: '100000',
    DATA_DIR: testTempDir('vb-data-'),
    DATABASE_POOL_SIZE: '10',
    // Tests hold rows locked until pg_stat_activity shows the waiter, on a loaded box: the production limits
    // (seconds) would turn a slow moment into a 503. The files about the limits set their own, short ones.
    DATABASE_LOCK_TIMEOUT_MS: '30000',
    DATABASE_STATEMENT_TIMEOUT_MS: '60000',
    APP_BASE_URL: 'http://billing.test',
    STRIPE_SECRET_KEY: undefined,
    STRIPE_PUBLISHABLE_KEY: undefined,
    STRIPE_WEBHOOK_SECRET: undefined,
    STRIPE_API_HOST: undefined,
    STRIPE_API_PORT: undefined,
    STRIPE_API_PROTOCOL: undefined,
    ADMIN_EMAIL: undefined,
    ADMIN_PASSWORD: undefined,
  };
}

export function applyEnvironment(env: Record<string, string | undefined>): void {
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
}

/**
 * The real API (the same factory main.ts uses) on a fresh copy of the migrated database. The environment is
 * read when the app module is first imported, so one test file runs one configuration.
 */
export async function createTestApp(env: Record<string, string | undefined> = {}, options: TestAppOptions = {}): Promise<TestApp> {
  // A given DATABASE_URL shares another app's database (two replicas in one test); else a fresh copy.
  // A given URL through PgBouncer (another app's) names its database on the test server; any other is used as is.
  const given = env.DATABASE_URL;
  const givenViaPgbouncer = !!given && new URL(given).port === new URL(process.env.TEST_PGBOUNCER_URL ?? 'postgres://x:1').port;
  const directDatabaseUrl = given ? (givenViaPgbouncer ? onTestServer(given) : given) : await createTestDatabase();
  const pgbouncer = options.pgbouncer ?? (given ? givenViaPgbouncer : throughPgbouncerByDefault());
  const databaseUrl = pgbouncer ? throughPgbouncer(directDatabaseUrl) : directDatabaseUrl;
  applyEnvironment({ ...baseEnvironment(databaseUrl, pgbouncer ? directDatabaseUrl : undefined), ...env, DATABASE_URL: databaseUrl });
  const { createApiApp } = await import('../../apps/api/src/app.factory.js');
  const app = await createApiApp();
  await app.init();
  await app.getHttpAdapter().getInstance().ready(); // Fastify: plugins and routes loaded before supertest connects
  const db = app.get<DataSource>(getDataSourceToken());
  if (pgbouncer) await expectPgbouncerClient(databaseUrl);
  return {
    app,
    http: app.getHttpServer(),
    db,
    clock: app.get(Clock),
    databaseUrl,
    directDatabaseUrl,
    pgbouncer,
    close: () => app.close(),
  };
}

/** supertest against the app, with a bearer token when given. */
export function api(t: TestApp, token?: string) {
  const agent = request(t.http);
  const auth = <T extends request.Test>(r: T) => (token ? r.set('Authorization', `Bearer ${token}`) : r);
  return {
    get: (path: string) => auth(agent.get(path)),
    post: (path: string) => auth(agent.post(path)),
    patch: (path: string) => auth(agent.patch(path)),
    put: (path: string) => auth(agent.put(path)),
    delete: (path: string) => auth(agent.delete(path)),
  };
}
