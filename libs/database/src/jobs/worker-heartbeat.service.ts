import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Clock } from '@app/common';
import { DataSource } from 'typeorm';

export interface WorkerHeartbeat {
  worker_id: string;
  started_at: Date;
  last_seen_at: Date;
  /** The schedules this worker registered: job name → cron expression (its CRON_* overrides applied). */
  schedules: Record<string, string>;
}

/** A worker not seen for this long is reported as not alive (it touches its row every minute). */
export const WORKER_STALE_AFTER_MS = 3 * 60_000;
/** Rows of workers gone this long are removed (each process start has its own row). */
const FORGET_AFTER = '7 days';

/**
 * `worker_heartbeats`: each worker process upserts its row every minute, so an operator can see whether a
 * worker runs at all, which the job runs cannot tell between two nightly jobs. Plain single statements, no
 * session state: it works through a transaction-mode pooler.
 */
@Injectable()
export class WorkerHeartbeatService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  async touch(workerId: string, startedAt: Date, schedules: Record<string, string>): Promise<void> {
    const now = this.clock.now();
    await this.dataSource.query(
      `INSERT INTO worker_heartbeats (worker_id, started_at, last_seen_at, schedules) VALUES ($1, $2, $3, $4)
       ON CONFLICT (worker_id) DO UPDATE SET last_seen_at = EXCLUDED.last_seen_at, schedules = EXCLUDED.schedules`,
      [workerId, startedAt, now, JSON.stringify(schedules)],
    );
    await this.dataSource.query(`DELETE FROM worker_heartbeats WHERE last_seen_at < $1::timestamptz - interval '${FORGET_AFTER}'`, [now]);
  }

  /** Every known worker, most recently seen first. */
  list(): Promise<WorkerHeartbeat[]> {
    return this.dataSource.query(`SELECT worker_id, started_at, last_seen_at, schedules FROM worker_heartbeats ORDER BY last_seen_at DESC, worker_id LIMIT 50`);
  }
}
