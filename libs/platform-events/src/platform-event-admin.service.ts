import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Clock, NotFoundError } from '@app/common';
import { queryRows } from '@app/database';
import { DataSource } from 'typeorm';
import type { PlatformEventStatus, PlatformEventView } from './platform-event.types.js';

export interface PlatformEventFilter {
  vendorId?: number;
  type?: string;
  status?: PlatformEventStatus;
  limit?: number;
}

interface EventRow {
  public_id: string;
  type: string;
  vendor_id: number;
  data: Record<string, unknown>;
  status: PlatformEventStatus;
  attempts: number;
  next_attempt_at: Date | null;
  last_error: string | null;
  created_at: Date;
  delivered_at: Date | null;
}

const COLUMNS = `public_id, type, vendor_id, data, status, attempts,
  CASE WHEN status = 'pending' AND next_attempt_at > '-infinity' THEN next_attempt_at END AS next_attempt_at,
  last_error, created_at, delivered_at`;

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
const toView = (r: EventRow): PlatformEventView => ({
  id: r.public_id,
  type: r.type,
  created_at: iso(r.created_at)!,
  vendor_id: r.vendor_id,
  data: r.data,
  status: r.status,
  attempts: r.attempts,
  next_attempt_at: iso(r.next_attempt_at),
  last_error: r.last_error,
  delivered_at: iso(r.delivered_at),
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The operators' view of the outbox: recent events with their delivery state, and redelivery. */
@Injectable()
export class PlatformEventAdminService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  /** Newest first. */
  async list(filter: PlatformEventFilter): Promise<PlatformEventView[]> {
    const rows = await this.dataSource.query<EventRow[]>(
      `SELECT ${COLUMNS} FROM platform_events
        WHERE ($1::int IS NULL OR vendor_id = $1) AND ($2::text IS NULL OR type = $2) AND ($3::text IS NULL OR status = $3)
        ORDER BY id DESC LIMIT $4`,
      [filter.vendorId ?? null, filter.type ?? null, filter.status ?? null, filter.limit ?? 50],
    );
    return rows.map(toView);
  }

  /**
   * Sends an event again: a delivered or failed one becomes pending with a fresh 3-day retry window; a pending
   * one waiting out its back-off becomes due now (one being POSTed right now keeps its lease). It keeps its id,
   * so a receiver that had it drops the copy. NOT_FOUND for an unknown id.
   */
  async redeliver(publicId: string): Promise<PlatformEventView> {
    if (!UUID.test(publicId)) throw new NotFoundError('Platform event');
    const now = this.clock.now();
    const [row] = await queryRows<EventRow>(
      this.dataSource.manager,
      `UPDATE platform_events SET status = 'pending', next_attempt_at = '-infinity',
              retry_until = GREATEST(retry_until, $2::timestamptz + interval '3 days')
        WHERE public_id = $1
        RETURNING ${COLUMNS}`,
      [publicId, now],
    );
    if (!row) throw new NotFoundError('Platform event');
    return toView(row);
  }

  /**
   * After an outage of the receiver: every event written since `since` that was given up on (`failed`) is
   * pending again, due now, with a fresh 3-day window and its id. One statement, so a concurrent round sees all or
   * none of them; delivery takes each vendor's oldest pending event first, so they go out again in order per
   * vendor (before that vendor's newer pending ones). Answers how many (with `dryRun`: how many it would, unchanged).
   */
  async redeliverFailed(since: Date, dryRun = false): Promise<number> {
    if (dryRun) {
      const [{ n }] = await this.dataSource.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM platform_events WHERE status = 'failed' AND created_at >= $1`, [since]);
      return n;
    }
    const [{ n }] = await queryRows<{ n: number }>(
      this.dataSource.manager,
      `WITH again AS (
         UPDATE platform_events SET status = 'pending', next_attempt_at = '-infinity',
                retry_until = GREATEST(retry_until, $2::timestamptz + interval '3 days')
          WHERE status = 'failed' AND created_at >= $1
          RETURNING 1)
       SELECT count(*)::int AS n FROM again`,
      [since, this.clock.now()],
    );
    return n;
  }
}
