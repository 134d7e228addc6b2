import { NestFactory } from '@nestjs/core';
import { JOB_NAMES as DATABASE_JOB_NAMES } from '@app/database';
import type { LoggerService } from '@nestjs/common';
import { WorkerJobsModule } from './worker-jobs.module.js';
import { WorkerJobs } from './jobs/worker-jobs.service.js';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_UNKNOWN_JOB = 2;

/** The names `npm run job` accepts, without starting anything. */
export const JOB_NAMES: string[] = DATABASE_JOB_NAMES;

/**
 * `npm run job -- <name>`: runs one job now through the job runner (lock, `job_runs` row), in an application
 * context without the scheduler. Answers the exit code: 0 succeeded or skipped, 1 failed, 2 unknown name.
 */
export async function runJobCommand(name: string | undefined, options: { logger?: LoggerService | false; out?: (line: string) => void } = {}): Promise<number> {
  const out = options.out ?? ((line: string) => process.stderr.write(`${line}\n`));
  if (!name || !JOB_NAMES.includes(name)) {
    out(`${name ? `Unknown job "${name}"` : 'No job named'}. Jobs: ${JOB_NAMES.join(', ')}`);
    return EXIT_UNKNOWN_JOB;
  }
  if (!process.env.DATABASE_URL) {
    out('DATABASE_URL is not set: point it at the database the job should run on.');
    return EXIT_FAILED;
  }
  const app = await NestFactory.createApplicationContext(WorkerJobsModule, { logger: options.logger, abortOnError: false });
  try {
    const jobs = app.get(WorkerJobs);
    const job = jobs.find(name);
    if (!job) {
      out(`Unknown job "${name}". Jobs: ${jobs.names.join(', ')}`);
      return EXIT_UNKNOWN_JOB;
    }
    const run = await jobs.run(job);
    out(`${name}: ${run.status}, ${run.rowsAffected} rows${run.error ? `, error: ${run.error}` : ''}${run.details ? ` ${JSON.stringify(run.details)}` : ''}`);
    return run.status === 'failed' ? EXIT_FAILED : EXIT_OK;
  } finally {
    await app.close();
  }
}
