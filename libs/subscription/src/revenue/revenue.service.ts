import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Clock } from '@app/common';
import { queryRows } from '@app/database';
import type { DataSource } from 'typeorm';
import { REVENUE_MONTHS_SQL, REVENUE_NOW_SQL } from './revenue-figures.sql.js';
import { buildRevenueReport, type MonthGroup, type RevenueReport } from './revenue-report.js';

/** How long one statement of the revenue report may run (the API's own limit is a few seconds). */
export const ANALYTICS_STATEMENT_TIMEOUT_MS = 30_000;

interface NowRow {
  mrr_cents: string | number;
  paying_vendors: number;
  paying_30d_ago: number;
  churned_30d: number;
  cohort_12m_then_cents: string | number;
  cohort_12m_now_cents: string | number;
  trialing_vendors: number;
  trials_ended_90d: number;
  trials_converted_90d: number;
  currency: string | null;
}

/**
 * MRR, its movements and the current figures (CONTRACT §10), from the history of plan changes: two read-only
 * statements, never Stripe. The rules that name the movements and add up the months are pure (revenue-report.ts).
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
    const [groups, [row]] = await Promise.all([this.read<MonthGroup>(REVENUE_MONTHS_SQL, now), this.read<NowRow>(REVENUE_NOW_SQL, now)]);
    return buildRevenueReport({
      now,
      months,
      groups,
      currency: row.currency ?? 'eur',
      current: {
        mrrCents: Number(row.mrr_cents),
        payingVendors: row.paying_vendors,
        paying30dAgo: row.paying_30d_ago,
        churned30d: row.churned_30d,
        cohort12mThenCents: Number(row.cohort_12m_then_cents),
        cohort12mNowCents: Number(row.cohort_12m_now_cents),
        trialingVendors: row.trialing_vendors,
        trialsEnded90d: row.trials_ended_90d,
        trialsConverted90d: row.trials_converted_90d,
      },
    });
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
