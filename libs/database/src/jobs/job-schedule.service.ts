import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Clock } from '@app/common';
import { JOB_NAMES, JOB_SCHEDULE, nextRunAt } from './job-schedule.js';
import type { JobRun } from './job-run.entity.js';
import { JobRunnerService } from './job-runner.service.js';
import { WORKER_STALE_AFTER_MS, WorkerHeartbeatService } from './worker-heartbeat.service.js';

export interface JobRunSummary {
  id: number;
  status: JobRun['status'];
  started_at: Date;
  finished_at: Date | null;
  rows_affected: number;
  error: string | null;
}

export interface JobScheduleView {
  items: Array<{ name: string; cron: string; next_run_at: Date | null; last_run: JobRunSummary | null }>;
  worker: {
    /** The most recent heartbeat of any worker; null when none has ever run against this database. */
    last_seen_at: Date | null;
    /** A heartbeat within the last three minutes. */
    alive: boolean;
    workers: Array<{ worker_id: string; started_at: Date; last_seen_at: Date; alive: boolean }>;
  };
}

export const toJobRunSummary = (r: JobRun): JobRunSummary => ({
  id: r.id, status: r.status, started_at: r.startedAt, finished_at: r.finishedAt, rows_affected: r.rowsAffected, error: r.error,
});

/**
 * What runs when: each job's cron as the live worker registered it (its heartbeat carries its schedules; this
 * process's configuration when no worker has reported), its next run, its last run, and the workers' heartbeats.
 */
@Injectable()
export class JobScheduleService {
  constructor(
    private readonly runner: JobRunnerService,
    private readonly heartbeats: WorkerHeartbeatService,
    private readonly config: ConfigService,
    private readonly clock: Clock,
  ) {}

  async getSchedule(): Promise<JobScheduleView> {
    const now = this.clock.now();
    const [workers, lastRuns] = await Promise.all([this.heartbeats.list(), this.runner.latestRunPerJob()]);
    const alive = (seen: Date) => now.getTime() - new Date(seen).getTime() <= WORKER_STALE_AFTER_MS;
    const reported = workers[0]?.schedules ?? {};
    const items = JOB_NAMES.map((name) => {
      const entry = JOB_SCHEDULE[name];
      const cron = reported[name] || this.config.get<string>(entry.scheduleVariable) || entry.defaultSchedule;
      const last = lastRuns.find((r) => r.name === name);
      return { name, cron, next_run_at: nextRunAt(cron, now), last_run: last ? toJobRunSummary(last) : null };
    });
    return {
      items,
      worker: {
        last_seen_at: workers[0]?.last_seen_at ?? null,
        alive: workers.length > 0 && alive(workers[0].last_seen_at),
        workers: workers.map((w) => ({ worker_id: w.worker_id, started_at: w.started_at, last_seen_at: w.last_seen_at, alive: alive(w.last_seen_at) })),
      },
    };
  }
}
