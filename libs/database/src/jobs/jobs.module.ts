import { Module } from '@nestjs/common';
import { JobRunnerService } from './job-runner.service.js';

/** The job runner: advisory lock + `job_runs` row around each run (the worker, `npm run job`, admin triggers). */
@Module({ providers: [JobRunnerService], exports: [JobRunnerService] })
export class JobsModule {}
