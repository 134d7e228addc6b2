import { Inject, Injectable } from '@nestjs/common';
import { JobRunnerService, type JobRun } from '@app/database';
import { WORKER_JOBS, type WorkerJob } from './worker-job.js';

/** The worker's jobs by name; every run goes through the job runner (lock, `job_runs` row, logs). */
@Injectable()
export class WorkerJobs {
  constructor(
    @Inject(WORKER_JOBS) readonly all: WorkerJob[],
    private readonly runner: JobRunnerService,
  ) {}

  get names(): string[] {
    return this.all.map((j) => j.name);
  }

  find(name: string): WorkerJob | undefined {
    return this.all.find((j) => j.name === name);
  }

  /** Runs a job now; the answer is its `job_runs` row (succeeded, skipped or failed — never a throw). */
  run(job: WorkerJob): Promise<JobRun> {
    return this.runner.run(job.name, job.lock, (manager) => job.run(manager), { lockScope: job.lockScope });
  }
}
