import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { hostname } from 'node:os';
import { WorkerHeartbeatService } from '@app/database';
import { WorkerJobs } from './jobs/worker-jobs.service.js';

/** The worker touches its heartbeat row this often; the admin console calls it dead after three misses. */
const HEARTBEAT_INTERVAL_MS = 60_000;

/**
 * Registers each job with its schedule (the job's default, or its CRON_* variable) in UTC. A tick waits for
 * the previous run of the same job in this process; across replicas the job's advisory lock keeps it single.
 * On shutdown the crons stop first, then the job runner waits for the run in flight. On start, the runs a killed
 * worker left `running` are closed as interrupted before anything is scheduled.
 */
@Injectable()
export class JobScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(JobScheduler.name);
  /** `name "cron"` of each scheduled job, for the worker's one start-up line. */
  readonly scheduled: string[] = [];
  private readonly workerId = `${hostname()}:${process.pid}`;
  private readonly startedAt = new Date();
  private readonly schedules: Record<string, string> = {};
  private heartbeat?: NodeJS.Timeout;

  constructor(
    private readonly jobs: WorkerJobs,
    private readonly registry: SchedulerRegistry,
    private readonly config: ConfigService,
    private readonly heartbeats: WorkerHeartbeatService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.jobs.closeInterruptedRuns();
    this.registerJobs();
    void this.beat();
    this.heartbeat = setInterval(() => void this.beat(), HEARTBEAT_INTERVAL_MS).unref();
  }

  /** A missed beat (database away for a moment) is logged; the next one a minute later tries again. */
  private async beat(): Promise<void> {
    await this.heartbeats
      .touch(this.workerId, this.startedAt, this.schedules)
      .catch((error: unknown) => this.logger.warn({ err: error, msg: 'could not record the worker heartbeat' }));
  }

  private registerJobs(): void {
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
      this.schedules[job.name] = schedule;
      cron.start();
      this.scheduled.push(`${job.name} "${schedule}"`);
      this.logger.debug({ job: job.name, schedule, next_run: cron.nextDate().toISO(), msg: `scheduled ${job.name} at "${schedule}" (UTC)` });
    }
  }

  beforeApplicationShutdown(): void {
    clearInterval(this.heartbeat);
    for (const name of this.registry.getCronJobs().keys()) {
      void this.registry.getCronJob(name).stop();
    }
  }
}
