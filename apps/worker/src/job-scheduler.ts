import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { WorkerJobs } from './jobs/worker-jobs.service.js';

/**
 * Registers each job with its schedule (the job's default, or its CRON_* variable) in UTC. A tick waits for
 * the previous run of the same job in this process; across replicas the job's advisory lock keeps it single.
 * On shutdown the crons stop first, then the job runner waits for the run in flight.
 */
@Injectable()
export class JobScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(JobScheduler.name);
  /** `name "cron"` of each scheduled job, for the worker's one start-up line. */
  readonly scheduled: string[] = [];

  constructor(
    private readonly jobs: WorkerJobs,
    private readonly registry: SchedulerRegistry,
    private readonly config: ConfigService,
  ) {}

  onApplicationBootstrap(): void {
    for (const job of this.jobs.all) {
      const schedule = this.config.get<string>(job.scheduleVariable) || job.defaultSchedule;
      const cron = CronJob.from({
        cronTime: schedule,
        timeZone: 'UTC',
        waitForCompletion: true,
        // The runner records failures itself; this only catches a failure to record one.
        onTick: async () => {
          await this.jobs.run(job).catch((error: unknown) => this.logger.error({ job: job.name, err: error, msg: `job ${job.name} could not run` }));
        },
      });
      this.registry.addCronJob(job.name, cron);
      cron.start();
      this.scheduled.push(`${job.name} "${schedule}"`);
      this.logger.debug({ job: job.name, schedule, next_run: cron.nextDate().toISO(), msg: `scheduled ${job.name} at "${schedule}" (UTC)` });
    }
  }

  beforeApplicationShutdown(): void {
    for (const name of this.registry.getCronJobs().keys()) {
      void this.registry.getCronJob(name).stop();
    }
  }
}
