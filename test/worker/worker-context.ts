import 'reflect-metadata';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { Clock } from '@app/common';
import { JobRunnerService } from '@app/database';
import { createTestDatabase } from '../support/database.js';
import { testTempDir } from '../support/temp-dir.js';
import { StripeDouble, stripeEnv } from '../stripe-double/stripe-double.js';
import { applyEnvironment, TEST_JWT_SECRET } from '../support/test-app.js';
import type { WorkerJobs } from '../../apps/worker/src/jobs/worker-jobs.service.js';

/**
 * A fresh migrated database and the environment a worker process would have on it (one per test file: the
 * environment is read when the worker module is first imported). Answers the database URL.
 */
export async function prepareWorkerEnvironment(env: Record<string, string | undefined> = {}): Promise<string> {
  const databaseUrl = await createTestDatabase();
  applyEnvironment({
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    JWT_SECRET: TEST_JWT_SECRET,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    DATA_DIR: testTempDir('vb-worker-'),
    DATABASE_POOL_SIZE: '5',
    STRIPE_SECRET_KEY: undefined,
    STRIPE_PUBLISHABLE_KEY: undefined,
    STRIPE_WEBHOOK_SECRET: undefined,
    STRIPE_API_HOST: undefined,
    STRIPE_API_PORT: undefined,
    STRIPE_API_PROTOCOL: undefined,
    ...env,
  });
  return databaseUrl;
}

export interface WorkerContext {
  app: INestApplicationContext;
  jobs: WorkerJobs;
  runner: JobRunnerService;
  clock: Clock;
  db: DataSource;
  /** Runs a job by name through the runner, as the scheduler and `npm run job` do. */
  run(name: string): ReturnType<WorkerJobs['run']>;
  close(): Promise<void>;
}

/**
 * A worker process's application context: `scheduler: false` is what `npm run job` starts (the jobs without
 * cron), `true` is the whole WorkerModule with its schedules.
 */
export async function startWorkerContext(options: { scheduler?: boolean } = {}): Promise<WorkerContext> {
  const { WorkerJobsModule } = await import('../../apps/worker/src/worker-jobs.module.js');
  const { WorkerModule } = await import('../../apps/worker/src/worker.module.js');
  const { WorkerJobs } = await import('../../apps/worker/src/jobs/worker-jobs.service.js');
  const app = await NestFactory.createApplicationContext(options.scheduler ? WorkerModule : WorkerJobsModule, { logger: false });
  await app.init();
  const jobs = app.get(WorkerJobs);
  return {
    app,
    jobs,
    runner: app.get(JobRunnerService),
    clock: app.get(Clock),
    db: app.get<DataSource>(getDataSourceToken()),
    run: (name: string) => {
      const job = jobs.find(name);
      if (!job) throw new Error(`no job ${name}`);
      return jobs.run(job);
    },
    close: () => app.close(),
  };
}

/**
 * The set-up of a worker test file against the Stripe double, as useStripeTestApp is for the API: beforeAll starts
 * the double, points the worker's environment at it (plus `env`) and starts the jobs' context; afterAll closes the
 * context, then the double. `w` is filled in place, so a file can take the answer apart once.
 */
export function useStripeWorker(env: Record<string, string | undefined> = {}): { w: WorkerContext; double: StripeDouble } {
  const double = new StripeDouble();
  const w = {} as WorkerContext;
  let listening = false;
  let context: WorkerContext | undefined;
  beforeAll(async () => {
    await double.listen();
    listening = true;
    await prepareWorkerEnvironment({ ...stripeEnv(double), ...env });
    context = await startWorkerContext();
    Object.assign(w, context);
  });
  afterAll(async () => {
    await context?.close();
    if (listening) await double.close();
  });
  return { w, double };
}
