import 'reflect-metadata';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { Server } from 'node:http';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { Clock } from '@app/common';
import { createTestDatabase } from './database.js';
import { testTempDir } from './temp-dir.js';

export const TEST_JWT_SECRET = 'test-secret-test-secret-test-secret-0123456789';

export interface TestApp {
  app: NestFastifyApplication;
  http: Server;
  db: DataSource;
  clock: Clock;
  databaseUrl: string;
  close(): Promise<void>;
}

/** Variables every test app gets unless the test overrides them. STRIPE_* are cleared: a test opts in. */
function baseEnvironment(databaseUrl: string): Record<string, string | undefined> {
  return {
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    JWT_SECRET: TEST_JWT_SECRET,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    AUTH_RATE_LIMIT_PER_MINUTE: '100000',
    DATA_DIR: testTempDir('vb-data-'),
    DATABASE_POOL_SIZE: '10',
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
export async function createTestApp(env: Record<string, string | undefined> = {}): Promise<TestApp> {
  // A given DATABASE_URL shares another app's database (two replicas in one test); else a fresh copy.
  const databaseUrl = env.DATABASE_URL ?? (await createTestDatabase());
  applyEnvironment({ ...baseEnvironment(databaseUrl), ...env });
  const { createApiApp } = await import('../../apps/api/src/app.factory.js');
  const app = await createApiApp();
  await app.init();
  await app.getHttpAdapter().getInstance().ready(); // Fastify: plugins and routes loaded before supertest connects
  const db = app.get<DataSource>(getDataSourceToken());
  return {
    app,
    http: app.getHttpServer(),
    db,
    clock: app.get(Clock),
    databaseUrl,
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
