import { Inject, Injectable, Logger } from '@nestjs/common';
import { JobRunnerService, type JobRun } from '@app/database';
import { WORKER_JOBS, type WorkerJob } from './worker-job.js';

/** The worker's jobs by name; every run goes through the job runner (lock, `job_runs` row, logs). */
@Injectable()
export class WorkerJobs {
  private readonly logger = new Logger(WorkerJobs.name);

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

  /** Closes the runs a process that died left `running`, for each job no replica runs now (at the worker's start). */
  async closeInterruptedRuns(): Promise<void> {
    for (const job of this.all) {
      const closed = await this.runner.closeInterruptedRuns(job.name, job.lock).catch((error: unknown) => {
        this.logger.warn({ job: job.name, err: error, msg: `could not close interrupted runs of ${job.name}` });
        return 0;
      });
      if (closed > 0) this.logger.warn({ job: job.name, closed, msg: `closed ${closed} run(s) of ${job.name} left running by a stopped process` });
    }
  }

  /** Runs a job now; the answer is its `job_runs` row (succeeded, skipped or failed — never a throw). */
  run(job: WorkerJob): Promise<JobRun> {
    return this.runner.run(job.name, job.lock, (manager) => job.run(manager), { lockScope: job.lockScope });
  }
}
