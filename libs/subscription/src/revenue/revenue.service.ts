import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Clock } from '@app/common';
import { queryRows } from '@app/database';
import type { DataSource } from 'typeorm';
import { REVENUE_MONTHS_SQL, REVENUE_NOW_SQL } from './revenue-figures.sql.js';
import { buildRevenueReport, currentFromChanges, type MonthGroup, type RecentChanges, type RevenueReport } from './revenue-report.js';

/** How long one statement of the revenue report may run (the API's own limit is a few seconds). */
export const ANALYTICS_STATEMENT_TIMEOUT_MS = 30_000;

/**
 * MRR, its movements and the current figures (CONTRACT §10), from the history of plan changes and its rollup: two
 * read-only statements, never Stripe. The rules that name the movements and add up the months are pure (revenue-report.ts).
 */
@Injectable()
export class RevenueService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  async getRevenue(months: number): Promise<RevenueReport> {
    const now = this.clock.now();
    // Two connections at once: the statements are independent reads, and each keeps one core busy.
    const [groups, [recent]] = await Promise.all([this.read<MonthGroup>(REVENUE_MONTHS_SQL, now), this.read<RecentChanges & { currency: string | null }>(REVENUE_NOW_SQL, now)]);
    return buildRevenueReport({ now, months, groups, currency: recent.currency ?? 'eur', current: currentFromChanges(groups, recent) });
  }

  /**
   * One statement in a read-only transaction of its own with the analytics' statement limit: a report over the whole
   * history may take longer than the API's few seconds for a request (DATABASE_STATEMENT_TIMEOUT_MS) on a busy
   * server. Transaction-local (`set_config(…, true)`): nothing stays on a pooled connection.
   */
  private read<T>(sql: string, now: Date): Promise<T[]> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT set_config('statement_timeout', $1, true), set_config('transaction_read_only', 'on', true)`, [String(ANALYTICS_STATEMENT_TIMEOUT_MS)]);
      return queryRows<T>(manager, sql, [now]);
    });
  }
}
